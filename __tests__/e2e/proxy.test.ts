import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { objectContaining } from '../../__fixtures__/expect.js'
import { CodePipelineEmulator } from '../../local/emulator/server.js'
import { FakeGitHubApi } from '../../local/fake-github.js'
import { standInClient, startS3StandIn, type S3StandIn } from '../../local/moto.js'
import { LoopbackProxy, testCertificate, TlsFront, type TestCertificate } from '../../local/proxy.js'
import { ACTION_DEFAULTS, runStep, RunnerJob, type StepRun } from '../../local/runner.js'

// Self-hosted runners often reach AWS and GitHub only through a proxy. Every server
// here is named with a host that only the proxy resolves (`*.test`), so an answer
// proves the proxy carried the request, and a request that skips the proxy fails.
const SHA = 'd'.repeat(40)
const BUCKET = 'proxy-artifacts-111122223333'
const INPUT_KEY = 'checkout/Source/source.txt'

let emulator: CodePipelineEmulator
let github: FakeGitHubApi
let proxy: LoopbackProxy
let moto: S3StandIn
let s3: S3Client
let certificate: TestCertificate
let fronts: { codepipeline: TlsFront; s3: TlsFront; github: TlsFront }

beforeAll(async () => {
  ;[emulator, github, proxy, moto] = await Promise.all([
    CodePipelineEmulator.start({ newJobState: 'InProgress' }),
    FakeGitHubApi.start(ACTION_DEFAULTS['github-token'] ?? ''),
    LoopbackProxy.start(),
    startS3StandIn()
  ])
  github.commits.set(SHA, { message: 'Route through the proxy', committedAt: '2026-11-22T08:00:00Z' })
  s3 = standInClient(moto)
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }))
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: INPUT_KEY, Body: 'the pipeline source' }))
  certificate = testCertificate(['codepipeline.test', 's3.test', '*.s3.test', 'api.github.test'])
  const [codepipelineFront, s3Front, githubFront] = await Promise.all(
    [emulator.url, moto.url, github.url].map((url) => TlsFront.start(url, certificate))
  )
  fronts = { codepipeline: codepipelineFront!, s3: s3Front!, github: githubFront! }
}, 60_000)
afterAll(async () => {
  s3?.destroy()
  await Promise.all([
    emulator?.close(),
    github?.close(),
    proxy?.close(),
    moto?.close(),
    ...Object.values(fronts ?? {}).map((front) => front.close())
  ])
})
beforeEach(() => {
  emulator.reset()
  github.requests.length = 0
  proxy.requests.length = 0
})

/** Where the steps find each service: plain HTTP, or HTTPS through TLS on loopback. */
interface Endpoints {
  readonly codepipeline: string
  readonly s3: string
  readonly github: string
}

const port = (url: string): string => new URL(url).port

function plainEndpoints(): Endpoints {
  return {
    codepipeline: `http://codepipeline.test:${port(emulator.url)}`,
    s3: `http://s3.test:${port(moto.url)}`,
    github: `http://api.github.test:${port(github.url)}`
  }
}

function tlsEndpoints(): Endpoints {
  return {
    codepipeline: `https://codepipeline.test:${fronts.codepipeline.port}`,
    s3: `https://s3.test:${fronts.s3.port}`,
    github: `https://api.github.test:${fronts.github.port}`
  }
}

const hostOf = (url: string): string => new URL(url).host
const targets = (): string[] => proxy.requests.map((request) => request.target)
/** The hosts the proxy was asked for, by CONNECT or by a request in absolute form. */
const proxiedHosts = (): Set<string> =>
  new Set(proxy.requests.map((request) => (request.method === 'CONNECT' ? request.target : hostOf(request.target))))

/**
 * A pipeline job worked on by a GitHub job: the job action reads it and
 * downloads its input artifact, the reporting action uploads its output
 * artifact and reports success with the commit looked up on GitHub, and the
 * post step finds the job answered.
 */
async function roundTrip(endpoints: Endpoints, env: Record<string, string>): Promise<StepRun[]> {
  const job = emulator.createJob({
    inputArtifacts: [{ name: 'Source', revision: SHA, bucketName: BUCKET, objectKey: INPUT_KEY }],
    outputArtifacts: ['Built'],
    artifactBucket: BUCKET
  })
  const workspace = mkdtempSync(join(tmpdir(), 'workspace-'))
  mkdirSync(join(workspace, 'dist'))
  writeFileSync(join(workspace, 'dist', 'app.txt'), 'built')
  const stepEnv = {
    GITHUB_WORKSPACE: workspace,
    GITHUB_SHA: SHA,
    GITHUB_API_URL: endpoints.github,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    ...env
  }
  const runner = new RunnerJob()
  try {
    const read = await runner.run({
      action: 'job',
      endpoint: endpoints.codepipeline,
      inputs: { 'job-id': job.id, 'input-artifacts-path': 'in' },
      env: stepEnv
    })
    const report = await runner.run({
      endpoint: endpoints.codepipeline,
      inputs: { 'job-id': job.id, 'output-artifacts': 'Built=dist' },
      eventName: 'workflow_dispatch',
      event: {},
      env: stepEnv
    })
    const posts = await runner.end()
    const runs = [read, report, ...posts]
    for (const run of runs) expect(run.code, run.stdout).toBe(0)
    expect(readFileSync(join(workspace, 'in', 'Source', 'source.txt'), 'utf8')).toBe('the pipeline source')
    const [output] = job.data.outputArtifacts as {
      location: { s3Location: { bucketName: string; objectKey: string } }
    }[]
    const location = output!.location.s3Location
    expect(
      await s3.send(new HeadObjectCommand({ Bucket: location.bucketName, Key: location.objectKey }))
    ).toMatchObject({ ContentType: 'application/zip' })
    expect(job.state).toBe('Succeeded')
    expect(github.requests).toEqual([objectContaining({ path: `/repos/acme/app/git/commits/${SHA}` })])
    expect(emulator.requestsFor('PutJobSuccessResult')[0]?.body.currentRevision).toMatchObject({
      revisionSummary: 'Route through the proxy'
    })
    return runs
  } finally {
    runner.close()
  }
}

