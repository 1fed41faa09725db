import type { BridgeRecord, StoredFields } from './record.js'

type Stored = Partial<StoredFields> & { readonly key: string }

/**
 * A stored item's fields as a record of its phase. Items written by older
 * versions (kept for up to two days) kept a decided result on a
 * dispatching or running record, and may lack a running record's
 * `dispatchedAt`: both are read as they were meant. An item that fits no
 * phase comes back unreadable, saying why, to be closed.
 */
export function decodeRecord(fields: Readonly<Record<string, unknown>>): BridgeRecord {
  // The store writes every field with its type; what each phase relies on is checked.
  const stored = fields as Stored
  const { key, phase, jobId, createdAt = 0 } = stored
  const problem = problemWith(stored)
  if (problem !== undefined) return { phase: 'unreadable', key, jobId, problem }
  if (phase === 'closed' || phase === 'expected' || phase === 'reported') return stored as BridgeRecord
  if (hasStrings(stored.outcome, 'type', 'message'))
    return { ...stored, phase: 'decided', outcomeAt: stored.outcomeAt ?? createdAt } as BridgeRecord
  if (phase === 'running')
    return { ...stored, dispatchedAt: stored.dispatchedAt ?? stored.dispatchSentAt ?? createdAt } as BridgeRecord
  return stored as BridgeRecord
}

/** Why the stored fields fit no phase; undefined when they fit one. */
function problemWith({ phase, jobId, createdAt, outcome, target, report, runId }: Stored): string | undefined {
  if (typeof createdAt !== 'number') return 'it has no createdAt'
  if (phase === 'closed' || phase === 'expected') return undefined
  if (phase !== 'dispatching' && phase !== 'running' && phase !== 'decided' && phase !== 'reported')
    return `its phase ${JSON.stringify(phase)} is not known`
  if (typeof jobId !== 'string') return `a ${phase} record has no jobId`
  if (phase === 'reported')
    return report instanceof Uint8Array && typeof runId === 'number' && hasStrings(target, 'owner', 'repo', 'workflow')
      ? undefined
      : 'a reported record lacks its report, run or workflow'
  if (hasStrings(outcome, 'type', 'message')) return undefined
  if (phase === 'decided') return 'a decided record has no outcome'
  return hasStrings(target, 'owner', 'repo', 'workflow') ? undefined : `a ${phase} record has no workflow to run`
}

/** Whether the value is an object whose named fields are all strings. */
function hasStrings<T>(value: T | undefined, ...names: (keyof T)[]): value is T {
  return typeof value === 'object' && value !== null && names.every((name) => typeof value[name] === 'string')
}
