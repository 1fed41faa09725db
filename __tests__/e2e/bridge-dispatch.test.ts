import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BridgeWorld, TOKEN } from '../../local/bridge-world.js'

// The bridge's bundled handler, as the template deploys it, starting workflow runs for jobs.
let world: BridgeWorld

beforeAll(async () => {
  world = await BridgeWorld.start({ simulatedTime: true })
})
afterAll(() => world.close())
beforeEach(() => world.fresh())

describe('a STARTED event', () => {
  it('starts the workflow with the job ID, records the run and acknowledges the job', async () => {
    const job = world.queueJob()
    const { result, error } = await world.invoke(world.event(job))
    expect(error).toBeUndefined()
    expect(result).toMatchObject({ trigger: 'STARTED', polled: 1, dispatched: [job.id], failed: [] })
    const [dispatch] = world.github.dispatches
    expect(dispatch).toMatchObject({
      path: '/repos/acme/app/actions/workflows/build.yml/dispatches',
      body: { ref: 'main', inputs: { 'job-id': job.id }, return_run_details: true },
      authorization: `Bearer ${TOKEN}`
    })
    const [run] = world.github.runs
    expect(run?.display_title).toBe(`CodePipeline ${job.id}`)
    expect(job.state).toBe('InProgress')
    expect(world.operations()).toEqual(['PollForJobs', 'AcknowledgeJob', 'PollForJobs'])
    expect(world.emulator.requestsFor('PollForJobs')[0]?.body).toEqual({
      actionTypeId: world.stack.actionType.id,
      maxBatchSize: 10
    })
    expect(await world.record(job)).toMatchObject({
      phase: 'running',
      jobId: job.id,
      runId: run?.id,
      runUrl: run?.html_url,
      acknowledged: true,
      open: '1'
    })
  })

  it('leases the sweep: the schedule runs every minute until about 15 minutes from now', async () => {
    expect((await world.stack.schedule()).state).toBe('DISABLED')
    await world.invoke(world.event(world.queueJob()))
    const schedule = await world.stack.schedule()
    expect(schedule.state).toBe('ENABLED')
    const left = schedule.endDate!.getTime() - world.clock.now()
    expect(left).toBeGreaterThan(14 * 60_000)
    expect(left).toBeLessThanOrEqual(15 * 60_000)
  })

  it("runs on the action's Branch, or else on the repository's default branch", async () => {
    const onBranch = world.queueJob({ Branch: 'release/2.x' })
    const onDefault = world.queueJob({ Repo: 'web' })
    await world.invoke(world.event(onBranch))
    const refs: Record<string, string> = Object.fromEntries(
      world.github.dispatches.map((request): [string, string] => {
        const body = request.body as { ref: string; inputs: Record<string, string> }
        return [body.inputs['job-id'] ?? '', body.ref]
      })
    )
    expect(refs).toEqual({ [onBranch.id]: 'release/2.x', [onDefault.id]: 'trunk' })
  })

  it('finds a job that shows up in the queue only after its event, polling again within the invocation', async () => {
    // Not pollable yet: the job exists, but CodePipeline has not queued it.
    const job = world.emulator.createJob({
      state: 'InProgress',
      actionTypeId: world.stack.actionType.id,
      configuration: { Owner: 'acme', Repo: 'app', Workflow: 'build.yml' }
    })
    // CodePipeline queues it once the first poll has come back empty; the bridge's wait before the next poll passes on the world's clock.
    world.emulator.onServed = (request) => {
      if (request.operation === 'PollForJobs') job.state = 'Queued'
    }
    const { result } = await world.invoke(world.event(job))
    expect(result?.dispatched).toEqual([job.id])
  })

  it('leaves a job that shows up later to the sweep, which keeps running until it is found', async () => {
    const job = world.emulator.createJob({
      state: 'InProgress',
      actionTypeId: world.stack.actionType.id,
      configuration: { Owner: 'acme', Repo: 'app', Workflow: 'build.yml' }
    })
    const first = await world.invoke(world.event(job))
    expect(first.result?.dispatched).toEqual([])
    expect(await world.record(job)).toMatchObject({ phase: 'expected', open: '1' })
    expect((await world.stack.schedule()).state).toBe('ENABLED')
    job.state = 'Queued'
    const sweep = await world.sweep()
    expect(sweep.result).toMatchObject({ open: 1, dispatched: [job.id] })
  })
})

