import { describe, expect, it } from 'vitest'
import type { WorkflowRun } from '../../src/bridge/github.js'
import {
  backoffMs,
  dispatchGraceMs,
  EXPECT_MS,
  failedAttempt,
  judgeRun,
  judgeUnreadRun,
  nextStep,
  retryWindowPassed,
  runToStop,
  type DecidedRecord,
  type DispatchingRecord,
  type ReportedRecord,
  type RunningRecord,
  WATCH_UNREADABLE_RUN_MS
} from '../../src/bridge/record.js'
import { isBridgeToken, mayHold } from '../../src/bridge/hold.js'

const NOW = Date.parse('2026-11-25T12:00:00Z')
const TIMING = { queueTimeoutMs: 30 * 60_000, retryWindowMs: 15 * 60_000 }
const dispatching: DispatchingRecord = {
  key: 'a',
  phase: 'dispatching',
  createdAt: NOW - 1_000,
  jobId: '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11',
  nonce: '1',
  target: { owner: 'acme', repo: 'app', workflow: 'build.yml' }
}
const running: RunningRecord = { ...dispatching, phase: 'running', dispatchedAt: NOW - 500 }
const decided: DecidedRecord = {
  ...dispatching,
  phase: 'decided',
  outcome: { type: 'JobFailed', message: 'x' },
  outcomeAt: NOW
}
const step = (changes: Partial<DispatchingRecord>) => nextStep({ ...dispatching, ...changes }, NOW).kind
const stepRunning = (changes: Partial<RunningRecord>) => nextStep({ ...running, ...changes }, NOW).kind

describe('nextStep', () => {
  it('dispatches a new job, and waits out a backoff first', () => {
    expect(step({})).toBe('dispatch')
    expect(nextStep({ ...dispatching, nextAttemptAt: NOW + 5_000 }, NOW)).toEqual({ kind: 'wait', until: NOW + 5_000 })
  })

  it('looks for the run before anything else when a dispatch may have gone out', () => {
    expect(step({ dispatchSentAt: NOW - 10, nextAttemptAt: NOW + 60_000 })).toBe('find-run')
  })

  it('acknowledges a running job first, then looks for its run or checks it', () => {
    expect(stepRunning({})).toBe('acknowledge')
    expect(stepRunning({ acknowledged: true })).toBe('find-run')
    expect(stepRunning({ acknowledged: true, runId: 1 })).toBe('check-run')
    expect(stepRunning({ nonce: undefined, runId: 1 })).toBe('check-run')
    expect(stepRunning({ acknowledged: true, runId: 1, nextCheckAt: NOW + 1 })).toBe('wait')
  })

  it('hands each step the record with what the step needs', () => {
    expect(nextStep({ ...running, acknowledged: true, runId: 7 }, NOW)).toMatchObject({
      kind: 'check-run',
      record: { runId: 7 }
    })
    expect(nextStep(running, NOW)).toMatchObject({ kind: 'acknowledge', record: { nonce: '1' } })
  })

  it('puts a stop before a decided result, and a result before everything else', () => {
    expect(nextStep({ ...decided, stopped: true }, NOW).kind).toBe('stop')
    expect(nextStep(decided, NOW).kind).toBe('deliver')
  })

  it('forgets a STARTED event whose job never showed up', () => {
    const expected = { key: 'a', phase: 'expected', createdAt: NOW - EXPECT_MS + 1 } as const
    expect(nextStep(expected, NOW).kind).toBe('wait')
    expect(nextStep({ ...expected, createdAt: NOW - EXPECT_MS - 1 }, NOW).kind).toBe('forget')
  })

  it('does nothing for a closed record, and discards an unreadable one', () => {
    expect(nextStep({ key: 'a', phase: 'closed', createdAt: NOW, stopped: true }, NOW).kind).toBe('wait')
    expect(nextStep({ key: 'a', phase: 'unreadable', problem: 'it has no createdAt' }, NOW).kind).toBe('discard')
  })
})

