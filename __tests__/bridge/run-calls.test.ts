import { describe, expect, it, vi } from 'vitest'
import { Logger } from '../../src/bridge/json-log.js'
import type { RunClaims, TokenVerdict } from '../../src/bridge/oidc.js'
import type { BridgeRecord, Changes, RunningRecord } from '../../src/bridge/record.js'
import { answerRunCall, type EndpointParts } from '../../src/bridge/run-calls.js'
import { AllowedRepos } from '../../src/bridge/target.js'
import type { UrlEvent } from '../../src/bridge/endpoint.js'

// The endpoint's order of checks, with the bridge's own parts standing in: what is refused, and what each
// refusal costs. The whole flow, through the template's code and the emulator, is in the e2e tests.
const NOW = Date.parse('2026-12-01T12:00:00Z')
const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'
const RUN = 9_100_000_001
const CLAIMS: RunClaims = {
  iss: 'https://token.actions.githubusercontent.com',
  aud: 'https://abc.lambda-url.us-east-1.on.aws',
  exp: NOW / 1000 + 300,
  iat: NOW / 1000,
  jti: 'jti-1',
  sub: 'repo:acme/app:ref:refs/heads/main',
  repository: 'acme/app',
  repository_id: '42',
  repository_owner: 'acme',
  run_id: String(RUN),
  run_attempt: '1',
  event_name: 'workflow_dispatch',
  workflow_ref: 'acme/app/.github/workflows/build.yml@refs/heads/main',
  sha: 'abc',
  ref: 'refs/heads/main',
  actor: 'release-bot',
  actor_id: '5001'
}
const RUN_JSON = {
  id: RUN,
  status: 'in_progress',
  conclusion: null,
  html_url: 'https://github.com/acme/app/actions/runs/9100000001',
  created_at: new Date(NOW - 60_000).toISOString(),
  run_attempt: 1,
  event: 'workflow_dispatch',
  path: '.github/workflows/build.yml',
  head_branch: 'main',
  repository: { id: 42 },
  actor: { id: 5001, login: 'release-bot' }
}
const RUNNING: RunningRecord = {
  key: 'execution-1',
  phase: 'running',
  createdAt: NOW - 120_000,
  jobId: JOB,
  runJobId: JOB,
  target: { owner: 'acme', repo: 'app', workflow: 'build.yml' },
  ref: 'main',
  dispatchedAt: NOW - 90_000,
  runId: RUN,
  acknowledged: true
}

