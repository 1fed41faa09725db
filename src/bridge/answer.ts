import { errorCode } from '../portable/aws-errors.js'
import { acknowledge, CodePipelineCallError } from '../portable/codepipeline.js'
import { requestProblems } from '../portable/limits.js'
import type { WorkflowRun } from './github.js'
import { CredentialsError } from './github-credentials.js'
import { GitHubError } from './github-request.js'
import {
  credentialsOutcome,
  queuedTooLongOutcome,
  runEndedOutcome,
  runGoneOutcome,
  runUnreadableOutcome,
  runUnwatchedOutcome,
  rerunOutcome,
  unnamedRunWarning,
  withWarning
} from './outcomes.js'
import {
  backoffMs,
  dispatchGraceMs,
  failedAttempt,
  judgeRun,
  judgeUnreadRun,
  namesJob,
  rerunOfHeldRun,
  runToStop,
  type BridgeRecord,
  type Changes,
  type DecidedRecord,
  type JobRecord,
  type OpenRecord,
  type Outcome,
  type ReportedRecord,
  type RunningRecord
} from './record.js'
import { abortOpenUploads } from './artifact-calls.js'
import { runFacts } from './run-binding.js'
import type { Session } from './session.js'
import { lookForRun } from './start.js'

type Result = Promise<BridgeRecord | undefined>

/** Reads the run; once it has ended, or has been queued too long, the job's result is decided. */
export async function checkRun(session: Session, record: RunningRecord & { readonly runId: number }): Result {
  const { target, runId, jobId } = record
  const { github, settings } = session.parts
  let run: WorkflowRun
  try {
    run = session.sightings.get(runId) ?? (await github.run(target.owner, target.repo, runId))
  } catch (error) {
    return unreadRun(session, record, error)
  }
  if (!record.runNameChecked) record = checkRunName(session, record, run)
  // The attempt seen first is the one whose token may answer: a re-run's may not.
  if (record.runFacts === undefined) record = session.later(record, { runFacts: runFacts(run) })
  if (rerunOfHeldRun(record, run)) {
    await cancelRun(session, target, runId, jobId)
    return decide(session, record, rerunOutcome(run))
  }
  const verdict = judgeRun(run, session.now, settings)
  if (verdict.kind === 'watch')
    return session.letGo(record, {
      nextCheckAt: verdict.nextCheckAt,
      runUrl: run.html_url,
      ...(record.attempts && { attempts: undefined, firstFailureAt: undefined, lastError: undefined })
    })
  if (verdict.kind === 'queued-too-long') {
    await cancelRun(session, target, runId, jobId)
    return decide(session, record, queuedTooLongOutcome(run, verdict.queuedMs, settings.queueTimeoutMs))
  }
  // Completed: whatever its report step did is done, so this cannot race it.
  return decide(session, record, runEndedOutcome(run, jobId))
}

/**
 * At the first look at the run: a name without the job ID is warned about
 * now, while nothing is wrong yet, and the warning is kept for the job's
 * failure message.
 */
function checkRunName(
  session: Session,
  record: RunningRecord & { readonly runId: number },
  run: WorkflowRun
): RunningRecord & { readonly runId: number } {
  // The run is named after the job it was started for, which a continuation does not change.
  const warning = namesJob(run, record.runJobId ?? record.jobId) ? undefined : unnamedRunWarning(run)
  if (warning) session.log.warn(warning, { jobId: record.jobId, runId: run.id })
  return session.later(record, { runNameChecked: true, ...(warning && { warning }) })
}

/** Reading the run failed: it is looked at again later while that may pass; otherwise the job fails, saying why. */
async function unreadRun(session: Session, record: RunningRecord & { readonly runId: number }, error: unknown): Result {
  const { runId, jobId } = record
  if (!(error instanceof GitHubError || error instanceof CredentialsError)) throw error
  const run = record.runUrl ?? String(runId)
  // A 404 for the run itself, not for the App's installation on the way to a token.
  const gone = error instanceof GitHubError && error.status === 404 && error.request.endsWith(`/runs/${runId}`)
  const verdict = judgeUnreadRun({ gone, retryable: error.retryable }, record.createdAt, session.now)
  if (verdict === 'gone') return decide(session, record, runGoneOutcome(record.runUrl, runId))
  const { settings, clock } = session.parts
  if (verdict === 'refused')
    return decide(
      session,
      record,
      error instanceof GitHubError
        ? runUnreadableOutcome(error, record.target, run)
        : credentialsOutcome(error, settings.githubSecretId)
    )
  if (verdict === 'give-up')
    return decide(session, record, runUnwatchedOutcome(run, session.now - record.createdAt, error.message))
  const attempt = failedAttempt(record, error.message, session.now)
  const retryAfterMs = error instanceof GitHubError ? error.retryAfterMs : undefined
  const delay = backoffMs(attempt.attempts, settings, clock.random(), retryAfterMs)
  session.log.warn(`Could not read the workflow run: ${error.message}`, { jobId, runId, retryInMs: delay })
  return session.letGo(record, { ...attempt, nextCheckAt: session.now + delay })
}

/** Keeps a result for the job, to be delivered at once (and again, until CodePipeline has it). */
export async function decide(session: Session, record: JobRecord, outcome: Outcome, changes: Changes = {}): Result {
  const told = withWarning(outcome, record.phase === 'running' ? record.warning : undefined)
  session.log.warn(`The job fails: ${told.type}`, { jobId: record.jobId, reason: told.message })
  await abortOpenUploads(session.parts, record)
  return session.save(record, { ...changes, phase: 'decided', outcome: told, outcomeAt: session.now })
}

