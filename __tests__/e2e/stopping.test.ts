import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CodePipelineEmulator } from '../../local/emulator/server.js'
import type { EmulatedJob } from '../../local/emulator/jobs.js'
import { RUNNER_STOP, runStep, type StepOptions, type StepRun } from '../../local/runner.js'

// The runner stopping a step: a cancelled run, timeout-minutes, a runner going away.
let emulator: CodePipelineEmulator

beforeAll(async () => {
  emulator = await CodePipelineEmulator.start({ newJobState: 'InProgress' })
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

/**
 * Stops a step `afterSpawnMs` after it started, or, when the process died of
 * the signal before printing anything, a little later each time until one
 * does not. Node.js itself takes some tens of milliseconds to start (more on
 * a busy machine), and nothing can catch a signal before it runs; from the
 * first moment it can, the entry file holds the stop. Each try sets up a step
 * of its own with `prepare`. The first step that caught its stop.
 */
async function firstCaughtStop(
  prepare: () => StepOptions,
  afterSpawnMs: number,
  signal: 'SIGINT' | 'SIGTERM' = 'SIGINT'
): Promise<StepRun> {
  for (let at = afterSpawnMs; at < afterSpawnMs + 5_000; at += 5) {
    const run = await runStep({ ...prepare(), stop: { when: { afterSpawnMs: at }, signal } })
    const diedStarting = run.code === null && run.stdout === '' && run.stderr === ''
    if (!diedStarting) return run
  }
  throw new Error(`no step caught a stop within 5 s of ${afterSpawnMs} ms after it started`)
}

/**
 * The job of a reporting step that acknowledges first, with CodePipeline two seconds slow to answer:
 * a stop in the step's first few hundred milliseconds always comes before its result.
 */
let job: EmulatedJob
function reporting(): StepOptions {
  job = emulator.createJob()
  emulator.inject({ kind: 'latency', ms: 2_000 }, { operation: 'AcknowledgeJob' })
  return { endpoint: emulator.url, inputs: { 'job-id': job.id, nonce: job.nonce } }
}

/** A job step claiming a job of a type none is queued for, so that it polls until it is stopped. */
const claiming = (): StepOptions => ({
  action: 'job',
  endpoint: emulator.url,
  inputs: { provider: 'GitHubActions', query: 'Workflow=nothing-queued', 'wait-seconds': '60' }
})

describe('a stop while the step is still loading', () => {
  it('is held from the first moment the process can catch it, before the step has printed a line', async () => {
    const run = await firstCaughtStop(reporting, 0)
    expect(run.stdoutBeforeStop).toBe('')
    expect(run.killed).toBe(false)
    expect(job.state).toBe('Failed')
    expect(run.stdout).toMatch(/::error::The runner stopped the step \(SIGINT\).*Reported JobFailed to CodePipeline/)
  })

  it.each([50, 100, 200, 400])(
    'reaches the step, which answers the job, %i ms after it started',
    async (afterSpawnMs) => {
      const run = await firstCaughtStop(reporting, afterSpawnMs)
      expect(run.killed).toBe(false)
      expect(run.code).toBe(1)
      expect(job.state).toBe('Failed')
      expect(job.result?.body.failureDetails).toMatchObject({
        type: 'JobFailed',
        message: expect.stringMatching(
          /^The runner stopped the step \(SIGINT\).*before the step reported a result/
        ) as unknown
      })
    }
  )

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'reaches the job action, which says it claimed nothing, on %s',
    async (signal) => {
      const run = await firstCaughtStop(claiming, 0, signal)
      expect(run.stdoutBeforeStop).toBe('')
      expect(run.killed).toBe(false)
      expect(run.stdout).toMatch(
        new RegExp(`::error::The runner stopped the step \\(${signal}\\): .*\\. No job was claimed\\.`)
      )
    }
  )
})
