import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BridgeWorld, TOKEN } from '../../local/bridge-world.js'

// GitHub credentials from Secrets Manager: a GitHub App or a fine-grained token, and no secret in any log.
let world: BridgeWorld

beforeAll(async () => {
  world = await BridgeWorld.start({ simulatedTime: true })
})
afterAll(() => world.close())

function appSecret(installations: Record<string, number> = { 'acme/app': 71, 'acme/web': 72 }) {
  const app = world.github.createApp(installations)
  return { app, secret: JSON.stringify({ appId: app.appId, privateKey: app.privateKey }) }
}

describe('a GitHub App', () => {
  it('signs in as the App, and starts the run with an installation token narrowed to the repository and actions: write', async () => {
    const { secret } = appSecret()
    await world.fresh({ secret })
    const job = world.queueJob()
    const { result } = await world.invoke(world.event(job))
    expect(result?.dispatched).toEqual([job.id])
    expect(world.github.issued).toEqual([
      {
        token: expect.stringMatching(/^ghs_/) as unknown,
        installation: 71,
        repositories: ['app'],
        permissions: { actions: 'write', metadata: 'read' }
      }
    ])
    expect(world.github.dispatches[0]?.authorization).toBe(`Bearer ${world.github.issued[0]?.token}`)
  })

  it('keeps each installation token until five minutes before it expires', async () => {
    const { secret } = appSecret()
    await world.fresh({ secret })
    for (let index = 0; index < 3; index++) await world.invoke(world.event(world.queueJob()))
    await world.invoke(world.event(world.queueJob({ Repo: 'web' })))
    expect(world.github.runs).toHaveLength(4)
    // One per repository.
    expect(world.github.issued.map((issued) => issued.repositories)).toEqual([['app'], ['web']])
    // From now on GitHub hands out tokens with four minutes left, which are never kept.
    world.github.tokenLifetimeMs = 4 * 60_000
    world.github.expireInstallationTokens()
    await world.invoke(world.event(world.queueJob()))
    const issued = world.github.issued.length
    await world.invoke(world.event(world.queueJob()))
    expect(world.github.issued.length).toBeGreaterThan(issued)
  })

  it('gets a new installation token when GitHub refuses the cached one (expired or revoked)', async () => {
    const { secret } = appSecret()
    await world.fresh({ secret })
    await world.invoke(world.event(world.queueJob()))
    world.github.expireInstallationTokens()
    const job = world.queueJob()
    const { result } = await world.invoke(world.event(job))
    expect(result?.dispatched).toEqual([job.id])
    expect(world.github.issued).toHaveLength(2)
  })

  it('fails the job with ConfigurationError when the App is not installed on the repository', async () => {
    const { secret } = appSecret({ 'acme/web': 72 })
    await world.fresh({ secret })
    const job = world.queueJob()
    await world.invoke(world.event(job))
    expect(world.failure(job)).toMatchObject({
      type: 'ConfigurationError',
      message: expect.stringContaining("The bridge's GitHub App is not installed on acme/app") as unknown
    })
  })

  it('picks up a rotated private key from the secret when GitHub refuses the old one', async () => {
    await world.fresh({ secret: appSecret().secret })
    await world.invoke(world.event(world.queueJob({ Repo: 'web' })))
    const { secret } = appSecret()
    await world.stack.rotateSecret(secret)
    const job = world.queueJob()
    const { result } = await world.invoke(world.event(job))
    expect(result?.dispatched).toEqual([job.id])
  })
})

describe('a fine-grained token', () => {
  it('reads the secret again when GitHub refuses the token, and carries on with the rotated one', async () => {
    const old = 'github_pat_11ABCDEFG0about0to0be0rotated000000000000000000000000000000000000'
    const rotated = 'github_pat_11ABCDEFG0the0new0token000000000000000000000000000000000000000'
    world.github.addToken(old)
    world.github.addToken(rotated)
    await world.fresh({ secret: old })
    await world.invoke(world.event(world.queueJob()))
    world.github.revoke(old)
    await world.stack.rotateSecret(JSON.stringify({ token: rotated }))
    const job = world.queueJob({ Repo: 'web' })
    const { result } = await world.invoke(world.event(job))
    expect(result?.dispatched).toEqual([job.id])
    expect(world.github.dispatches.at(-1)?.authorization).toBe(`Bearer ${rotated}`)
  })

  it('fails the job with ConfigurationError when the secret holds neither a token nor an App', async () => {
    await world.fresh({ secret: '{"user": "ci", "password": "hunter2-hunter2"}' })
    const job = world.queueJob()
    const { output } = await world.invoke(world.event(job))
    expect(world.failure(job)).toMatchObject({
      type: 'ConfigurationError',
      message: expect.stringMatching(
        /^The bridge cannot use its GitHub credentials \(secret arn:aws:secretsmanager:.*\): The GitHub credentials secret has neither "token" nor "appId" and "privateKey"/
      ) as unknown
    })
    expect(output).not.toContain('hunter2')
  })
})

describe('secrets', () => {
  it('never writes a token or a key to the log', async () => {
    const { app, secret } = appSecret()
    await world.fresh({ secret })
    await world.container.close()
    world.container = await world.newContainer()
    await world.invoke(world.event(world.queueJob()))
    world.github.expireInstallationTokens()
    await world.invoke(world.event(world.queueJob()))
    const log = world.container.log
    expect(log).toContain('Started the workflow run')
    for (const issued of world.github.issued) expect(log).not.toContain(issued.token)
    for (const line of app.privateKey.split('\n').filter((text) => text.length > 8 && !text.startsWith('-----')))
      expect(log).not.toContain(line)
    expect(log).not.toContain(TOKEN)
  })
})
