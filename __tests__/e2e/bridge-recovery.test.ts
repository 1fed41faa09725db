import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BridgeWorld } from '../../local/bridge-world.js'
import { expectDispatchedOnce, until } from '../support/bridge.js'

// A crash at any point never dispatches twice and never leaves a job unwatched.
let world: BridgeWorld

beforeAll(async () => {
  // Unacknowledged jobs are handed out again after 2 seconds, on the world's clock.
  world = await BridgeWorld.start({
    simulatedTime: true,
    dispatchTimeoutMs: 2_000,
    parameters: { GitHubRetryMinutes: '0.05' }
  })
})
afterAll(() => world.close())
beforeEach(() => world.fresh())

/** A crashed invocation's lease on its record lasts until its deadline, plus 2 seconds. */
const CRASHED_TIMEOUT_MS = 3_000
const LEASE_ENDS_MS = CRASHED_TIMEOUT_MS + 2_000 + 500

describe('a crash', () => {
  it('after the claim, before the dispatch: a later sweep dispatches the job once', async () => {
    const job = world.queueJob()
    world.github.onRequest = (request) => {
      if (request.path === '/repos/acme/app') world.container.kill()
    }
    const crashed = await world.invoke(world.event(job), world.container, CRASHED_TIMEOUT_MS)
    expect(crashed.error?.name).toBe('Exited')
    expect(await world.record(job)).toMatchObject({ phase: 'dispatching' })
    expect(world.github.runs).toEqual([])
    world.github.onRequest = undefined
    world.clock.advance(LEASE_ENDS_MS)
    const sweep = await world.sweep(await world.newContainer())
    expect(sweep.result?.dispatched).toEqual([job.id])
    expect(world.github.runs).toHaveLength(1)
    expect(job.state).toBe('InProgress')
  })

  it('after the dispatch, before the run was recorded: the run is found by name, never dispatched again', async () => {
    const job = world.queueJob()
    world.github.onDispatch = () => world.container.kill()
    await world.invoke(world.event(job), world.container, CRASHED_TIMEOUT_MS)
    expect(world.github.runs).toHaveLength(1)
    expect(await world.record(job)).toMatchObject({
      phase: 'dispatching',
      dispatchSentAt: expect.any(Number) as unknown
    })
    world.github.onDispatch = undefined
    world.clock.advance(LEASE_ENDS_MS)
    const sweep = await world.sweep(await world.newContainer())
    expect(sweep.error).toBeUndefined()
    await expectDispatchedOnce(world, job)
  })

  it('after the run was recorded, before the acknowledgement: the handout that follows is acknowledged', async () => {
    const job = world.queueJob()
    // The acknowledgement is on its way when the container dies, and never arrives.
    world.emulator.inject({ kind: 'latency', ms: 10_000 }, { operation: 'AcknowledgeJob' })
    world.emulator.inject({ kind: 'drop-before' }, { operation: 'AcknowledgeJob' })
    const crashed = world.invoke(world.event(job), world.container, CRASHED_TIMEOUT_MS)
    await until(() => world.emulator.requestsFor('AcknowledgeJob').length > 0)
    world.container.kill()
    await crashed
    const recorded = await world.record(job)
    expect(recorded).toMatchObject({ phase: 'running', runId: world.github.runs[0]?.id })
    expect(recorded?.acknowledged).toBeUndefined()
    world.clock.advance(LEASE_ENDS_MS)
    world.emulator.reset()
    // CodePipeline hands the unacknowledged job out again, with a new nonce.
    const sweep = await world.sweep(await world.newContainer())
    expect(sweep.result?.polled).toBe(1)
    expect(world.github.runs).toHaveLength(1)
    expect(job.state).toBe('InProgress')
    expect(await world.record(job)).toMatchObject({ acknowledged: true })
  })
})

describe('a continuation job', () => {
  it('gets a run of its own once the run that reported progress has ended', async () => {
    const first = world.queueJob()
    await world.invoke(world.event(first))
    const firstRun = world.github.runs[0]!
    world.github.setRun(firstRun, 'in_progress')
    // The run reports progress: CodePipeline ends its job, and queues one for the same action carrying the token.
    world.emulator.finish({ jobId: first.id, continuationToken: 'step-2' }, 'PutJobSuccessResult', 'Succeeded')
    const next = world.emulator.jobs.all().find((job) => job.data.continuationToken === 'step-2')!
    expect(next.data.pipelineContext).toEqual(first.data.pipelineContext)
    // Not while the first run goes on.
    expect((await world.sweep()).result?.dispatched).toEqual([])
    world.github.setRun(firstRun, 'completed', 'success')
    // The next sweep's list of the repository shows the run ended.
    world.clock.advance(60_000)
    const ended = await world.sweep()
    // The first job has its result from the run; no failure is added.
    expect(ended.result?.failed).toEqual([])
    world.clock.advance(2_500)
    const continued = await world.sweep()
    expect(continued.result?.dispatched).toEqual([next.id])
    expect(world.github.runs.map((run) => run.inputs['job-id'])).toEqual([first.id, next.id])
    expect(next.state).toBe('InProgress')
  })
})
