import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BridgeWorld } from '../../local/bridge-world.js'
import type { LambdaContainer } from '../../local/lambda.js'

// A release train: 500 pipelines reach the bridge's action at once. The template's code in four
// Lambda-like containers takes the 500 STARTED events as EventBridge delivers them, against a fake
// GitHub that holds the bridge to GitHub's secondary limits: 100 requests at once, 80 created a minute
// and 500 an hour.
const JOBS = 500
const MINUTE = 60_000
let world: BridgeWorld

beforeAll(async () => {
  world = await BridgeWorld.start({ simulatedTime: true })
  await world.fresh({ environment: { LOG_LEVEL: 'warn' } })
})
afterAll(async () => {
  await world.close()
})

describe('a burst of 500 STARTED events', () => {
  it('ends with every job dispatched at most once, each run started or its job failed with a reason', async () => {
    const jobs = Array.from({ length: JOBS }, () => world.queueJob())
    const containers: LambdaContainer[] = [world.container]
    for (let more = 0; more < 3; more++) containers.push(await world.newContainer())
    const events = jobs.map((job) => world.event(job))
    await Promise.all(
      containers.map(async (container) => {
        for (let event = events.shift(); event !== undefined; event = events.shift())
          await world.invoke(event, container, 120_000)
      })
    )
    const perMinute: number[] = []
    for (let minute = 0; minute < 30; minute++) {
      const before = world.github.dispatches.length
      world.clock.advance(MINUTE)
      await world.sweep()
      perMinute.push(world.github.dispatches.length - before)
      if (jobs.every((job) => world.github.runs.some((run) => run.inputs['job-id'] === job.id) || world.failure(job)))
        break
    }

    const dispatchesOf = new Map<string, number>()
    for (const request of world.github.dispatches) {
      const jobId = (request.body as { inputs: Record<string, string> }).inputs['job-id'] ?? ''
      dispatchesOf.set(jobId, (dispatchesOf.get(jobId) ?? 0) + 1)
    }
    expect(Math.max(...dispatchesOf.values())).toBe(1)
    for (const job of jobs) {
      const run = world.github.runs.find((candidate) => candidate.inputs['job-id'] === job.id)
      const failure = world.failure(job)
      expect(run !== undefined || (failure?.message.length ?? 0) > 0).toBe(true)
    }
    expect(world.github.runs).toHaveLength(JOBS)
    // Paced within GitHub's limits: nothing was refused, and no sweep started more than two minutes' worth.
    expect(world.github.tally.secondaryRefusals).toBe(0)
    expect(Math.max(...perMinute)).toBeLessThanOrEqual(80)
    const records = await world.stack.records()
    const phases = jobs.map((job) => records[job.data.pipelineContext.action.actionExecutionId]?.phase)
    expect(new Set(phases)).toEqual(new Set(['running']))
  }, 600_000)
})
