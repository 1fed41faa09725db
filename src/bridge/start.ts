import { errorCode } from '../portable/aws-errors.js'
import { acknowledge as acknowledgeJob, CodePipelineCallError } from '../portable/codepipeline.js'
import { decide } from './answer.js'
import { CredentialsError } from './github-credentials.js'
import type { WorkflowRun } from './github.js'
import { GitHubError } from './github-request.js'
import {
  credentialsOutcome,
  noRunOutcome,
  pacedTooLongOutcome,
  refusedOutcome,
  unavailableOutcome
} from './outcomes.js'
import {
  backoffMs,
  DISPATCHES_PER_MINUTE,
  dispatchGraceMs,
  failedAttempt,
  namesJob,
  retryWindowPassed,
  type BridgeRecord,
  type Changes,
  type DispatchingRecord,
  type RunningRecord
} from './record.js'
import type { Session } from './session.js'
import { runsPage, type WorkflowTarget } from './target.js'

type Result = Promise<BridgeRecord | undefined>

/**
 * Starts the job's run. `dispatchSentAt` is written before the request goes
 * out, so that a request whose answer is lost is looked for by name, and
 * never sent again: a job is dispatched at most once.
 */
export async function dispatch(session: Session, record: DispatchingRecord): Result {
  const { github } = session.parts
  const { target, jobId } = record
  let ref: string
  try {
    ref = record.ref ?? target.branch ?? (await github.defaultBranch(target.owner, target.repo))
    // The token first: whatever fails after this point may have reached GitHub.
    await github.authorize(target.owner, target.repo)
  } catch (error) {
    return notStarted(session, record, error, record.ref ?? target.branch)
  }
  if (!(await session.parts.store.pace(DISPATCHES_PER_MINUTE))) {
    const waitedMs = session.now - record.createdAt
    const { queueTimeoutMs } = session.parts.settings
    if (waitedMs > queueTimeoutMs) return decide(session, record, pacedTooLongOutcome(waitedMs, queueTimeoutMs))
    const nextMinute = session.now + 60_000 - (session.now % 60_000)
    session.log.info("This minute's dispatches are all sent: the run starts in the next minute", { jobId })
    return session.letGo(record, { ref, nextAttemptAt: nextMinute + session.parts.clock.random() * 10_000 })
  }
  const sentAt = session.now
  if (!(await session.save(record, { dispatchSentAt: sentAt, ref }))) return undefined
  let started: { runId?: number; htmlUrl?: string }
  try {
    started = await github.dispatch(target, ref, jobId)
  } catch (error) {
    if (!(error instanceof GitHubError && error.maybeDone)) return notStarted(session, record, error, ref)
    session.log.warn('GitHub gave no answer to the dispatch; a run may have started: looking for it by name', {
      jobId,
      error: error.message
    })
    return session.save(record, failedAttempt(record, error.message, session.now))
  }
  let run: { runId?: number; runUrl?: string; foundByName?: number } = {
    runId: started.runId,
    runUrl: started.htmlUrl
  }
  if (run.runId === undefined) {
    // GitHub Enterprise Server 3.20 and older: the run is found by the job ID in its name.
    const found = await lookForRun(session, target, jobId, sentAt, true).catch(() => undefined)
    run = { runId: found?.id, runUrl: found?.html_url, foundByName: found?.namedRuns }
  }
  session.summary.dispatched.push(jobId)
  const repository = `${target.owner}/${target.repo}`
  session.log.info('Started the workflow run', { jobId, repository, workflow: target.workflow, ref, ...run })
  return session.save(record, {
    phase: 'running',
    dispatchSentAt: undefined,
    dispatchedAt: session.now,
    ...run,
    nextAttemptAt: undefined
  })
}

/** Nothing was started: try again later, or fail the job when that will not help. */
async function notStarted(
  session: Session,
  record: DispatchingRecord,
  error: unknown,
  ref: string | undefined
): Result {
  const { githubSecretId } = session.parts.settings
  const cleared: Changes = { dispatchSentAt: undefined }
  if (error instanceof CredentialsError) {
    if (!error.retryable) return decide(session, record, credentialsOutcome(error, githubSecretId), cleared)
    return retryLater(session, record, error.message, cleared)
  }
  if (!(error instanceof GitHubError)) throw error
  if (!error.retryable)
    return decide(session, record, refusedOutcome(error, record.target, ref, githubSecretId), cleared)
  return retryLater(session, record, error.message, cleared, error.retryAfterMs)
}

/** One more failed attempt at GitHub: tried again after a backoff, until the retry window has passed. */
async function retryLater(
  session: Session,
  record: DispatchingRecord,
  message: string,
  changes: Changes,
  retryAfterMs?: number
): Result {
  const attempt = failedAttempt(record, message, session.now)
  const givenUp = giveUpAfterWindow(session, record, attempt.firstFailureAt, message, changes)
  if (givenUp !== undefined) return givenUp
  const { settings, clock } = session.parts
  const delay = backoffMs(attempt.attempts, settings, clock.random(), retryAfterMs)
  session.log.warn(`GitHub is not available; trying again in ${Math.round(delay / 1000)} s`, {
    jobId: record.jobId,
    attempts: attempt.attempts,
    error: message
  })
  return session.letGo(record, { ...changes, ...attempt, nextAttemptAt: session.now + delay })
}

