import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { BridgeWorld } from '../../local/bridge-world.js'

// GitHub Enterprise Server 3.20 and older refuse return_run_details: the bridge dispatches without it and finds the run by its name.
let ghes: BridgeWorld

beforeAll(async () => {
  ghes = await BridgeWorld.start({
    simulatedTime: true,
    flavour: 'ghes-3.20',
    parameters: { QueueTimeoutMinutes: '0.05' }
  })
})
afterAll(() => ghes.close())
beforeEach(() => ghes.fresh())

it('dispatches again without asking for the run, and finds the run by the job ID in its name', async () => {
  const job = ghes.queueJob()
  const { result } = await ghes.invoke(ghes.event(job))
  expect(result?.dispatched).toEqual([job.id])
  const dispatches = ghes.github.requestsTo('POST', /dispatches$/)
  expect(dispatches.map((request) => request.status)).toEqual([422, 204])
  expect(dispatches[1]?.body).toEqual({ ref: 'main', inputs: { 'job-id': job.id } })
  expect(await ghes.record(job)).toMatchObject({ phase: 'running', runId: ghes.github.runs[0]?.id })
  // The container remembers: the next job is dispatched once.
  ghes.github.reset()
  await ghes.invoke(ghes.event(ghes.queueJob()))
  expect(ghes.github.requestsTo('POST', /dispatches$/).map((request) => request.status)).toEqual([204])
})

it('fails the job with SystemUnavailable when no run carries the job ID, naming the run-name to set', async () => {
  const job = ghes.queueJob({ Workflow: 'unnamed.yml' })
  await ghes.invoke(ghes.event(job))
  expect(ghes.github.runs).toHaveLength(1)
  expect(await ghes.record(job)).toMatchObject({ phase: 'running', acknowledged: true })
  ghes.clock.advance(3_500)
  await ghes.sweep()
  expect(ghes.failure(job)).toMatchObject({
    type: 'SystemUnavailable',
    message: expect.stringContaining("Give the workflow run-name: 'CodePipeline ${{ inputs.job-id }}'") as unknown
  })
})