describe('every call through the proxy', () => {
  it('sends every CodePipeline, S3 and GitHub request through HTTP_PROXY', async () => {
    const endpoints = plainEndpoints()
    await roundTrip(endpoints, { HTTP_PROXY: proxy.url })

    const codepipeline = proxy.requests.filter((request) => request.target.startsWith(`${endpoints.codepipeline}/`))
    expect(codepipeline).toHaveLength(emulator.requests.length)
    expect(emulator.operations()).toEqual([
      'GetJobDetails',
      'ListActionTypes',
      'ListActionTypes',
      'GetJobDetails',
      'PutJobSuccessResult'
    ])
    const s3Requests = proxy.requests.filter(
      (request) => hostOf(request.target) === `${BUCKET}.${hostOf(endpoints.s3)}`
    )
    expect(s3Requests.map((request) => request.method)).toEqual(expect.arrayContaining(['GET', 'PUT']))
    expect(proxiedHosts()).toEqual(
      new Set([hostOf(endpoints.codepipeline), `${BUCKET}.${hostOf(endpoints.s3)}`, hostOf(endpoints.github)])
    )
  })

  it('tunnels every HTTPS request through https_proxy', async () => {
    const endpoints = tlsEndpoints()
    await roundTrip(endpoints, { https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: certificate.certFile })

    expect(proxy.requests.every((request) => request.method === 'CONNECT')).toBe(true)
    expect(proxiedHosts()).toEqual(
      new Set([hostOf(endpoints.codepipeline), `${BUCKET}.${hostOf(endpoints.s3)}`, hostOf(endpoints.github)])
    )
  })

  it('keeps the credentials in the proxy URL out of every log, with debug on', async () => {
    const endpoints = tlsEndpoints()
    const password = 'p@ss:Secret-42'
    const runs = await roundTrip(endpoints, {
      HTTPS_PROXY: proxy.urlWithCredentials('ci-builder', encodeURIComponent(password)),
      NODE_EXTRA_CA_CERTS: certificate.certFile,
      ACTIONS_STEP_DEBUG: 'true',
      RUNNER_DEBUG: '1'
    })

    // The proxy got them, on every tunnel.
    const expected = `Basic ${Buffer.from(`ci-builder:${password}`).toString('base64')}`
    expect(proxy.requests.length).toBeGreaterThan(2)
    for (const request of proxy.requests) expect(request.authorization, request.target).toBe(expected)
    // The log says which proxy, without them.
    const log = runs.map((run) => run.everything).join('\n')
    expect(log).toContain(`AWS and GitHub calls go HTTPS through http://127.0.0.1:${port(proxy.url)}/.`)
    const unmasked = log
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n')
    for (const secret of [password, encodeURIComponent(password), expected.slice('Basic '.length)]) {
      expect(unmasked).not.toContain(secret)
    }
    expect(log).toContain(`::add-mask::${password}`)
  })
})

describe('NO_PROXY', () => {
  /** Reports success for a new job, looking the commit up on GitHub, with HTTP_PROXY and this NO_PROXY. */
  async function report(noProxy: string): Promise<StepRun> {
    const endpoints = plainEndpoints()
    const job = emulator.createJob()
    return runStep({
      endpoint: endpoints.codepipeline,
      inputs: { 'job-id': job.id, 'max-attempts': '1' },
      eventName: 'workflow_dispatch',
      event: {},
      env: { GITHUB_SHA: SHA, GITHUB_API_URL: endpoints.github, HTTP_PROXY: proxy.url, NO_PROXY: noProxy }
    })
  }

  it.each([
    ['a domain, for its subdomains', 'github.test'],
    ['a leading dot', '.github.test'],
    ['a host and its port', () => `other.example, api.github.test:${port(github.url)}`]
  ])('lets GitHub calls go direct for %s, while CodePipeline calls keep the proxy', async (_, entry) => {
    const run = await report(typeof entry === 'function' ? entry() : entry)
    // Direct, api.github.test cannot be found: the lookup fails, and the report goes on without it.
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/::warning::Reporting revision d+ without its commit time and summary/)
    expect(github.requests).toEqual([])
    expect([...proxiedHosts()]).toEqual([hostOf(plainEndpoints().codepipeline)])
  })

  it.each([
    ['its host', () => 'codepipeline.test'],
    ['its domain', () => 'test'],
    ['a leading dot', () => '.test'],
    ['its host and port', () => `codepipeline.test:${port(emulator.url)}`],
    ['everything', () => '*']
  ])('lets CodePipeline calls go direct for %s', async (_, entry) => {
    const run = await report(entry())
    // Direct, codepipeline.test cannot be found, so the step fails without having used the proxy for it.
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/ENOTFOUND codepipeline\.test|getaddrinfo.*codepipeline\.test/)
    expect(emulator.requests).toEqual([])
    expect(targets().filter((target) => target.includes('codepipeline.test'))).toEqual([])
  })

  it('keeps the proxy for a port the entry does not name', async () => {
    const run = await report('codepipeline.test:1, api.github.test:1')
    expect(run.code).toBe(0)
    expect(proxiedHosts()).toEqual(new Set([hostOf(plainEndpoints().codepipeline), hostOf(plainEndpoints().github)]))
  })
})