/** The bridge's parts, with the state store as a map and every outside call recorded. */
function world(record: BridgeRecord = RUNNING, verdicts: Record<string, TokenVerdict> = {}) {
  const records = new Map<string, Record<string, unknown>>([[record.key, { ...record }]])
  const calls: string[] = []
  const lines: string[] = []
  const apply = (key: string, changes: Changes) => {
    const item = records.get(key)!
    for (const [field, value] of Object.entries(changes))
      if (value === undefined) delete item[field]
      else item[field] = value
    return { ...item } as unknown as BridgeRecord
  }
  const store = {
    get: vi.fn((key: string) => Promise.resolve(records.get(key) as BridgeRecord | undefined)),
    findByJob: vi.fn((jobId: string) => {
      calls.push('store.findByJob')
      return Promise.resolve([...records.values()].find((item) => item.runJobId === jobId) as BridgeRecord | undefined)
    }),
    keepRunFacts: vi.fn((key: string, _job: string, _run: number, runFacts: unknown) =>
      Promise.resolve(void apply(key, { runFacts } as Changes))
    ),
    lease: vi.fn((key: string, lease: { owner: string }) => {
      const item = records.get(key)
      if (item === undefined || item.leaseOwner !== undefined) return Promise.resolve(undefined)
      return Promise.resolve(apply(key, { leaseOwner: lease.owner }))
    }),
    save: vi.fn((key: string, owner: string, changes: Changes) =>
      Promise.resolve(records.get(key)?.leaseOwner === owner ? apply(key, changes) : undefined)
    ),
    noteUpload: vi.fn(() => Promise.resolve(true))
  }
  const pipeline = {
    getJobDetails: vi.fn((id: string) => {
      calls.push('GetJobDetails')
      return Promise.resolve({
        id,
        data: { pipelineContext: { pipelineName: 'checkout' }, artifactCredentials: { secretAccessKey: 's' } }
      })
    }),
    putJobSuccessResult: vi.fn(() => Promise.resolve((calls.push('PutJobSuccessResult'), { attempts: 1 }))),
    putJobFailureResult: vi.fn(() => Promise.resolve((calls.push('PutJobFailureResult'), { attempts: 1 }))),
    acknowledgeJob: vi.fn(() => Promise.resolve('InProgress')),
    pollForJobs: vi.fn(() => Promise.resolve([]))
  }
  const github = {
    run: vi.fn(() => Promise.resolve((calls.push('GitHub run'), RUN_JSON))),
    identity: vi.fn(() => Promise.resolve('release-bot'))
  }
  const keys = {
    verify: vi.fn((token: string): Promise<TokenVerdict> => {
      calls.push('verify')
      if (token === 'issuer.down.x') return Promise.reject(new Error('503'))
      return Promise.resolve(
        verdicts[token] ?? (token === 'good.token.x' ? { ok: true, claims: CLAIMS } : { ok: false, reason: 'bad' })
      )
    })
  }
  const parts = {
    settings: { allowedRepos: AllowedRepos.parse('acme/app'), retryWindowMs: 15 * 60_000, queueTimeoutMs: 30 * 60_000 },
    log: Logger.create('info', { now: () => NOW }, (line) => void lines.push(line)),
    clock: { now: () => NOW, sleep: () => Promise.resolve(), random: () => 0.5 },
    store,
    pipeline,
    github,
    keys,
    artifactAccess: { region: 'us-east-1', client: {} },
    schedule: { ensure: () => Promise.resolve() }
  } as unknown as EndpointParts
  const invocation = { owner: 'call-1', deadline: NOW + 60_000 }
  const call = (
    path: string,
    body: unknown,
    token = 'good.token.x',
    domainName = 'abc.lambda-url.us-east-1.on.aws'
  ) => {
    const event: UrlEvent = {
      rawPath: path,
      headers: { authorization: `Bearer ${token}` },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      requestContext: { http: { method: 'POST' }, domainName }
    }
    return answerRunCall(parts, event, invocation).then((answer) => ({
      status: answer.statusCode,
      body: JSON.parse(answer.body) as Record<string, unknown>
    }))
  }
  return { call, calls, lines, records, pipeline, github, keys, store }
}

const SUCCESS = { jobId: JOB, success: { executionDetails: { summary: 'Built' }, outputVariables: { VERSION: '1' } } }

