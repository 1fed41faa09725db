import { randomUUID } from 'node:crypto'
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EmulatedJob } from '../../local/emulator/jobs.js'
import { BridgeWorld, TOKEN } from '../../local/bridge-world.js'
import { LoopbackProxy, testCertificate, TlsFront, type TestCertificate } from '../../local/proxy.js'
import { update } from '../../src/bridge/dynamo-item.js'

// What an attacker or an unlucky operator tried against the bridge: each through the bundled handler.
let world: BridgeWorld

beforeAll(async () => {
  world = await BridgeWorld.start()
}, 60_000)
afterAll(() => world.close())
beforeEach(() => world.fresh())

const HOUR = 3600_000

/** Sets (and removes) fields of the job's record in the state table, as time passing would have left them. */
async function seed(job: EmulatedJob, set: Record<string, unknown>, remove: string[] = []): Promise<void> {
  const key = job.data.pipelineContext.action.actionExecutionId
  await world.stack.db.send(
    new UpdateItemCommand({ ...update(key, set, remove, {}), TableName: world.stack.values.State })
  )
}

const RUN_READ = { method: 'GET', path: /\/actions\/runs\/\d+$/ }
/** The sweep's list of a repository's runs, and the read of one run: a GitHub that cannot tell of runs fails both. */
const RUN_READS = { method: 'GET', path: /\/actions\/runs(\/\d+)?$/ }

/** Watching runs takes time to pass: the sweep lists a repository's runs at most once a minute. */
describe('watching runs, on a simulated clock', () => {
  let timed: BridgeWorld
  beforeAll(async () => {
    timed = await BridgeWorld.start({ simulatedTime: true })
  }, 60_000)
  afterAll(() => timed.close())
  beforeEach(() => timed.fresh())

  async function started(configuration: Record<string, string> = {}): Promise<EmulatedJob> {
    const job = timed.queueJob(configuration)
    const { result } = await timed.invoke(timed.event(job))
    expect(result?.dispatched).toEqual([job.id])
    return job
  }

  /** The next sweep, a minute after the last. */
  function sweep() {
    timed.clock.advance(61_000)
    return timed.sweep()
  }

  async function seedTimed(job: EmulatedJob, set: Record<string, unknown>, remove: string[] = []): Promise<void> {
    const key = job.data.pipelineContext.action.actionExecutionId
    await timed.stack.db.send(
      new UpdateItemCommand({ ...update(key, set, remove, {}), TableName: timed.stack.values.State })
    )
  }

  describe('a recorded run that the bridge may no longer read', () => {
    it('fails the job with PermissionError on a 403 that is no rate limit, naming Actions: read', async () => {
      const job = await started()
      timed.github.inject(
        { kind: 'status', status: 403, message: 'Resource not accessible by integration' },
        { ...RUN_READS, times: 2 }
      )
      const { result } = await sweep()

      expect(result?.failed).toEqual([{ jobId: job.id, type: 'PermissionError' }])
      const failure = timed.failure(job)
      expect(failure?.message).toContain('Resource not accessible by integration')
      expect(failure?.message).toContain('Actions: read')
      expect(failure?.message).toContain('acme/app')
      expect(await timed.record(job)).toMatchObject({ phase: 'closed' })
    })

    it('fails the job with PermissionError on a 401 that a fresh read of the secret does not cure', async () => {
      const job = await started()
      timed.github.revoke(TOKEN)
      try {
        const { result } = await sweep()
        expect(result?.failed).toEqual([{ jobId: job.id, type: 'PermissionError' }])
        expect(timed.failure(job)?.message).toMatch(/401 "Bad credentials".*Actions: read/)
      } finally {
        timed.github.addToken(TOKEN)
      }
    })

    it('keeps watching through 5xx and throttling, backing off, and fails with SystemUnavailable only 22 hours after the job was taken', async () => {
      const job = await started()
      // The list and then the run, each tried three times.
      timed.github.inject({ kind: 'status', status: 503, message: 'Service Unavailable' }, { ...RUN_READS, times: 6 })
      const before = timed.clock.now()
      await sweep()

      expect(timed.failure(job)).toBeUndefined()
      const watched = await timed.record(job)
      expect(watched).toMatchObject({
        phase: 'running',
        attempts: 1,
        lastError: expect.stringContaining('503') as unknown
      })
      expect(watched?.nextCheckAt).toBeGreaterThan(before)
      // Not due yet: the next sweep leaves the run alone.
      const reads = timed.github.requestsTo('GET', RUN_READ.path).length
      timed.github.inject({ kind: 'status', status: 503, message: 'Service Unavailable' }, { ...RUN_READS, times: 3 })
      await timed.sweep()
      expect(timed.github.requestsTo('GET', RUN_READ.path)).toHaveLength(reads)

      // A rate limit, 21 hours on: still watched.
      await seedTimed(job, { createdAt: timed.clock.now() - 21 * HOUR }, ['nextCheckAt'])
      timed.github.inject(
        { kind: 'status', status: 403, message: 'API rate limit exceeded', headers: { 'x-ratelimit-remaining': '0' } },
        { ...RUN_READS, times: 6 }
      )
      await sweep()
      expect(timed.failure(job)).toBeUndefined()
      expect(await timed.record(job)).toMatchObject({ phase: 'running', attempts: 2 })

      // 22 hours on, two before CodePipeline's own timeout: the pipeline is told.
      await seedTimed(job, { createdAt: timed.clock.now() - 22 * HOUR }, ['nextCheckAt'])
      timed.github.inject({ kind: 'status', status: 502, message: 'Bad Gateway' }, { ...RUN_READS, times: 6 })
      const { result } = await sweep()
      expect(result?.failed).toEqual([{ jobId: job.id, type: 'SystemUnavailable' }])
      expect(timed.failure(job)?.message).toMatch(/could not read the workflow run .* for 22 hours .*502/)
    }, 30_000)

    it('watches as before once the run can be read again, and still ends a deleted run as before', async () => {
      const job = await started()
      timed.github.inject({ kind: 'status', status: 500, message: 'oops' }, { ...RUN_READS, times: 6 })
      await sweep()
      expect(await timed.record(job)).toMatchObject({ attempts: 1 })
      await sweep()
      expect(await timed.record(job)).not.toHaveProperty('attempts')
      timed.github.runs.length = 0
      const { result } = await sweep()
      expect(result?.failed).toEqual([{ jobId: job.id, type: 'JobFailed' }])
      expect(timed.failure(job)?.message).toContain('no longer exists on GitHub')
    }, 30_000)
  })

  describe('a run whose name lacks the job ID', () => {
    it('is warned about at the first look, and the warning is carried into the failure', async () => {
      const job = await started({ Workflow: 'unnamed.yml' })
      const { logs } = await sweep()
      expect(logs).toContainEqual(
        expect.objectContaining({ level: 'warn', message: expect.stringContaining('without the job ID') as unknown })
      )
      expect(await timed.record(job)).toMatchObject({
        runNameChecked: true,
        warning: expect.stringContaining('run-name') as unknown
      })
      timed.github.setRun(timed.github.runs[0]!, 'completed', 'failure')
      await sweep()
      expect(timed.failure(job)?.message).toMatch(
        /failed before it reported.* is named "unnamed", without the job ID.*run-name/
      )
    })

    it('is not warned about when the run is named after its job', async () => {
      const job = await started()
      const { logs } = await sweep()
      expect(JSON.stringify(logs)).not.toContain('without the job ID')
      const record = await timed.record(job)
      expect(record).toMatchObject({ runNameChecked: true })
      expect(record).not.toHaveProperty('warning')
    })
  })
})

