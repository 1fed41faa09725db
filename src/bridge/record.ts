import type { FailureType } from '../portable/limits.js'
import type { WorkflowRun } from './github.js'
import type { RunFacts } from './run-binding.js'
import type { WorkflowTarget } from './target.js'

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

/** What every record may hold, whatever its phase. */
interface Common {
  /** The action execution ID, which the job and every event carry. */
  readonly key: string
  readonly createdAt: number
  readonly place?: PipelinePlace
  /** The job's ID; on an expected record, the job answered before it. */
  readonly jobId?: string
  /** The nonce of the latest handout, for acknowledging. */
  readonly nonce?: string
  /** The job ID the run was started with, which its calls to the endpoint name; the job index holds it. */
  readonly runJobId?: string
  /**
   * Credential-free mode: the bridge holds the action for its run by
   * answering each job with a continuation token. This is the token sent
   * last, until the job it continues into is polled, and when it was sent.
   */
  readonly continuation?: string
  readonly continuationSentAt?: number
  /** When the bridge first held the action for the run: from then on the run's calls go through it. */
  readonly heldAt?: number
  /** Output artifact uploads the run started and has not completed, as `<uploadId> <name>`. */
  readonly uploads?: readonly string[]
  /** The pipeline execution was stopped or abandoned, and when the bridge heard. */
  readonly stopped?: boolean
  readonly stoppedAt?: number
  /** The invocation working on the record, and until when; nobody else touches it meanwhile. */
  readonly leaseOwner?: string
  readonly leaseUntil?: number
}

/** Failed attempts to reach GitHub, the first one's time, and when to try again. */
interface Attempts {
  readonly attempts?: number
  readonly firstFailureAt?: number
  readonly nextAttemptAt?: number
  readonly lastError?: string
}

/**
 * A STARTED event came, or a job was answered that may be continued, and
 * the next job has not been polled yet. A continued job's run is kept.
 */
export interface ExpectedRecord extends Common {
  readonly phase: 'expected'
  readonly target?: WorkflowTarget
  readonly runId?: number
}

/** The job is the bridge's, and its run is being started. */
export interface DispatchingRecord extends Common, Attempts {
  readonly phase: 'dispatching'
  readonly jobId: string
  readonly target: WorkflowTarget
  readonly acknowledged?: boolean
  /** The branch or tag the run is started on, once known. */
  readonly ref?: string
  /**
   * Set right before a dispatch request goes out, cleared once its answer
   * is recorded. Found set later, it means a run may exist that nobody
   * recorded: it is looked for by name before anything is sent again.
   */
  readonly dispatchSentAt?: number
}

/** The run was started; it is watched until it ends. */
export interface RunningRecord extends Common, Attempts {
  readonly phase: 'running'
  readonly jobId: string
  readonly target: WorkflowTarget
  readonly acknowledged?: boolean
  readonly ref?: string
  /** When GitHub accepted the dispatch. */
  readonly dispatchedAt: number
  /** Unknown until the run is found by name (GitHub Enterprise Server 3.20 and older). */
  readonly runId?: number
  readonly runUrl?: string
  /** Long runs are looked at less often. */
  readonly nextCheckAt?: number
  /** The run's name was compared with the job ID, at the first look at the run. */
  readonly runNameChecked?: boolean
  /** What the first look found wrong with the run, for the job's failure message. */
  readonly warning?: string
  /** What GitHub says of the run, which a run's token is held against; read at the run's first call. */
  readonly runFacts?: RunFacts
  /** The run was found by the job ID in its name, among this many runs that carry it. */
  readonly foundByName?: number
}

/**
 * The run sent its own result through the bridge's endpoint (credential-free
 * mode), checked against CodePipeline's limits; CodePipeline must hear it.
 */
export interface ReportedRecord extends Common {
  readonly phase: 'reported'
  readonly jobId: string
  readonly target: WorkflowTarget
  readonly runId: number
  readonly runUrl?: string
  readonly acknowledged?: boolean
  /** PutJobSuccessResult's or PutJobFailureResult's input less the job ID, as JSON bytes: output variables can be long. */
  readonly report: Uint8Array
  readonly reportKind: 'success' | 'failure'
  readonly reportedAt: number
}

