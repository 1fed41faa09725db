import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { runStep } from '../../local/runner.js'
import { BridgeWorld } from '../../local/bridge-world.js'
import { freePort } from '../../local/moto.js'
import { expectDispatchedOnce } from '../support/bridge.js'

// Whatever happens to a run, the pipeline hears about it: every outcome through the bundled handler.
let world: BridgeWorld

beforeAll(async () => {
  world = await BridgeWorld.start({ simulatedTime: true })
})
afterAll(() => world.close())
beforeEach(() => world.fresh())

/** Short windows, so that retries and timeouts play out within a test; the world's clock moves through them. */
const FAST = { GitHubRetryMinutes: '0.05', QueueTimeoutMinutes: '0.05' }

describe('a configuration GitHub cannot run', () => {
  it('fails the job with ConfigurationError naming every problem, without asking GitHub', async () => {
    const job = world.queueJob({ Owner: '-acme', Repo: 'private', Workflow: '../build.yml', Branch: 'a..b' })
    const { result } = await world.invoke(world.event(job))
    expect(result?.failed).toEqual([{ jobId: job.id, type: 'ConfigurationError' }])
    const failure = world.failure(job)
    expect(failure?.type).toBe('ConfigurationError')
    expect(failure?.message).toContain('Owner "-acme" is not a GitHub user or organization name')
    expect(failure?.message).toContain('Workflow "../build.yml" is not the file name of a workflow')
    expect(failure?.message).toContain('Branch "a..b" is not a branch or tag name')
    expect(failure?.message).toMatch(/Fix the action in the pipeline/)
    expect(world.github.requests).toEqual([])
    // Acknowledged before it is answered, as the documented flow has it.
    expect(world.operations()).toEqual(['PollForJobs', 'AcknowledgeJob', 'PutJobFailureResult', 'PollForJobs'])
    expect(await world.record(job)).toMatchObject({ phase: 'closed' })
  })

  it('refuses a repository outside AllowedRepos', async () => {
    const job = world.queueJob({ Repo: 'private' })
    await world.invoke(world.event(job))
    expect(world.failure(job)).toMatchObject({
      type: 'ConfigurationError',
      message: expect.stringContaining(
        "acme/private is not in the bridge's AllowedRepos (acme/app, acme/web): add it to the stack's AllowedRepos parameter"
      ) as unknown
    })
    expect(world.github.runs).toEqual([])
  })

  it.each([
    [
      'a workflow that does not exist (404)',
      { Workflow: 'nope.yml' },
      /GitHub cannot find workflow nope\.yml in acme\/app on main \(GitHub answered 404 "Not Found"/,
      /Check Workflow/
    ],
    [
      'an undeclared job-id input (422)',
      { Workflow: 'no-input.yml' },
      /Unexpected inputs provided: \[\\"job-id\\"\]/,
      /add 'job-id' \(required: true\)/
    ],
    [
      'no workflow_dispatch trigger (422)',
      { Workflow: 'push-only.yml' },
      /does not have 'workflow_dispatch' trigger/,
      /Add a workflow_dispatch trigger/
    ],
    ['a disabled workflow (422)', { Workflow: 'disabled.yml' }, /disabled workflow/, /Enable the workflow/],
    [
      'a branch that does not exist (422)',
      { Branch: 'nope' },
      /No ref found for: nope/,
      /Set Branch to a branch or tag that exists/
    ]
  ])(
    'fails the job with ConfigurationError for %s, quoting GitHub and saying what to fix',
    async (_, configuration, said, fix) => {
      const job = world.queueJob(configuration)
      await world.invoke(world.event(job))
      const failure = world.failure(job)
      expect(failure?.type).toBe('ConfigurationError')
      expect(failure?.message).toMatch(said)
      expect(failure?.message).toMatch(fix)
      expect(world.github.runs).toEqual([])
    }
  )

  it('fails the job with PermissionError when the token may not start workflows (403)', async () => {
    const readOnly = 'github_pat_11ABCDEFG0read0only0token0for0the0bridge0tests0000000000000000000000'
    world.github.addToken(readOnly, { permissions: { actions: 'read', metadata: 'read' } })
    await world.fresh({ secret: readOnly })
    const job = world.queueJob()
    await world.invoke(world.event(job))
    expect(world.failure(job)).toMatchObject({
      type: 'PermissionError',
      message: expect.stringMatching(
        /Resource not accessible by integration.*Actions: read and write on acme\/app/
      ) as unknown
    })
  })

  it('fails the job with PermissionError when GitHub refuses the token (401), also after reading the secret again', async () => {
    await world.fresh({ secret: 'github_pat_11ABCDEFG0revoked0or0expired0000000000000000000000000000000000' })
    const job = world.queueJob()
    await world.invoke(world.event(job))
    expect(world.failure(job)).toMatchObject({
      type: 'PermissionError',
      message: expect.stringMatching(
        /refused the bridge's credentials .*401 "Bad credentials".*also after the secret was read again/
      ) as unknown
    })
    // The 401 sent the bridge back to the secret, which held the same token: no second try.
    expect(world.github.requestsTo('GET', /^\/repos\/acme\/app$/)).toHaveLength(1)
  })
})

describe('GitHub unavailable', () => {
  it('looks for the run after a dispatch got a 5xx, and fails the job rather than dispatch it a second time', async () => {
    await world.fresh({ parameters: FAST })
    world.github.inject({ kind: 'status', status: 502, message: 'Bad Gateway' }, { path: /dispatches$/ })
    const job = world.queueJob()
    const first = await world.invoke(world.event(job))
    expect(first.result?.dispatched).toEqual([])
    expect(await world.record(job)).toMatchObject({ phase: 'dispatching', attempts: 1 })
    expect(job.state).toBe('Dispatched')
    // Past the grace for a dispatch that may have gone through to show up as a run.
    world.clock.advance(1_000)
    const sweep = await world.sweep()
    expect(sweep.result?.dispatched).toEqual([])
    expect(world.github.requestsTo('POST', /dispatches$/)).toHaveLength(1)
    expect(world.failure(job)).toMatchObject({
      type: 'SystemUnavailable',
      message: expect.stringContaining('A run may still have started') as unknown
    })
  })

  it('records the run a dispatch made although its answer was lost, and never dispatches it again', async () => {
    await world.fresh({ parameters: FAST })
    world.github.inject({ kind: 'drop-after' }, { path: /dispatches$/ })
    const job = world.queueJob()
    const { result } = await world.invoke(world.event(job))
    // The same invocation looked for the run by name, and found it.
    expect(result?.dispatched).toEqual([job.id])
    world.clock.advance(1_000)
    await world.sweep()
    await expectDispatchedOnce(world, job)
  })

  it('waits out a 429 with backoff on later triggers, then dispatches', async () => {
    await world.fresh({ parameters: { GitHubRetryMinutes: '0.2' } })
    world.github.inject(
      { kind: 'status', status: 429, message: 'API rate limit exceeded', headers: { 'retry-after': '1' } },
      { path: /dispatches$/ }
    )
    const job = world.queueJob()
    await world.invoke(world.event(job))
    const waiting = await world.record(job)
    expect(waiting).toMatchObject({
      phase: 'dispatching',
      attempts: 1,
      lastError: expect.stringContaining('429') as unknown
    })
    expect(waiting?.dispatchSentAt).toBeUndefined()
    const early = await world.sweep()
    expect(early.result?.dispatched).toEqual([])
    world.clock.advance(Number(waiting?.nextAttemptAt) - world.clock.now() + 100)
    expect((await world.sweep()).result?.dispatched).toEqual([job.id])
    expect(world.github.runs).toHaveLength(1)
  })

  it('fails the job with SystemUnavailable once GitHub has been unreachable for the retry window', async () => {
    await world.fresh({ parameters: FAST, githubApiUrl: `http://127.0.0.1:${await freePort()}` })
    const job = world.queueJob()
    await world.invoke(world.event(job))
    expect(await world.record(job)).toMatchObject({
      phase: 'dispatching',
      lastError: expect.stringContaining('ECONNREFUSED') as unknown
    })
    world.clock.advance(3_200)
    await world.sweep()
    expect(world.failure(job)).toMatchObject({
      type: 'SystemUnavailable',
      message: expect.stringMatching(
        /GitHub did not start workflow build\.yml in acme\/app within 3 seconds of trying \(last: .*ECONNREFUSED[^)]*\)/
      ) as unknown
    })
  })
})