/**
 * Tells CodePipeline the job failed: one PutJobFailureResult, after
 * acknowledging the job if that is still open. Kept and tried again at
 * each sweep until CodePipeline has it, within the retry window.
 */
export async function deliver(session: Session, record: DecidedRecord): Result {
  const { jobId, outcome } = record
  const { acknowledged, nonce } = await acknowledgeFirst(session, record)
  const request = {
    jobId,
    failureDetails: {
      type: outcome.type,
      message: outcome.message,
      ...(record.runId !== undefined && { externalExecutionId: String(record.runId) })
    }
  }
  const problems = requestProblems(request)
  if (problems.length > 0) throw new Error(`The failure result breaks CodePipeline's limits: ${problems.join('; ')}`)
  try {
    await session.parts.pipeline.putJobFailureResult(request)
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error
    const code = errorCode(error.cause)
    if (error.landedEarlier('InvalidJobStateException')) return failed(session, record)
    // Once acknowledged, a refusal can only mean the job has its result: most likely the run's own report.
    // A job the bridge held has no report of the run's own, and no continuation of it: it is closed as CodePipeline has it.
    if (code === 'InvalidJobStateException' && acknowledged)
      return record.heldAt === undefined
        ? answeredByRun(session, record)
        : session.close(record, 'CodePipeline already had a result for the job')
    if (code === 'JobNotFoundException') return session.close(record, 'CodePipeline no longer has the job')
    session.log.error(`Could not tell CodePipeline the job failed: ${session.explain(error, jobId)}`, { jobId })
    if (session.now - record.outcomeAt > session.parts.settings.retryWindowMs)
      return session.close(record, 'CodePipeline did not take the result')
    // Not acknowledged: the next handout brings a nonce to acknowledge with first.
    return session.letGo(record, { acknowledged, nonce })
  }
  return failed(session, record)
}

/** Acknowledges the job before its result, when that is still open; the result goes either way. */
export async function acknowledgeFirst(
  session: Session,
  record: DecidedRecord | ReportedRecord
): Promise<{ acknowledged: boolean; nonce?: string }> {
  const { jobId, nonce } = record
  if (record.acknowledged === true || nonce === undefined) return { acknowledged: record.acknowledged === true, nonce }
  try {
    const answer = await acknowledge(session.parts.pipeline, jobId, nonce)
    if (answer.outcome !== 'taken') return { acknowledged: answer.outcome === 'claimed', nonce }
    const why = session.explain(answer.refusal, jobId)
    session.log.info(`The nonce is spent; sending the result anyway: ${why}`, { jobId })
    return { acknowledged: false }
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error
    const why = session.explain(error, jobId)
    session.log.info(`Could not acknowledge the job first; sending the result anyway: ${why}`, { jobId })
    return { acknowledged: false, nonce }
  }
}

/**
 * CodePipeline already has the job's result, most likely from the run
 * itself. That result may have been progress with a continuation token:
 * CodePipeline then queues another job for the same action, without an
 * event, so the queue is looked at for a while as after a STARTED event.
 * The action's SUCCEEDED or FAILED event closes the record at once.
 */
async function answeredByRun(session: Session, record: DecidedRecord): Promise<undefined> {
  session.log.info('CodePipeline already has a result for the job, most likely from the run itself', {
    jobId: record.jobId
  })
  return session.letGo(record, { phase: 'expected', createdAt: session.now, outcome: undefined, outcomeAt: undefined })
}

async function failed(session: Session, record: DecidedRecord): Promise<undefined> {
  const { jobId, outcome } = record
  session.summary.failed.push({ jobId, type: outcome.type })
  session.log.info(`Told CodePipeline the job failed: ${outcome.type}`, { jobId, runId: record.runId })
  return session.close(record, `failed the job (${outcome.type})`)
}

/** The pipeline execution was stopped or abandoned: its run, if any, is cancelled. */
export async function stop(session: Session, record: OpenRecord): Result {
  const { target, jobId } = record
  const stopped = 'the pipeline execution was stopped'
  if (target === undefined || jobId === undefined) return session.close(record, stopped)
  const { settings } = session.parts
  try {
    const run = runToStop(record)
    let runId = run && 'runId' in run ? run.runId : undefined
    if (run && 'since' in run) {
      runId = (await lookForRun(session, target, record.runJobId ?? jobId, run.since, false))?.id
      // A run that may yet show up is looked for again at the next sweep.
      if (runId === undefined && session.now - run.since < dispatchGraceMs(settings)) return session.letGo(record)
    }
    if (runId !== undefined) await cancelRun(session, target, runId, jobId)
  } catch (error) {
    if (!(error instanceof GitHubError)) throw error
    session.log.warn(`Could not cancel the run of the stopped execution yet: ${error.message}`, { jobId })
    const stoppedFor = session.now - (record.stoppedAt ?? record.createdAt)
    if (error.retryable && stoppedFor < settings.retryWindowMs) return session.letGo(record)
  }
  return session.close(record, stopped)
}

async function cancelRun(
  session: Session,
  target: { readonly owner: string; readonly repo: string },
  runId: number,
  jobId: string
): Promise<void> {
  const cancelled = await session.parts.github.cancel(target.owner, target.repo, runId)
  const said = cancelled ? 'Cancelled the workflow run' : 'The workflow run had already finished'
  session.log.info(said, { jobId, runId })
}