describe('a multi-megabyte error from GitHub', () => {
  it('is stored cut short, so that the record is still written and the job goes on', async () => {
    const job = world.queueJob()
    const huge = `Server Error ${'€'.repeat(1024 * 1024)}` // 3 MB of UTF-8
    world.github.inject({ kind: 'status', status: 503, message: huge }, { method: 'POST', path: /\/dispatches$/ })
    const { error } = await world.invoke(world.event(job))

    expect(error).toBeUndefined()
    const record = await world.record(job)
    expect(record).toMatchObject({ phase: 'dispatching', attempts: 1 })
    expect(String(record?.lastError).length).toBeLessThanOrEqual(5_000)
    expect(String(record?.lastError)).toMatch(/503 Server Error €+…$/)
  }, 30_000)
})

const DISPATCH = { method: 'POST', path: /\/dispatches$/ }

describe('a dispatch whose answer was lost, and whose run cannot be found', () => {
  it.each<[string, Record<string, string>, () => void]>([
    ['the workflow has no run-name', { Workflow: 'unnamed.yml' }, () => undefined],
    [
      "GitHub's run list lags behind",
      {},
      () => {
        world.github.runListLagMs = HOUR
      }
    ]
  ])('fails the job, never dispatching it again, when %s', async (_, configuration, arrange) => {
    arrange()
    world.github.inject({ kind: 'drop-after' }, DISPATCH)
    const job = world.queueJob(configuration)
    const first = await world.invoke(world.event(job))
    expect(first.result?.dispatched).toEqual([])
    expect(world.github.runs).toHaveLength(1)
    expect(world.failure(job)).toBeUndefined()

    // Well past the grace for a new run to show up in GitHub's list.
    await seed(job, { dispatchSentAt: Date.now() - 10 * 60_000 })
    const { result } = await world.sweep()
    expect(result?.failed).toEqual([{ jobId: job.id, type: 'SystemUnavailable' }])
    await world.sweep()
    expect(world.github.requestsTo('POST', DISPATCH.path)).toHaveLength(1)
    expect(world.github.runs).toHaveLength(1)
    const workflow = configuration.Workflow ?? 'build.yml'
    const message = world.failure(job)?.message
    expect(message).toContain('GitHub gave no answer to the request')
    expect(message).toContain(
      `A run may still have started (see ${world.github.url}/acme/app/actions/workflows/${workflow}?query=event%3Aworkflow_dispatch%20branch%3Amain)`
    )
    expect(message).toContain("Give the workflow run-name: 'CodePipeline ${{ inputs.job-id }}'")
    expect(await world.record(job)).toMatchObject({ phase: 'closed' })
  })

  it('fails the job, never dispatching it again, after a 5xx that started nothing', async () => {
    world.github.inject({ kind: 'status', status: 502, message: 'Bad Gateway' }, DISPATCH)
    const job = world.queueJob()
    await world.invoke(world.event(job))
    await seed(job, { dispatchSentAt: Date.now() - 10 * 60_000 })
    const { result } = await world.sweep()
    expect(result?.failed).toEqual([{ jobId: job.id, type: 'SystemUnavailable' }])
    expect(world.github.requestsTo('POST', DISPATCH.path)).toHaveLength(1)
    expect(world.github.runs).toEqual([])
  })

  it("finds the run past the first page of 100 runs, following GitHub's link to the next", async () => {
    world.github.inject({ kind: 'drop-after' }, DISPATCH)
    let ours: number | undefined
    world.github.onDispatch = (run) => {
      ours = run.id
      // Other jobs' runs, dispatched right after: ours is on the second page.
      for (let index = 1; index <= 150; index++)
        world.github.runs.push({ ...run, id: run.id + index, display_title: `CodePipeline other-${index}` })
    }
    const job = world.queueJob()
    const { result } = await world.invoke(world.event(job))

    expect(result?.dispatched).toEqual([job.id])
    expect(await world.record(job)).toMatchObject({ phase: 'running', runId: ours })
    expect(world.github.requestsTo('GET', /\/runs$/).length).toBeGreaterThanOrEqual(2)
    expect(world.github.requestsTo('POST', DISPATCH.path)).toHaveLength(1)
  })
})

