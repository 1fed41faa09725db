import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CodePipelineEmulator } from '../../local/emulator/server.js'
import { RUNNER_STOP, runStep } from '../../local/runner.js'

// The runner stopping a step: a cancelled run, timeout-minutes, a runner going away.
let emulator: CodePipelineEmulator

beforeAll(async () => {
  emulator = await CodePipelineEmulator.start()
})
afterAll(() => emulator.close())
beforeEach(() => {
  emulator.reset()
  emulator.jobs.failWaiting()
})

/** The moment the step starts a call to CodePipeline, as its debug line says. */
const calling = (operation: string): RegExp => new RegExp(`::debug::Calling CodePipeline ${operation} `)

describe('a reporting step the runner stops', () => {
  it('reports a failure within the grace period when stopped while acknowledging', async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'latency', ms: 60_000 }, { operation: 'AcknowledgeJob' })
    const run = await runStep({
      endpoint: emulator.url,
      inputs: { 'job-id': job.id, nonce: job.nonce },
      stop: { when: calling('AcknowledgeJob') }
    })
    expect(run.killed).toBe(false)
    expect(run.stoppedForMs).toBeLessThan(RUNNER_STOP.termAfterMs)
    expect(run.code).toBe(1)
    expect(job.state).toBe('Failed')
    expect(job.result?.body.failureDetails).toMatchObject({
      type: 'JobFailed',
      message: expect.stringMatching(
        /^The runner stopped the step \(SIGINT\).*before the step reported a result\. See https:\/\/github\.com\/acme\/app\/actions\/runs\/9876543210$/
      ) as unknown
    })
    expect(run.stdout).toMatch(/::error::The runner stopped the step \(SIGINT\).*Reported JobFailed to CodePipeline/)
    expect(run.outputs).toMatchObject({ reported: 'failure', confirmed: 'true' })
    expect(run.summary).toContain('CodePipeline job failed')
  })

  it('lets a result already on its way finish, and sends nothing after it', async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'latency', ms: 1_500 }, { operation: 'PutJobSuccessResult' })
    const run = await runStep({
      endpoint: emulator.url,
      inputs: { 'job-id': job.id },
      stop: { when: calling('PutJobSuccessResult') }
    })
    expect(run.code).toBe(0)
    expect(job.state).toBe('Succeeded')
    expect(emulator.operations()).toEqual(['PutJobSuccessResult'])
    expect(run.outputs).toMatchObject({ reported: 'success', confirmed: 'true' })
  })

  it('sends a failure instead when the result on its way does not get through in time', async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'latency', ms: 30_000 }, { operation: 'PutJobSuccessResult' })
    const run = await runStep({
      endpoint: emulator.url,
      inputs: { 'job-id': job.id },
      stop: { when: calling('PutJobSuccessResult'), signal: 'SIGTERM' }
    })
    expect(run.killed).toBe(false)
    expect(run.stoppedForMs).toBeLessThan(RUNNER_STOP.killAfterMs)
    expect(run.code).toBe(1)
    expect(job.state).toBe('Failed')
    expect(job.result?.operation).toBe('PutJobFailureResult')
  })
})

describe('a job action the runner stops', () => {
  it('has set job-id the moment it claimed the job', async () => {
    const job = emulator.createJob({ state: 'Queued' })
    emulator.inject({ kind: 'latency', ms: 60_000 }, { operation: 'ListActionTypes' })
    const run = await runStep({
      endpoint: emulator.url,
      action: 'job',
      inputs: { provider: 'GitHubActions', query: 'Workflow=build' },
      stop: { when: calling('ListActionTypes') }
    })
    expect(run.killed).toBe(false)
    expect(run.code).toBe(1)
    expect(run.outputs).toEqual({ 'job-id': job.id, confirmed: 'true' })
    expect(run.stdout).toMatch(
      /::error::The runner stopped the step \(SIGINT\).*Job \S+ stays claimed by this workflow; its ID is in the job-id output/
    )
  })

  it('gives the ID of a job it was acknowledging when stopped', async () => {
    const job = emulator.createJob({ state: 'Queued' })
    emulator.inject({ kind: 'latency', ms: 60_000 }, { operation: 'AcknowledgeJob' })
    const run = await runStep({
      endpoint: emulator.url,
      action: 'job',
      inputs: { provider: 'GitHubActions', query: 'Workflow=build' },
      stop: { when: calling('AcknowledgeJob') }
    })
    expect(run.killed).toBe(false)
    expect(run.code).toBe(1)
    expect(run.outputs).toEqual({ 'job-id': job.id })
    expect(run.stdout).toMatch(/while acknowledging job \S+, which may now be claimed by this workflow/)
  })
})
