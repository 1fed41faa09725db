import { describe, expect, it } from 'vitest'
import type { WorkflowRun } from '../../src/bridge/github.js'
import {
  backoffMs,
  dispatchGraceMs,
  EXPECT_MS,
  judgeRun,
  nextStep,
  type BridgeRecord
} from '../../src/bridge/record.js'

const NOW = Date.parse('2026-11-25T12:00:00Z')
const TIMING = { queueTimeoutMs: 30 * 60_000, retryWindowMs: 15 * 60_000 }
const base: BridgeRecord = {
  key: 'a',
  phase: 'dispatching',
  createdAt: NOW - 1_000,
  jobId: '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11',
  nonce: '1',
  target: { owner: 'acme', repo: 'app', workflow: 'build.yml' }
}
const step = (changes: Partial<BridgeRecord>) => nextStep({ ...base, ...changes }, NOW).kind

describe('nextStep', () => {
  it('dispatches a new job, and waits out a backoff first', () => {
    expect(step({})).toBe('dispatch')
    expect(nextStep({ ...base, nextAttemptAt: NOW + 5_000 }, NOW)).toEqual({ kind: 'wait', until: NOW + 5_000 })
  })

  it('looks for the run before anything else when a dispatch may have gone out', () => {
    expect(step({ dispatchSentAt: NOW - 10, nextAttemptAt: NOW + 60_000 })).toBe('find-run')
  })

  it('acknowledges a running job first, then looks for its run or checks it', () => {
    expect(step({ phase: 'running' })).toBe('acknowledge')
    expect(step({ phase: 'running', acknowledged: true })).toBe('find-run')
    expect(step({ phase: 'running', acknowledged: true, runId: 1 })).toBe('check-run')
    expect(step({ phase: 'running', nonce: undefined, runId: 1 })).toBe('check-run')
    expect(step({ phase: 'running', acknowledged: true, runId: 1, nextCheckAt: NOW + 1 })).toBe('wait')
  })

  it('puts a stop before a decided result, and a result before everything else', () => {
    expect(step({ outcome: { type: 'JobFailed', message: 'x' }, stopped: true })).toBe('stop')
    expect(step({ phase: 'running', outcome: { type: 'JobFailed', message: 'x' } })).toBe('deliver')
  })

  it('forgets a STARTED event whose job never showed up', () => {
    expect(step({ phase: 'expected', createdAt: NOW - EXPECT_MS + 1 })).toBe('wait')
    expect(step({ phase: 'expected', createdAt: NOW - EXPECT_MS - 1 })).toBe('forget')
  })

  it('does nothing for a closed record', () => {
    expect(step({ phase: 'closed', stopped: true })).toBe('wait')
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

  it('looks at long runs less often: every sweep for 15 minutes, then every 2, after an hour every 5', () => {
    expect(judgeRun(run('in_progress', null, 14 * 60_000), NOW, TIMING)).toEqual({ kind: 'watch' })
    expect(judgeRun(run('in_progress', null, 20 * 60_000), NOW, TIMING)).toEqual({
      kind: 'watch',
      nextCheckAt: NOW + 115_000
    })
    expect(judgeRun(run('in_progress', null, 90 * 60_000), NOW, TIMING)).toEqual({
      kind: 'watch',
      nextCheckAt: NOW + 295_000
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