describe('at least once, and at the same time', () => {
  it('dispatches nothing more for a duplicate event', async () => {
    const job = world.queueJob()
    await world.invoke(world.event(job))
    const again = await world.invoke(world.event(job))
    expect(again.result).toMatchObject({ polled: 0, dispatched: [] })
    expect(world.github.dispatches).toHaveLength(1)
    expect(world.github.runs).toHaveLength(1)
  })

  it('dispatches each job once when two invocations run at the same time', async () => {
    const jobs = Array.from({ length: 24 }, () => world.queueJob())
    const other = await world.newContainer()
    const [first, second] = await Promise.all([
      world.invoke(world.event(jobs[0]!)),
      world.invoke(world.event(jobs[1]!), other)
    ])
    expect([first.error, second.error]).toEqual([undefined, undefined])
    const dispatched = world.github.dispatches.map(
      (request) => (request.body as { inputs: Record<string, string> }).inputs['job-id']
    )
    expect(dispatched.sort()).toEqual(jobs.map((job) => job.id).sort())
    expect([...first.result!.dispatched, ...second.result!.dispatched].sort()).toEqual(dispatched.sort())
    expect(jobs.every((job) => job.state === 'InProgress')).toBe(true)
  })

  it('dispatches 50 jobs queued at once, each once, polling in batches of 10, and 35 a minute at most', async () => {
    const jobs = Array.from({ length: 50 }, () => world.queueJob())
    // At the start of a minute, so that the invocation's dispatches all fall within it.
    world.clock.advance(61_000 - (world.clock.now() % 60_000))
    const { result } = await world.invoke(world.event(jobs[0]!))
    // A minute's worth at once (a minute's and a little, should a slow machine take the invocation into the next
    // one): the rest wait for the next minute, within GitHub's limit on creating content.
    const first = result?.dispatched.length ?? 0
    expect(first).toBeGreaterThanOrEqual(35)
    expect(first).toBeLessThan(50)
    expect(world.github.runs).toHaveLength(first)
    // Five full batches, then one empty poll that says the queue is empty.
    expect(world.emulator.requestsFor('PollForJobs').map((request) => request.body.maxBatchSize)).toEqual([
      10, 10, 10, 10, 10, 10
    ])
    // The next minute, past the few seconds that spread the waiting jobs out.
    world.clock.advance(72_000)
    const next = await world.sweep()
    expect(next.result?.dispatched).toHaveLength(50 - first)
    expect(new Set(world.github.runs.map((run) => run.inputs['job-id']))).toEqual(new Set(jobs.map((job) => job.id)))
    expect(world.github.runs).toHaveLength(50)
    expect(new Set(world.emulator.requestsFor('AcknowledgeJob').map((request) => request.body.jobId))).toEqual(
      new Set(jobs.map((job) => job.id))
    )
  })
})

describe('idle', () => {
  it('makes no CodePipeline and no GitHub call once nothing is open, and lets the lease run out', async () => {
    const job = world.queueJob()
    await world.invoke(world.event(job))
    world.github.setRun(world.github.runs[0]!, 'completed', 'success')
    // The run reported: CodePipeline says the action succeeded.
    world.emulator.finish({ jobId: job.id }, 'PutJobSuccessResult', 'Succeeded')
    const answered = await world.invoke(world.event(job, 'SUCCEEDED'))
    expect(answered.result?.closed).toBe(1)
    const lease = (await world.stack.schedule()).endDate
    world.emulator.reset()
    world.github.reset()
    const sweeps = [await world.sweep(), await world.sweep(), await world.sweep()]
    expect(sweeps.map((sweep) => sweep.result?.open)).toEqual([0, 0, 0])
    expect(world.emulator.requests).toEqual([])
    expect(world.github.requests).toEqual([])
    expect((await world.stack.schedule()).endDate).toEqual(lease)
  })

  it('ignores events of other action types', async () => {
    const job = world.queueJob()
    const event = world.event(job) as { detail: { type: Record<string, string> } }
    event.detail.type.provider = 'SomeoneElse'
    const { result } = await world.invoke(event)
    expect(result).toMatchObject({ trigger: 'ignored', polled: 0 })
    expect(world.emulator.requests).toEqual([])
  })

  it('accepts the version as a number, as older events carry it', async () => {
    const job = world.queueJob()
    const event = world.event(job) as { detail: { type: Record<string, unknown> } }
    event.detail.type.version = 1
    expect((await world.invoke(event)).result?.dispatched).toEqual([job.id])
  })
})

describe('CodePipeline refusing the bridge', () => {
  it("fails the invocation, so that EventBridge retries it, with what to allow in the function's role", async () => {
    world.emulator.inject(
      { kind: 'error', type: 'AccessDeniedException', message: 'not authorized' },
      { operation: 'PollForJobs' }
    )
    const job = world.queueJob()
    const { error, logs } = await world.invoke(world.event(job))
    expect(error?.message).toContain("Allow codepipeline:PollForJobs in the policy of the stack's FunctionRole")
    expect(logs.find((line) => line.level === 'error')?.message).toContain('AccessDeniedException: not authorized')
    // The record and the lease came first: the sweep takes the job from here.
    expect(await world.record(job)).toMatchObject({ phase: 'expected' })
    expect((await world.sweep()).result?.dispatched).toEqual([job.id])
  })
})