/**
 * Once GitHub has failed for the whole retry window since `firstFailureAt`,
 * the job fails with SystemUnavailable, naming the last error; undefined
 * while there is time left.
 */
function giveUpAfterWindow(
  session: Session,
  record: DispatchingRecord,
  firstFailureAt: number,
  lastError: string | undefined,
  changes?: Changes
): Result | undefined {
  const { settings } = session.parts
  if (!retryWindowPassed(firstFailureAt, session.now, settings)) return undefined
  return decide(session, record, unavailableOutcome(record.target, lastError, settings.retryWindowMs), changes)
}

/**
 * Looks for the run by the job ID in its name: after a dispatch whose
 * answer was lost, or for GitHub Enterprise Server, which does not return
 * the run. Only then is a dispatch ever made again.
 */
export async function findRun(session: Session, record: DispatchingRecord | RunningRecord): Result {
  const { target, jobId } = record
  const since = (record.phase === 'dispatching' ? record.dispatchSentAt : record.dispatchedAt) ?? record.createdAt
  let run: Awaited<ReturnType<typeof lookForRun>>
  try {
    run = await lookForRun(session, target, jobId, since, false)
  } catch (error) {
    if (!(error instanceof GitHubError)) throw error
    if (!error.retryable) {
      const outcome = refusedOutcome(error, target, record.ref, session.parts.settings.githubSecretId)
      return decide(session, record, outcome)
    }
    const attempt = failedAttempt(record, error.message, session.now)
    const givenUp =
      record.phase === 'dispatching'
        ? giveUpAfterWindow(session, record, attempt.firstFailureAt, error.message)
        : undefined
    return givenUp ?? session.letGo(record, attempt)
  }
  if (run) {
    session.log.info('Found the workflow run by its name', { jobId, runId: run.id })
    if (record.phase === 'dispatching') session.summary.dispatched.push(jobId)
    return session.save(record, {
      phase: 'running',
      runId: run.id,
      runUrl: run.html_url,
      foundByName: run.namedRuns,
      dispatchedAt: since,
      dispatchSentAt: undefined,
      nextAttemptAt: undefined
    })
  }
  return runNotFound(session, record, since)
}

/**
 * No run carries the job ID yet: wait a while, then fail the job. A run
 * may exist that cannot be found (no run-name, or GitHub's list lagging),
 * so nothing is ever sent again: a job is dispatched at most once.
 */
function runNotFound(session: Session, record: DispatchingRecord | RunningRecord, since: number): Result {
  const waited = session.now - since
  const { settings } = session.parts
  const accepted = record.phase === 'running'
  if (waited < (accepted ? settings.queueTimeoutMs : dispatchGraceMs(settings))) return session.letGo(record)
  const page = runsPage(settings.githubApiUrl, record.target, record.ref)
  return decide(session, record, noRunOutcome(record.target, record.jobId, waited, page, accepted))
}

/** The run whose name carries the job ID; with `quick`, tried a few times over a few seconds. */
export async function lookForRun(
  session: Session,
  target: WorkflowTarget,
  jobId: string,
  since: number,
  quick: boolean
): Promise<(WorkflowRun & { readonly namedRuns: number }) | undefined> {
  const { github } = session.parts
  // Only the bridge's own dispatches: a run someone started by hand with the job ID is not the job's.
  const identity = (await github.identity(target.owner, target.repo)).toLowerCase()
  for (const pause of quick ? [500, 1_000, 2_000, 0] : [0]) {
    // Two minutes back, for clocks that differ between here and GitHub.
    const runs = await github.recentRuns(target, since - 2 * 60_000)
    const named = runs
      .filter((run) => namesJob(run, jobId) && String(run.actor?.login).toLowerCase() === identity)
      .sort((a, b) => a.id - b.id)
    if (named.length > 1)
      session.log.warn('More than one run carries the job ID; watching the first, which may not answer for it', {
        jobId,
        runs: named.map((run) => run.id)
      })
    if (named[0]) return { ...named[0], namedRuns: named.length }
    if (pause > 0) await session.parts.clock.sleep(pause)
  }
  return undefined
}

/** Claims the started job with the nonce of its latest handout. */
export async function acknowledge(session: Session, record: RunningRecord & { readonly nonce: string }): Result {
  const { jobId } = record
  try {
    const answer = await acknowledgeJob(session.parts.pipeline, jobId, record.nonce)
    if (answer.outcome === 'claimed') {
      if (answer.status !== undefined && answer.status !== 'InProgress')
        session.log.info(`Acknowledging the job answered ${answer.status}`, { jobId })
      return session.later(record, { acknowledged: true })
    }
    // The nonce is spent: the next handout brings a fresh one.
    session.log.warn(`Could not acknowledge the job yet: ${session.explain(answer.refusal, jobId)}`, { jobId })
    return session.save(record, { nonce: undefined })
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error
    session.log.warn(`Could not acknowledge the job yet: ${session.explain(error, jobId)}`, { jobId })
    if (errorCode(error.cause) === 'JobNotFoundException') return session.save(record, { nonce: undefined })
    return session.letGo(record)
  }
}