/** The job's result is decided, and CodePipeline must hear it. */
export interface DecidedRecord extends Common {
  readonly phase: 'decided'
  readonly jobId: string
  readonly outcome: Outcome
  readonly outcomeAt: number
  readonly acknowledged?: boolean
  readonly target?: WorkflowTarget
  readonly ref?: string
  /** A dispatch may have gone out, or went out: a stop looks for its run. */
  readonly dispatchSentAt?: number
  readonly dispatchedAt?: number
  readonly runId?: number
  readonly runUrl?: string
}

/** Nothing more to do. */
export interface ClosedRecord extends Common {
  readonly phase: 'closed'
  readonly closedBecause?: string
}

/** A stored item that fits no phase: it is closed, and never acted on. */
export interface UnreadableRecord {
  readonly phase: 'unreadable'
  readonly key: string
  readonly jobId?: string
  readonly problem: string
}

/** What the bridge knows about one action execution, kept in the state store. */
export type BridgeRecord =
  ExpectedRecord | DispatchingRecord | RunningRecord | DecidedRecord | ReportedRecord | ClosedRecord | UnreadableRecord

export type Phase = BridgeRecord['phase']
/** A record with a job on it that the bridge may still act on. */
export type JobRecord = DispatchingRecord | RunningRecord | DecidedRecord | ReportedRecord

/** The fields of one phase, without the phase. */
type FieldsOf<R extends BridgeRecord> = Omit<R, 'phase'>

/** Every field a stored item may have, whatever its phase: what the state store writes. */
export interface StoredFields extends Partial<
  FieldsOf<ExpectedRecord> &
    FieldsOf<DispatchingRecord> &
    FieldsOf<RunningRecord> &
    FieldsOf<DecidedRecord> &
    FieldsOf<ReportedRecord> &
    FieldsOf<ClosedRecord>
> {
  readonly key: string
  readonly createdAt: number
  readonly phase: Exclude<Phase, 'unreadable'>
}

/** Field changes for a record; undefined removes a field. */
export type Changes = { -readonly [K in keyof StoredFields]?: StoredFields[K] | undefined }

/** What timing the bridge works with, from its settings. */
export interface Timing {
  readonly queueTimeoutMs: number
  readonly retryWindowMs: number
}

/**
 * Dispatches a minute, across every invocation. GitHub takes 80 requests
 * that create content from an account in a minute. Counted by the clock's
 * minutes, two of them can fall within one of GitHub's 60 seconds, so each
 * takes well under half, leaving room for cancels and for clocks that
 * differ a little; a burst of pipelines is spread over minutes.
 */
export const DISPATCHES_PER_MINUTE = 35

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

/** One more failed attempt at GitHub, counted from the first. */
export function failedAttempt(
  record: Attempts,
  message: string,
  now: number
): { attempts: number; firstFailureAt: number; lastError: string } {
  return { attempts: (record.attempts ?? 0) + 1, firstFailureAt: record.firstFailureAt ?? now, lastError: message }
}

/** Whether GitHub has failed for the whole retry window: the job then fails with SystemUnavailable. */
export function retryWindowPassed(firstFailureAt: number, now: number, timing: Timing): boolean {
  return now - firstFailureAt >= timing.retryWindowMs
}

/** A record the bridge may still act on. */
export type OpenRecord = Exclude<BridgeRecord, ClosedRecord | UnreadableRecord>

/** What to do next, with the record in the phase the step is for. */
export type Step =
  /** The pipeline execution was stopped: cancel the run, if any, and close. */
  | { readonly kind: 'stop'; readonly record: OpenRecord }
  /** A result was decided: tell CodePipeline, then close. */
  | { readonly kind: 'deliver'; readonly record: DecidedRecord }
  /** The run reported through the bridge: tell CodePipeline, then close. */
  | { readonly kind: 'deliver-report'; readonly record: ReportedRecord }
  /** An expected job never showed up: close quietly. */
  | { readonly kind: 'forget'; readonly record: ExpectedRecord }
  /** The stored item fits no phase: close it. */
  | { readonly kind: 'discard'; readonly record: UnreadableRecord }
  /** Look for the run by the job ID in its name. */
  | { readonly kind: 'find-run'; readonly record: DispatchingRecord | RunningRecord }
  | { readonly kind: 'dispatch'; readonly record: DispatchingRecord }
  | { readonly kind: 'acknowledge'; readonly record: RunningRecord & { readonly nonce: string } }
  | { readonly kind: 'check-run'; readonly record: RunningRecord & { readonly runId: number } }
  /** Nothing to do before `until`, or at all. */
  | { readonly kind: 'wait'; readonly until?: number }

