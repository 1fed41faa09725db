import { describe, expect, it } from 'vitest'
import { decodeRecord } from '../../src/bridge/stored-record.js'

const target = { owner: 'acme', repo: 'app', workflow: 'build.yml' }
const outcome = { type: 'JobFailed', message: 'The workflow run failed.' }
const job = { key: 'a', createdAt: 1_000, jobId: 'j1', nonce: 'n', target }

describe('decodeRecord', () => {
  it('reads each phase as it is written', () => {
    expect(decodeRecord({ ...job, phase: 'dispatching', dispatchSentAt: 1_100 })).toEqual({
      ...job,
      phase: 'dispatching',
      dispatchSentAt: 1_100
    })
    const running = { ...job, phase: 'running', dispatchedAt: 1_200, runId: 7, acknowledged: true }
    expect(decodeRecord(running)).toEqual(running)
    const decided = { ...job, phase: 'decided', outcome, outcomeAt: 1_300, runId: 7 }
    expect(decodeRecord(decided)).toEqual(decided)
    const expected = { key: 'a', phase: 'expected', createdAt: 1_000 }
    expect(decodeRecord(expected)).toEqual(expected)
  })

  it('reads a run’s own result, kept as bytes, and closes one that lacks what delivering it needs', () => {
    const reported = { ...job, phase: 'reported', runId: 7, report: new Uint8Array([123, 125]), reportKind: 'success' }
    expect(decodeRecord(reported)).toEqual(reported)
    expect(decodeRecord({ ...reported, report: '{}' })).toMatchObject({ phase: 'unreadable' })
    expect(decodeRecord({ ...reported, runId: undefined })).toMatchObject({ phase: 'unreadable' })
  })

  it('keeps a closed record closed, whatever result it held', () => {
    const closed = { ...job, phase: 'closed', outcome, closedBecause: 'failed the job (JobFailed)' }
    expect(decodeRecord(closed)).toEqual(closed)
  })

  it('reads a result an older version kept on a dispatching or running record as decided', () => {
    expect(decodeRecord({ ...job, phase: 'running', dispatchedAt: 1_200, outcome, outcomeAt: 1_300 })).toMatchObject({
      phase: 'decided',
      outcome,
      outcomeAt: 1_300,
      dispatchedAt: 1_200
    })
    // A job whose configuration failed: no workflow, and no time the result was decided.
    expect(decodeRecord({ ...job, target: undefined, phase: 'dispatching', outcome })).toMatchObject({
      phase: 'decided',
      outcome,
      outcomeAt: 1_000
    })
  })

  it('gives an older running record without dispatchedAt the time its dispatch went out', () => {
    expect(decodeRecord({ ...job, phase: 'running', dispatchSentAt: 1_100 })).toMatchObject({ dispatchedAt: 1_100 })
    expect(decodeRecord({ ...job, phase: 'running' })).toMatchObject({ dispatchedAt: 1_000 })
  })

  it('reads an item that fits no phase as unreadable, saying why', () => {
    const problem = (fields: Record<string, unknown>) => {
      const record = decodeRecord(fields)
      return record.phase === 'unreadable' ? record.problem : undefined
    }
    expect(problem({ ...job, phase: 'paused' })).toBe('its phase "paused" is not known')
    expect(problem({ ...job, phase: undefined })).toBe('its phase undefined is not known')
    expect(problem({ ...job, phase: 'running', createdAt: undefined })).toBe('it has no createdAt')
    expect(problem({ ...job, phase: 'running', jobId: 5 })).toBe('a running record has no jobId')
    expect(problem({ ...job, phase: 'dispatching', target: { owner: 'acme' } })).toBe(
      'a dispatching record has no workflow to run'
    )
    expect(problem({ ...job, phase: 'decided', outcome: { type: 'JobFailed' } })).toBe(
      'a decided record has no outcome'
    )
    expect(decodeRecord({ ...job, phase: 'paused' })).toEqual({
      phase: 'unreadable',
      key: 'a',
      jobId: 'j1',
      problem: 'its phase "paused" is not known'
    })
  })
})
