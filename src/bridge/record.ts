import type { FailureType } from '../portable/limits.js'
import type { WorkflowRun } from './github.js'
import type { WorkflowTarget } from './target.js'

/**
 * What the bridge knows about one action execution, kept in the state store:
 * - expected: a STARTED event came, or a job was answered that may be
 *   continued, and the next job has not been polled yet;
 * - dispatching: the job is the bridge's, its run is being started;
 * - running: the run was started; it is watched until it ends;
 * - closed: nothing more to do.
 */
export type Phase = 'expected' | 'dispatching' | 'running' | 'closed'

/** Where the action runs, as both the job and the event name it. */
export interface PipelinePlace {
  readonly pipeline: string
  readonly executionId: string
  readonly stage: string
  readonly action: string
}

/** A result decided for the job, kept until CodePipeline has it. */
export interface Outcome {
  readonly type: FailureType
  readonly message: string
}

export interface BridgeRecord {
  /** The action execution ID, which the job and every event carry. */
  readonly key: string
  readonly phase: Phase
  readonly createdAt: number
  readonly place?: PipelinePlace
  readonly jobId?: string
  /** The nonce of the latest handout, for acknowledging. */
  readonly nonce?: string
  readonly acknowledged?: boolean
  readonly target?: WorkflowTarget
  /** The branch or tag the run was started on. */
  readonly ref?: string
  /** Failed attempts to reach GitHub, the first one's time, and when to try again. */
  readonly attempts?: number
  readonly firstFailureAt?: number
  readonly nextAttemptAt?: number
  readonly lastError?: string
  /**
   * Set right before a dispatch request goes out, cleared once its answer
   * is recorded. Found set later, it means a run may exist that nobody
   * recorded: it is looked for by name before anything is sent again.
   */
  readonly dispatchSentAt?: number
  /** When GitHub accepted the dispatch. */
  readonly dispatchedAt?: number
  readonly runId?: number
  readonly runUrl?: string
  /** Long runs are looked at less often. */
  readonly nextCheckAt?: number
  readonly outcome?: Outcome
  readonly outcomeAt?: number
  /** The pipeline execution was stopped or abandoned, and when the bridge heard. */
  readonly stopped?: boolean
  readonly stoppedAt?: number
  readonly closedBecause?: string
  /** The invocation working on the record, and until when; nobody else touches it meanwhile. */
  readonly leaseOwner?: string
  readonly leaseUntil?: number
}

/** Field changes for a record; undefined removes a field. */
export type Changes = { -readonly [K in keyof BridgeRecord]?: BridgeRecord[K] | undefined }

/** What timing the bridge works with, from its settings. */
export interface Timing {
  readonly queueTimeoutMs: number
  readonly retryWindowMs: number
}

/** An expected job that does not show up within this long is not looked for any more. */
export const EXPECT_MS = 10 * 60_000

/**
 * How long a dispatch whose answer was lost may take to show up as a run
 * before it counts as never made: GitHub lists a new run within seconds.
 */
export function dispatchGraceMs(timing: Timing): number {
  return Math.min(2 * 60_000, timing.retryWindowMs / 4)
}

/** Backoff with jitter between attempts to reach GitHub: 20 s, 40 s, 80 s, … within a quarter of the window. */
export function backoffMs(attempts: number, timing: Timing, random: number, retryAfterMs?: number): number {
  const ceiling = Math.min(timing.retryWindowMs / 4, 20_000 * 2 ** Math.max(0, attempts - 1))
  const jittered = ceiling / 2 + (ceiling / 2) * random
  return Math.min(timing.retryWindowMs, Math.max(jittered, retryAfterMs ?? 0))
}

export type Step =
  /** The pipeline execution was stopped: cancel the run, if any, and close. */
  | { readonly kind: 'stop' }
  /** A result was decided: tell CodePipeline, then close. */
  | { readonly kind: 'deliver' }
  /** An expected job never showed up: close quietly. */
  | { readonly kind: 'forget' }
  /** Look for the run by the job ID in its name. */
  | { readonly kind: 'find-run' }
  | { readonly kind: 'dispatch' }
  | { readonly kind: 'acknowledge' }
  | { readonly kind: 'check-run' }
  /** Nothing to do before `until`, or at all. */
  | { readonly kind: 'wait'; readonly until?: number }

/** The next thing to do for a record. Pure: the whole state is in the record. */
export function nextStep(record: BridgeRecord, now: number): Step {
  if (record.phase === 'closed') return { kind: 'wait' }
  if (record.stopped) return { kind: 'stop' }
  if (record.outcome) return { kind: 'deliver' }
  switch (record.phase) {
    case 'expected':
      return now - record.createdAt > EXPECT_MS ? { kind: 'forget' } : { kind: 'wait' }
    case 'dispatching':
      if (record.dispatchSentAt !== undefined) return { kind: 'find-run' }
      if (record.nextAttemptAt !== undefined && record.nextAttemptAt > now)
        return { kind: 'wait', until: record.nextAttemptAt }
      return { kind: 'dispatch' }
    case 'running':
      if (!record.acknowledged && record.nonce !== undefined) return { kind: 'acknowledge' }
      if (record.runId === undefined) {
        return record.nextAttemptAt !== undefined && record.nextAttemptAt > now
          ? { kind: 'wait', until: record.nextAttemptAt }
          : { kind: 'find-run' }
      }
      if (record.nextCheckAt !== undefined && record.nextCheckAt > now)
        return { kind: 'wait', until: record.nextCheckAt }
      return { kind: 'check-run' }
  }
}

/** Runs that have not started: waiting for a runner, or for GitHub to queue them. */
const NOT_STARTED = new Set(['queued', 'requested', 'pending'])

export type RunVerdict =
  /** Still going (or waiting for an approval): look again at `nextCheckAt`, or at the next sweep. */
  | { readonly kind: 'watch'; readonly nextCheckAt?: number }
  /** Queued past the queue timeout: cancel it and fail the job. */
  | { readonly kind: 'queued-too-long'; readonly queuedMs: number }
  /** Completed: the job fails unless the run's own report got there first. */
  | { readonly kind: 'ended'; readonly conclusion: string }

/**
 * What a run's state means for its job. Only a completed run is acted on:
 * while it runs, its report step may still be going.
 */
export function judgeRun(run: WorkflowRun, now: number, timing: Timing): RunVerdict {
  const age = now - Date.parse(run.created_at)
  if (run.status === 'completed') return { kind: 'ended', conclusion: run.conclusion ?? 'unknown' }
  if (NOT_STARTED.has(run.status) && age > timing.queueTimeoutMs) return { kind: 'queued-too-long', queuedMs: age }
  // Every sweep for the first quarter hour, when most runs end; then every 2, later 5 minutes.
  if (!(age > 15 * 60_000) || NOT_STARTED.has(run.status)) return { kind: 'watch' }
  return { kind: 'watch', nextCheckAt: now + (age > 60 * 60_000 ? 5 : 2) * 60_000 - 5_000 }
}