describe('answerRunCall', () => {
  it('refuses a token that does not verify with the one answer for all, having read nothing', async () => {
    const { call, calls, lines } = world()
    expect(await call('/v1/result', SUCCESS, 'forged.token.x')).toEqual({
      status: 401,
      body: { error: 'unauthorized' }
    })
    expect(calls).toEqual(['verify'])
    expect(lines.join('')).toContain('Refused a call: bad')
    expect(lines.join('')).not.toContain('forged.token.x')
  })

  it('refuses a request Lambda names no host for, as its audience cannot be known', async () => {
    const { call, calls } = world()
    expect((await call('/v1/result', SUCCESS, 'good.token.x', '')).status).toBe(401)
    expect(calls).toEqual([])
  })

  it('answers 503 when the issuer’s keys cannot be read, for the token may be good', async () => {
    const { call } = world()
    expect(await call('/v1/job', { jobId: JOB }, 'issuer.down.x')).toMatchObject({
      status: 503,
      body: { error: 'unavailable' }
    })
  })

  it('refuses a malformed body, and a job the bridge started no run for, naming what is wrong', async () => {
    const { call } = world()
    expect(await call('/v1/result', '{"jobId":')).toMatchObject({ status: 400, body: { error: 'malformed' } })
    expect(await call('/v1/result', { ...SUCCESS, jobId: '1ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11' })).toMatchObject({
      status: 404,
      body: { error: 'unknown-job' }
    })
  })

  it('refuses a repository outside AllowedRepos before it reads the store', async () => {
    const { call, calls } = world(RUNNING, {
      'other.repo.x': { ok: true, claims: { ...CLAIMS, repository: 'evil/app' } }
    })
    expect(await call('/v1/result', SUCCESS, 'other.repo.x')).toMatchObject({
      status: 403,
      body: { error: 'repository-not-allowed' }
    })
    expect(calls).toEqual(['verify'])
  })

  it('refuses another run’s token without asking GitHub', async () => {
    const { call, calls } = world(RUNNING, { 'other.run.x': { ok: true, claims: { ...CLAIMS, run_id: '1' } } })
    expect(await call('/v1/result', SUCCESS, 'other.run.x')).toMatchObject({
      status: 403,
      body: { error: 'not-your-job' }
    })
    expect(calls).toEqual(['verify', 'store.findByJob'])
  })

  it('holds the job at the run’s first call, reads the run once, and gives the job without its credentials', async () => {
    const { call, calls, records, pipeline } = world()
    const first = await call('/v1/job', { jobId: JOB })
    expect(first.status).toBe(200)
    expect(JSON.stringify(first.body)).not.toContain('secretAccessKey')
    expect(pipeline.putJobSuccessResult).toHaveBeenCalledWith(
      expect.objectContaining({
        jobId: JOB,
        continuationToken: expect.stringMatching(/^codepipeline-bridge:/) as unknown,
        executionDetails: expect.objectContaining({ externalExecutionId: String(RUN), percentComplete: 0 }) as unknown
      })
    )
    expect(records.get('execution-1')).toMatchObject({ heldAt: NOW, continuation: expect.any(String) as unknown })
    expect(records.get('execution-1')).not.toHaveProperty('leaseOwner')
    await call('/v1/job', { jobId: JOB })
    expect(calls.filter((made) => made === 'GitHub run')).toHaveLength(1)
  })

  it('delivers a result once, takes it again as already there, and refuses a different one', async () => {
    const { call, pipeline, records } = world()
    expect(await call('/v1/result', SUCCESS)).toEqual({ status: 200, body: { confirmed: true } })
    expect(pipeline.putJobSuccessResult).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: JOB, outputVariables: { VERSION: '1' } })
    )
    expect(records.get('execution-1')).toMatchObject({ phase: 'closed' })
    expect(await call('/v1/result', SUCCESS)).toEqual({ status: 200, body: { confirmed: true, already: true } })
    const other = await call('/v1/result', { jobId: JOB, failure: { type: 'JobFailed', message: 'no' } })
    expect(other).toMatchObject({ status: 409, body: { error: 'already-answered' } })
    expect(pipeline.putJobSuccessResult).toHaveBeenCalledTimes(1)
  })

  it('keeps a result while the job it goes to is not polled yet, and says so (202)', async () => {
    const { call, pipeline, records } = world({
      ...RUNNING,
      heldAt: NOW - 10_000,
      continuation: 'codepipeline-bridge:x'
    })
    expect(await call('/v1/result', SUCCESS)).toEqual({ status: 202, body: { confirmed: false } })
    expect(pipeline.putJobSuccessResult).not.toHaveBeenCalled()
    expect(records.get('execution-1')).toMatchObject({ phase: 'reported' })
    expect(records.get('execution-1')).not.toHaveProperty('leaseOwner')
  })

  it('passes progress on with a fresh continuation, and not while one is on its way', async () => {
    const { call, pipeline, records } = world({ ...RUNNING, heldAt: NOW - 10_000 })
    const progress = { jobId: JOB, percentComplete: 40, summary: 'Tests' }
    expect(await call('/v1/progress', progress)).toEqual({ status: 200, body: { confirmed: true } })
    expect(pipeline.putJobSuccessResult).toHaveBeenCalledWith(
      expect.objectContaining({
        executionDetails: { summary: 'Tests', externalExecutionId: String(RUN), percentComplete: 40 }
      })
    )
    expect(records.get('execution-1')).toHaveProperty('continuation')
    expect(await call('/v1/progress', progress)).toMatchObject({ status: 202, body: { confirmed: false } })
    expect(await call('/v1/progress', { ...progress, percentComplete: 140 })).toMatchObject({ status: 400 })
  })

  it('signs no artifact URL once the job has its result', async () => {
    const { call, calls } = world({ ...RUNNING, phase: 'closed' } as unknown as BridgeRecord)
    expect(await call('/v1/artifact/download', { jobId: JOB, name: 'Source' })).toMatchObject({
      status: 409,
      body: { error: 'already-answered' }
    })
    expect(calls).not.toContain('GetJobDetails')
  })
})
