import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BridgeWorld } from '../../local/bridge-world.js'
import { LoopbackProxy, testCertificate, TlsFront, type TestCertificate } from '../../local/proxy.js'

// A bridge whose account reaches GitHub and AWS only through a proxy: the template's ProxyUrl
// and NoProxy. Every service is named with a host only the proxy resolves (`*.test`), behind
// TLS, so an answer proves the proxy carried the request and a request that skips it fails.
let world: BridgeWorld
let proxy: LoopbackProxy
let certificate: TestCertificate
let fronts: { codepipeline: TlsFront; moto: TlsFront; github: TlsFront }

beforeAll(async () => {
  ;[world, proxy] = await Promise.all([BridgeWorld.start({ simulatedTime: true }), LoopbackProxy.start()])
  certificate = testCertificate(['codepipeline.test', 'moto.test', 'api.github.test'])
  const [codepipeline, moto, github] = await Promise.all(
    [world.emulator.url, world.moto.url, world.github.url].map((url) => TlsFront.start(url, certificate))
  )
  fronts = { codepipeline: codepipeline!, moto: moto!, github: github! }
}, 60_000)
afterAll(async () => {
  await Promise.all([world?.close(), proxy?.close(), ...Object.values(fronts ?? {}).map((front) => front.close())])
})
beforeEach(() => {
  proxy.requests.length = 0
})

const hosts = () => ({
  codepipeline: `codepipeline.test:${fronts.codepipeline.port}`,
  moto: `moto.test:${fronts.moto.port}`,
  github: `api.github.test:${fronts.github.port}`
})

/** A fresh stack with these proxy parameters, whose function finds every service by its `.test` name. */
async function behindProxy(parameters: Record<string, string>, secret?: string): Promise<void> {
  const { codepipeline, moto, github } = hosts()
  await world.fresh({
    parameters,
    ...(secret !== undefined && { secret }),
    githubApiUrl: `https://${github}`,
    environment: {
      AWS_ENDPOINT_URL_CODEPIPELINE: `https://${codepipeline}`,
      AWS_ENDPOINT_URL_DYNAMODB: `https://${moto}`,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `https://${moto}`,
      AWS_ENDPOINT_URL_SCHEDULER: `https://${moto}`,
      NODE_EXTRA_CA_CERTS: certificate.certFile,
      LOG_LEVEL: 'debug'
    }
  })
}

/** The hosts the proxy opened tunnels to. */
const tunnels = (): Set<string> =>
  new Set(proxy.requests.filter((request) => request.method === 'CONNECT').map((request) => request.target))

describe('ProxyUrl', () => {
  it('sends every call of the function through the proxy: Secrets Manager, GitHub App sign-in, dispatch, DynamoDB, Scheduler and CodePipeline', async () => {
    const app = world.github.createApp({ 'acme/app': 71 })
    await behindProxy({ ProxyUrl: proxy.url }, JSON.stringify({ appId: app.appId, privateKey: app.privateKey }))
    const job = world.queueJob()
    const { result, error, logs } = await world.invoke(world.event(job))

    expect(error).toBeUndefined()
    expect(result?.dispatched).toEqual([job.id])
    expect(job.state).toBe('InProgress')
    expect(world.github.issued).toHaveLength(1)
    expect(proxy.requests.every((request) => request.method === 'CONNECT')).toBe(true)
    const { codepipeline, moto, github } = hosts()
    expect(tunnels()).toEqual(new Set([codepipeline, moto, github]))
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: `AWS and GitHub calls go HTTPS through ${proxy.url}/ and HTTP through ${proxy.url}/.`
      })
    )
  })

  it('gives the proxy its credentials on every tunnel, and keeps them out of the log', async () => {
    const password = 'Bridge-proxy:S3cret'
    await behindProxy({ ProxyUrl: proxy.urlWithCredentials('bridge', encodeURIComponent(password)) })
    const job = world.queueJob()
    const { result } = await world.invoke(world.event(job))

    expect(result?.dispatched).toEqual([job.id])
    const expected = `Basic ${Buffer.from(`bridge:${password}`).toString('base64')}`
    expect(proxy.requests.length).toBeGreaterThan(2)
    for (const request of proxy.requests) expect(request.authorization, request.target).toBe(expected)
    const everything = world.container.log
    for (const secret of [password, encodeURIComponent(password), expected.slice('Basic '.length)])
      expect(everything).not.toContain(secret)
    expect(everything).toContain(`HTTPS through ${proxy.url}/`)
  })
})

describe('a proxy that refuses the bridge', () => {
  it('is told apart from a lost request: nothing reached GitHub, so nothing is looked for, and the job is tried again later', async () => {
    proxy.requireAuthorization = `Basic ${Buffer.from('bridge:right-password').toString('base64')}`
    try {
      // AWS on loopback goes direct; only GitHub needs the proxy.
      await world.fresh({
        parameters: { ProxyUrl: proxy.urlWithCredentials('bridge', 'wrong-password') },
        githubApiUrl: `https://${hosts().github}`,
        environment: { NODE_EXTRA_CA_CERTS: certificate.certFile }
      })
      const job = world.queueJob()
      const { result, output } = await world.invoke(world.event(job))

      expect(result?.dispatched).toEqual([])
      expect(world.github.requests).toEqual([])
      expect(world.failure(job)).toBeUndefined()
      expect(await world.record(job)).toMatchObject({
        lastError: expect.stringMatching(/ERR_PROXY_TUNNEL.*407/) as unknown
      })
      expect(output).not.toContain('a run may have started')
      expect(output).not.toContain('wrong-password')
    } finally {
      proxy.requireAuthorization = undefined
    }
  })
})

describe('NoProxy', () => {
  it('lets GitHub calls go direct for a domain it lists, while AWS calls keep the proxy', async () => {
    await behindProxy({ ProxyUrl: proxy.url, NoProxy: 'github.test' })
    const job = world.queueJob()
    const { result, output } = await world.invoke(world.event(job))

    // Direct, api.github.test cannot be found: nothing reaches GitHub, and the job waits for a later try.
    expect(result?.dispatched).toEqual([])
    expect(world.github.dispatches).toEqual([])
    // Or a timeout, where the resolver takes long to say no.
    expect(output).toMatch(/ENOTFOUND|EAI_AGAIN|TimeoutError/)
    expect(world.failure(job)).toBeUndefined()
    const { codepipeline, moto } = hosts()
    expect(tunnels()).toEqual(new Set([codepipeline, moto]))
  })

  it('lets AWS calls go direct for the hosts it lists, as for VPC endpoints', async () => {
    const { codepipeline, moto, github } = hosts()
    await behindProxy({ ProxyUrl: proxy.url, NoProxy: `codepipeline.test, ${moto}` })
    const job = world.queueJob()
    const { output } = await world.invoke(world.event(job))

    // Direct, the AWS hosts cannot be found, so the function fails without having used the proxy for them.
    expect(output).toMatch(/ENOTFOUND|EAI_AGAIN|TimeoutError/)
    expect(world.emulator.requests).toEqual([])
    expect(tunnels().has(codepipeline)).toBe(false)
    expect(tunnels().has(moto)).toBe(false)
    expect([...tunnels()].every((host) => host === github)).toBe(true)
  })
})