describe('runToStop', () => {
  it('cancels the known run, looks for one a dispatch may have made, and leaves a job never dispatched', () => {
    expect(runToStop({ ...running, runId: 7 })).toEqual({ runId: 7 })
    expect(runToStop(running)).toEqual({ since: NOW - 500 })
    expect(runToStop({ ...dispatching, dispatchSentAt: NOW - 10 })).toEqual({ since: NOW - 10 })
    expect(runToStop(dispatching)).toBeUndefined()
    expect(runToStop(decided)).toBeUndefined()
    expect(runToStop({ ...decided, dispatchedAt: NOW - 20 })).toEqual({ since: NOW - 20 })
  })

  it('cancels the run of an answered job whose next job is expected, without looking for one', () => {
    expect(runToStop({ key: 'a', phase: 'expected', createdAt: NOW, runId: 3 })).toEqual({ runId: 3 })
    expect(runToStop({ key: 'a', phase: 'expected', createdAt: NOW })).toBeUndefined()
  })
})

describe('failed attempts', () => {
  it('count from the first failure, and give up once the retry window has passed since it', () => {
    expect(failedAttempt({}, 'boom', NOW)).toEqual({ attempts: 1, firstFailureAt: NOW, lastError: 'boom' })
    expect(failedAttempt({ attempts: 2, firstFailureAt: NOW - 5 }, 'again', NOW)).toEqual({
      attempts: 3,
      firstFailureAt: NOW - 5,
      lastError: 'again'
    })
    expect(retryWindowPassed(NOW - TIMING.retryWindowMs + 1, NOW, TIMING)).toBe(false)
    expect(retryWindowPassed(NOW - TIMING.retryWindowMs, NOW, TIMING)).toBe(true)
  })
})

const run = (status: string, conclusion: string | null, ageMs: number): WorkflowRun => ({
  id: 1,
  status,
  conclusion,
  html_url: 'https://github.com/acme/app/actions/runs/1',
  created_at: new Date(NOW - ageMs).toISOString()
})

describe('judgeRun', () => {
  it('acts on a completed run only', () => {
    expect(judgeRun(run('completed', 'failure', 60_000), NOW, TIMING)).toEqual({ kind: 'ended', conclusion: 'failure' })
    expect(judgeRun(run('in_progress', null, 60_000), NOW, TIMING)).toEqual({ kind: 'watch' })
    expect(judgeRun(run('waiting', null, 3 * 60 * 60_000), NOW, TIMING).kind).toBe('watch')
  })

  it('gives up on a run queued past the queue timeout', () => {
    expect(judgeRun(run('queued', null, 29 * 60_000), NOW, TIMING)).toEqual({ kind: 'watch' })
    expect(judgeRun(run('queued', null, 31 * 60_000), NOW, TIMING)).toEqual({
      kind: 'queued-too-long',
      queuedMs: 31 * 60_000
    })
    expect(judgeRun(run('pending', null, 31 * 60_000), NOW, TIMING).kind).toBe('queued-too-long')
  })

  it('looks at long runs less often: every sweep for 15 minutes, then every 2 at any age', () => {
    expect(judgeRun(run('in_progress', null, 14 * 60_000), NOW, TIMING)).toEqual({ kind: 'watch' })
    expect(judgeRun(run('in_progress', null, 20 * 60_000), NOW, TIMING)).toEqual({
      kind: 'watch',
      nextCheckAt: NOW + 115_000
    })
    expect(judgeRun(run('in_progress', null, 90 * 60_000), NOW, TIMING)).toEqual({
      kind: 'watch',
      nextCheckAt: NOW + 115_000
    })
  })
})

