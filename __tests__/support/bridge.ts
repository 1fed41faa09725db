import { expect } from 'vitest'
import type { BridgeWorld } from '../../local/bridge-world.js'
import type { EmulatedJob } from '../../local/emulator/jobs.js'

/** The job was dispatched exactly once, and its record holds that run, acknowledged. */
export async function expectDispatchedOnce(world: BridgeWorld, job: EmulatedJob): Promise<void> {
  const runs = world.github.runs.filter((run) => run.inputs['job-id'] === job.id)
  expect(runs).toHaveLength(1)
  expect(world.github.requestsTo('POST', /dispatches$/)).toHaveLength(1)
  expect(await world.record(job)).toMatchObject({ phase: 'running', runId: runs[0]?.id, acknowledged: true })
  expect(job.state).toBe('InProgress')
}

/** Waits, in real time, until `condition` holds: for something another process does, never for time to pass. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
}