describe('the proxy credentials secret', () => {
  // GitHub only through the proxy, behind TLS on a name only the proxy resolves; AWS on loopback goes direct.
  let proxy: LoopbackProxy
  let certificate: TestCertificate
  let front: TlsFront
  beforeAll(async () => {
    proxy = await LoopbackProxy.start()
    certificate = testCertificate(['api.github.test'])
    front = await TlsFront.start(world.github.url, certificate)
  })
  afterAll(async () => {
    await Promise.all([proxy?.close(), front?.close()])
  })
  beforeEach(() => {
    proxy.requests.length = 0
  })

  const password = 'Bridge-proxy:S3cret@%41'
  const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`

  /** A stack whose ProxyUrl has no credentials, and whose proxy credentials secret holds `secret`. */
  async function behindProxy(secret: string): Promise<void> {
    const { ARN } = await world.stack.secrets.send(
      new CreateSecretCommand({ Name: `github-bridge/proxy-${randomUUID()}`, SecretString: secret })
    )
    await world.fresh({
      parameters: { ProxyUrl: proxy.url, ProxyCredentialsSecretArn: ARN! },
      githubApiUrl: `https://api.github.test:${front.port}`,
      environment: { NODE_EXTRA_CA_CERTS: certificate.certFile, LOG_LEVEL: 'debug' }
    })
  }

  it.each([
    ['user:password text', `bridge:${password}`],
    ['JSON', JSON.stringify({ username: 'bridge', password })]
  ])(
    'gives the proxy the credentials from the secret (%s), and keeps the password out of the log',
    async (_, secret) => {
      proxy.requireAuthorization = basic('bridge', password)
      try {
        await behindProxy(secret)
        const job = world.queueJob()
        const { result, output } = await world.invoke(world.event(job))

        expect(result?.dispatched).toEqual([job.id])
        expect(proxy.requests.length).toBeGreaterThan(0)
        for (const request of proxy.requests) expect(request.authorization).toBe(proxy.requireAuthorization)
        // The function's configuration holds no credentials.
        expect(JSON.stringify(world.stack.environment)).not.toContain('S3cret')
        expect(world.stack.environment.HTTPS_PROXY).toBe(proxy.url)
        for (const shown of [password, encodeURIComponent(password)]) expect(output).not.toContain(shown)
      } finally {
        proxy.requireAuthorization = undefined
      }
    }
  )

  it.each([
    ['a bare password', 'S3cret-only', 'has no user name and password'],
    ['JSON without a password', JSON.stringify({ username: 'bridge' }), 'has no user name and password'],
    ['broken JSON', `{"username": "bridge", "password": "${password}"`, 'is not valid JSON']
  ])('refuses %s, saying what it must hold without quoting it', async (_, secret, said) => {
    await behindProxy(secret)
    const job = world.queueJob()
    const { error, output } = await world.invoke(world.event(job))

    expect(error?.message).toContain(`The proxy credentials secret ${said}`)
    expect(error?.message).toContain('user:password, or {"username": "...", "password": "..."}')
    expect(`${output}${error?.message}`).not.toContain('S3cret')
    expect(world.github.requests).toEqual([])
  })
})