describe('backoff', () => {
  it('doubles from 20 seconds with jitter, within a quarter of the retry window', () => {
    expect(backoffMs(1, TIMING, 0)).toBe(10_000)
    expect(backoffMs(1, TIMING, 1)).toBe(20_000)
    expect(backoffMs(3, TIMING, 1)).toBe(80_000)
    expect(backoffMs(10, TIMING, 1)).toBe(TIMING.retryWindowMs / 4)
  })

  it('honours Retry-After, up to the retry window', () => {
    expect(backoffMs(1, TIMING, 0, 60_000)).toBe(60_000)
    expect(backoffMs(1, TIMING, 0, 60 * 60_000)).toBe(TIMING.retryWindowMs)
  })

  it('gives a lost dispatch two minutes to show up as a run, less in a short window', () => {
    expect(dispatchGraceMs(TIMING)).toBe(120_000)
    expect(dispatchGraceMs({ ...TIMING, retryWindowMs: 60_000 })).toBe(15_000)
  })
})

describe('judgeUnreadRun', () => {
  const taken = NOW - 60_000
  it('ends the job when the run is gone, or reading it is refused for good (401 after a fresh token, a 403 that is no rate limit)', () => {
    expect(judgeUnreadRun({ gone: true, retryable: false }, taken, NOW)).toBe('gone')
    expect(judgeUnreadRun({ gone: false, retryable: false }, taken, NOW)).toBe('refused')
    // Refused stays refused, however young the job.
    expect(judgeUnreadRun({ gone: false, retryable: false }, NOW, NOW)).toBe('refused')
  })

  it('keeps watching through throttling, 5xx and the network until 22 hours after the job was taken, then gives up', () => {
    expect(WATCH_UNREADABLE_RUN_MS).toBe(22 * 3600_000)
    expect(judgeUnreadRun({ gone: false, retryable: true }, taken, NOW)).toBe('retry')
    const bound = taken + WATCH_UNREADABLE_RUN_MS
    expect(judgeUnreadRun({ gone: false, retryable: true }, taken, bound - 1)).toBe('retry')
    expect(judgeUnreadRun({ gone: false, retryable: true }, taken, bound)).toBe('give-up')
    // Two hours before CodePipeline's 24-hour job timeout.
    expect(24 * 3600_000 - WATCH_UNREADABLE_RUN_MS).toBe(2 * 3600_000)
  })
})

describe('nextStep, for a job the bridge holds for its run', () => {
  const reported: ReportedRecord = {
    ...dispatching,
    phase: 'reported',
    runId: 7,
    report: new Uint8Array(),
    reportKind: 'success',
    reportedAt: NOW
  }

  it('delivers the run’s own result', () => {
    expect(nextStep(reported, NOW).kind).toBe('deliver-report')
  })

  it('keeps a result, the run’s or the bridge’s, until the job its continuation leads to is taken', () => {
    const pending = { continuation: 'codepipeline-bridge:abc', continuationSentAt: NOW - 3 * 3600_000 }
    expect(nextStep({ ...reported, ...pending }, NOW)).toEqual({ kind: 'wait' })
    expect(nextStep({ ...decided, ...pending }, NOW)).toEqual({ kind: 'wait' })
    // The run is still watched meanwhile.
    expect(nextStep({ ...running, runId: 7, acknowledged: true, ...pending }, NOW).kind).toBe('check-run')
  })

  it('stops a stopped execution whatever it waits for', () => {
    expect(nextStep({ ...reported, continuation: 'codepipeline-bridge:abc', stopped: true }, NOW).kind).toBe('stop')
  })
})

describe('mayHold and isBridgeToken', () => {
  const held = { ...running, runId: 7, acknowledged: true }

  it('holds an acknowledged job whose run is known, with no continuation on its way', () => {
    expect(mayHold(held)).toBe(true)
    expect(mayHold({ ...held, acknowledged: false })).toBe(false)
    expect(mayHold({ ...held, runId: undefined })).toBe(false)
    expect(mayHold({ ...held, continuation: 'codepipeline-bridge:abc' })).toBe(false)
    expect(mayHold({ ...held, stopped: true })).toBe(false)
    expect(mayHold(decided)).toBe(false)
  })

  it('tells the bridge’s tokens from a run’s own', () => {
    expect(isBridgeToken('codepipeline-bridge:abc')).toBe(true)
    expect(isBridgeToken('step-2')).toBe(false)
  })
})