/** The next thing to do for a record. Pure: the whole state is in the record. */
export function nextStep(record: BridgeRecord, now: number): Step {
  if (record.phase === 'closed') return { kind: 'wait' }
  if (record.phase === 'unreadable') return { kind: 'discard', record }
  if (record.stopped) return { kind: 'stop', record }
  // A result goes to the job that is current: the one a continuation leads to, once the sweep polls it.
  // The job it continued has its answer already, so nothing is ever sent there again.
  if ((record.phase === 'decided' || record.phase === 'reported') && record.continuation !== undefined)
    return { kind: 'wait' }
  switch (record.phase) {
    case 'decided':
      return { kind: 'deliver', record }
    case 'reported':
      return { kind: 'deliver-report', record }
    case 'expected':
      return now - record.createdAt > EXPECT_MS ? { kind: 'forget', record } : { kind: 'wait' }
    case 'dispatching':
      if (record.dispatchSentAt !== undefined) return { kind: 'find-run', record }
      return waitFor(record.nextAttemptAt, now) ?? { kind: 'dispatch', record }
    case 'running': {
      const { nonce, runId } = record
      if (!record.acknowledged && nonce !== undefined) return { kind: 'acknowledge', record: { ...record, nonce } }
      if (runId === undefined) return waitFor(record.nextAttemptAt, now) ?? { kind: 'find-run', record }
      return waitFor(record.nextCheckAt, now) ?? { kind: 'check-run', record: { ...record, runId } }
    }
  }
}

function waitFor(until: number | undefined, now: number): Step | undefined {
  return until !== undefined && until > now ? { kind: 'wait', until } : undefined
}

/**
 * What to cancel when the pipeline execution was stopped: the known run,
 * a run to look for since a time (a dispatch went out), or nothing.
 */
export function runToStop(record: OpenRecord): { readonly runId: number } | { readonly since: number } | undefined {
  if (record.phase === 'dispatching')
    return record.dispatchSentAt === undefined ? undefined : { since: record.dispatchSentAt }
  if (record.runId !== undefined) return { runId: record.runId }
  if (record.phase === 'running') return { since: record.dispatchedAt }
  const since = record.phase === 'decided' ? (record.dispatchSentAt ?? record.dispatchedAt) : undefined
  return since === undefined ? undefined : { since }
}

/**
 * A run that cannot be read (GitHub busy or unreachable) is watched until
 * this long after its job was taken: two hours before CodePipeline's own
 * 24-hour job timeout, so that the pipeline hears why from the bridge.
 */
export const WATCH_UNREADABLE_RUN_MS = 22 * 3600_000

/**
 * What a failed read of the run means for its job: the run was deleted
 * (`gone`), reading it is refused for good (`refused`), it may pass and
 * the run is looked at again later (`retry`), or that has lasted too long
 * (`give-up`). A run that may still report is never failed before the bound.
 */
export function judgeUnreadRun(
  failure: { readonly gone: boolean; readonly retryable: boolean },
  takenAt: number,
  now: number
): 'gone' | 'refused' | 'retry' | 'give-up' {
  if (failure.gone) return 'gone'
  if (!failure.retryable) return 'refused'
  return now - takenAt < WATCH_UNREADABLE_RUN_MS ? 'retry' : 'give-up'
}

/** Whether the run's name carries the job ID, which is how a run whose dispatch answer was lost is found. */
export function namesJob(run: Pick<WorkflowRun, 'display_title'>, jobId: string): boolean {
  return run.display_title?.includes(jobId) === true
}

/** A re-run of a run the bridge holds the action for: its token may never answer, and the stage must be retried. Pure. */
export function rerunOfHeldRun(record: Pick<RunningRecord, 'heldAt'>, run: Pick<WorkflowRun, 'run_attempt'>): boolean {
  return record.heldAt !== undefined && typeof run.run_attempt === 'number' && run.run_attempt > 1
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
  // A run read by itself (its list missed it, or it is past the lists' two hours): every sweep for the first
  // quarter hour, when most runs end, then every other, so that an end is seen within two minutes at any age.
  if (!(age > 15 * 60_000) || NOT_STARTED.has(run.status)) return { kind: 'watch' }
  return { kind: 'watch', nextCheckAt: now + 2 * 60_000 - 5_000 }
}