describe('a run that does not report', () => {
  async function dispatched(parameters?: Record<string, string>) {
    await world.fresh({ parameters })
    const job = world.queueJob()
    await world.invoke(world.event(job))
    const run = world.github.runs[0]!
    return { job, run }
  }

  it.each([
    ['failure', 'failed before it reported to CodePipeline (conclusion: failure)'],
    ['cancelled', 'was cancelled before it reported to CodePipeline (conclusion: cancelled)'],
    ['timed_out', 'timed out before it reported to CodePipeline (conclusion: timed_out)'],
    ['startup_failure', 'could not start (startup_failure: check the workflow file for errors)']
  ])('fails the job with JobFailed when the run completes with %s, linking the run', async (conclusion, words) => {
    const { job, run } = await dispatched()
    world.github.setRun(run, 'completed', conclusion)
    const { result } = await world.sweep()
    expect(result?.failed).toEqual([{ jobId: job.id, type: 'JobFailed' }])
    expect(world.failure(job)).toEqual({
      type: 'JobFailed',
      message: expect.stringContaining(`The workflow run ${run.html_url} ${words}`) as unknown,
      externalExecutionId: String(run.id)
    })
  })

  it('fails the job with JobFailed when the run succeeded without reporting', async () => {
    const { job, run } = await dispatched()
    world.github.setRun(run, 'completed', 'success')
    await world.sweep()
    expect(world.failure(job)?.message).toMatch(
      new RegExp(
        `The workflow run ${run.html_url} succeeded but did not report to CodePipeline\\. End the workflow with the reporting action`
      )
    )
  })

  it('leaves a job alone while its run is going, whatever its report step may be doing', async () => {
    const { job, run } = await dispatched()
    world.github.setRun(run, 'in_progress')
    world.emulator.reset()
    await world.sweep()
    expect(world.operations()).toEqual(['PollForJobs'])
    expect(job.state).toBe('InProgress')
    expect(await world.record(job)).toMatchObject({ phase: 'running', open: '1' })
  })

  it("keeps the run's own report when it got there first: CodePipeline refuses the second answer, and that is fine", async () => {
    const { job, run } = await dispatched()
    // The workflow's last step, the reporting action, as the runner runs it.
    const report = await runStep({
      endpoint: world.emulator.url,
      inputs: { 'job-id': job.id, 'output-variables': '{"IMAGE_TAG":"1.4.2"}' },
      env: { GITHUB_RUN_ID: String(run.id) }
    })
    expect(report.code).toBe(0)
    world.github.setRun(run, 'completed', 'success')
    const { result, error } = await world.sweep()
    expect(error).toBeUndefined()
    expect(result?.failed).toEqual([])
    expect(job.state).toBe('Succeeded')
    expect(job.result?.body.outputVariables).toEqual({ IMAGE_TAG: '1.4.2' })
    // Looking a while for a job continuing this one, until the action's SUCCEEDED event closes it.
    expect(await world.record(job)).toMatchObject({ phase: 'expected', jobId: job.id })
    await world.invoke(world.event(job, 'SUCCEEDED'))
    expect(await world.record(job)).toMatchObject({ phase: 'closed', closedBecause: 'the action succeeded' })
  })

  it('cancels a run queued past the queue timeout, and fails the job with SystemUnavailable', async () => {
    const { job, run } = await dispatched(FAST)
    run.created_at = new Date(world.clock.now() - 10 * 60_000).toISOString()
    await world.sweep()
    expect(run).toMatchObject({ status: 'completed', conclusion: 'cancelled' })
    expect(world.github.requestsTo('POST', new RegExp(`/actions/runs/${run.id}/cancel$`))).toHaveLength(1)
    expect(world.failure(job)).toMatchObject({
      type: 'SystemUnavailable',
      message: expect.stringMatching(
        new RegExp(
          `The workflow run ${run.html_url} waited 10 minutes for a runner, over the bridge's queue timeout of 3 seconds, so it was cancelled`
        )
      ) as unknown
    })
  })

  it('fails the job with JobFailed when its run was deleted', async () => {
    const { job, run } = await dispatched()
    world.github.runs.splice(world.github.runs.indexOf(run), 1)
    await world.sweep()
    expect(world.failure(job)?.message).toMatch(/no longer exists on GitHub/)
  })
})

describe('a stopped pipeline execution', () => {
  it('cancels the run when the execution is abandoned, and stops watching', async () => {
    const job = world.queueJob()
    await world.invoke(world.event(job))
    const run = world.github.runs[0]!
    world.github.setRun(run, 'in_progress')
    world.emulator.stopExecution(job, 'ABANDONED')
    const { result } = await world.invoke(world.event(job, 'ABANDONED'))
    expect(result?.closed).toBe(1)
    expect(run).toMatchObject({ status: 'completed', conclusion: 'cancelled' })
    expect(await world.record(job)).toMatchObject({ phase: 'closed', stopped: true })
    expect(job.result).toBeUndefined()
  })

  it('never dispatches a job whose execution was stopped before the job was polled', async () => {
    const job = world.queueJob()
    const stopped = await world.invoke(world.event(job, 'CANCELED'))
    expect(stopped.error).toBeUndefined()
    const started = await world.invoke(world.event(job))
    expect(started.result).toMatchObject({ polled: 1, dispatched: [] })
    expect(world.github.requests).toEqual([])
  })
})
