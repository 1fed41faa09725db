import type { Job } from '@aws-sdk/client-codepipeline'
import { errorMessage } from '../portable/errors.js'
import { configurationOutcome } from './outcomes.js'
import { nextStep, type BridgeRecord, type PipelinePlace } from './record.js'
import { Session, type BridgeParts, type Invocation, type Summary } from './session.js'
import { work, workLookingNow } from './steps.js'
import { isBridgeToken } from './hold.js'
import { readTarget } from './target.js'
import type { Trigger } from './trigger.js'
import { watchRuns } from './watch.js'

/** PollForJobs hands out at most this many jobs per call. */
const POLL_BATCH = 10
/** Enough for a thousand jobs in one invocation; the sweep takes any beyond. */
const MAX_POLL_ROUNDS = 100
/** Records worked on at once in a sweep, within GitHub's limit on concurrent requests. */
const SWEEP_CONCURRENCY = 8
/** After a STARTED event, the queue is polled again after these pauses when its job was not there yet. */
const STARTED_REPOLL_MS = [1_000, 2_000, 4_000]

/**
 * One invocation of the bridge. Works through the trigger, then the queue,
 * then what the state store holds open, one conditional write at a time:
 *
 * 1. a polled job is claimed in the store (first writer wins);
 * 2. `dispatchSentAt` is written, then the run is requested from GitHub;
 * 3. the run is recorded, then the job is acknowledged;
 * 4. the sweep watches the run until it ends, and fails the job if the
 *    run ended without reporting.
 *
 * A crash between any two steps leaves a record that says what to do next:
 * an unacknowledged job comes back from PollForJobs and finds its record,
 * and a `dispatchSentAt` without a run is resolved by looking for the run by
 * name before anything is sent again.
 */
export async function handle(parts: BridgeParts, invocation: Invocation, trigger: Trigger): Promise<Summary> {
  const session = new Session(parts, invocation, trigger)
  try {
    if (trigger.kind === 'sweep') await sweep(session)
    else if (trigger.kind === 'ignored') session.log.info(`Ignoring the event: ${trigger.reason}`)
    else if (trigger.state === 'STARTED') await started(session, trigger.actionExecutionId, trigger.place)
    else if (trigger.state === 'CANCELED' || trigger.state === 'ABANDONED') await stopped(session, trigger)
    else if (await parts.store.closeAnswered(trigger.actionExecutionId, trigger.state.toLowerCase()))
      session.summary.closed += 1
  } catch (error) {
    session.unexpected.push(error)
    session.log.error(session.explain(error))
  }
  session.log.info('Done', { ...session.summary })
  // A failed invocation is retried by EventBridge; an error also shows on the function's metrics.
  const [first] = session.unexpected
  if (first !== undefined) throw new AggregateError(session.unexpected, session.explain(first))
  return session.summary
}

async function started(session: Session, key: string, place: PipelinePlace): Promise<void> {
  // First the record and the lease: should anything below fail, the sweep still finds the job.
  await session.parts.store.expect(key, place)
  await keepSweeping(session)
  const taken = await drainQueue(session)
  for (const pause of STARTED_REPOLL_MS) {
    if (taken.has(key) || !session.hasTime(pause)) break
    // Another invocation may have taken it meanwhile.
    if ((await session.parts.store.get(key))?.phase !== 'expected') break
    session.log.debug(`The job of action execution ${key} is not in the queue yet; polling again in ${pause} ms`)
    await session.parts.clock.sleep(pause)
    for (const found of await drainQueue(session)) taken.add(found)
  }
}

async function stopped(session: Session, trigger: Trigger & { kind: 'action' }): Promise<void> {
  const key = trigger.actionExecutionId
  const record = await session.parts.store.markStopped(key, trigger.place)
  session.log.info(`The pipeline execution was ${trigger.state.toLowerCase()}`, {
    actionExecutionId: key,
    jobId: record.jobId
  })
  if (record.phase === 'closed') return
  await keepSweeping(session)
  // When another invocation holds the record, it sees the stop at its next write.
  const leased = await session.parts.store.lease(key, session.lease())
  if (leased) await work(session, leased)
}

async function sweep(session: Session): Promise<void> {
  const open = await session.parts.store.open()
  session.summary.open = open.length
  // Idle: one read of the store, and no CodePipeline or GitHub call. The lease is left to run out.
  if (open.length === 0) return
  await keepSweeping(session)
  const taken = await drainQueue(session)
  const left = open.filter((record) => !taken.has(record.key))
  // Watching that fails leaves every run to be read by itself: the records' own steps go on regardless.
  const covered = await watchRuns(session, left).catch((error: unknown) => {
    session.unexpected.push(error)
    session.log.error(`Could not list the runs: ${session.explain(error)}`)
    return new Set<string>()
  })
  const sighted = (record: BridgeRecord): boolean =>
    record.phase === 'running' && record.runId !== undefined && session.sightings.has(record.runId)
  const steps = new Map(left.map((record) => [record.key, nextStep(record, session.now).kind]))
  const stepOf = (record: BridgeRecord) => steps.get(record.key)
  const due = left.filter((record) => {
    const step = stepOf(record)
    // A run its list showed is looked at as the list says, when it has something to act on, and only then.
    if (step === 'check-run' || (step === 'wait' && sighted(record))) return !covered.has(record.key) || sighted(record)
    return step !== 'wait'
  })
  // Oldest first, and the steps that need no GitHub call before those that do.
  const needsGitHub = (record: BridgeRecord): boolean =>
    !['deliver', 'deliver-report', 'forget', 'discard'].includes(stepOf(record) ?? 'wait')
  const age = (record: BridgeRecord): number => ('createdAt' in record ? record.createdAt : 0)
  due.sort((a, b) => Number(needsGitHub(a)) - Number(needsGitHub(b)) || age(a) - age(b))
  await eachLimited(due, SWEEP_CONCURRENCY, async (record) => {
    if (!session.hasTime()) return
    // Once this minute's dispatches are gone, the rest wait for a later sweep untouched.
    if (stepOf(record) === 'dispatch' && session.parts.store.paceSpent()) return
    await session.guard(record.key, async () => {
      const leased = await session.parts.store.lease(record.key, session.lease())
      if (leased?.phase === 'running' && sighted(leased)) await workLookingNow(session, leased)
      else if (leased) await work(session, leased)
    })
  })
}

/** Renews the sweep's lease; a failure is noted for a retry of the trigger, but the work goes on. */
async function keepSweeping(session: Session): Promise<void> {
  try {
    await session.parts.schedule.ensure()
  } catch (error) {
    session.unexpected.push(error)
    session.log.error(`Could not renew the sweep schedule: ${errorMessage(error)}`)
  }
}

/** Polls in batches of 10 until the queue is empty; the action execution IDs of the jobs it took. */
async function drainQueue(session: Session): Promise<Set<string>> {
  const taken = new Set<string>()
  const seen = new Set<string>()
  for (let round = 0; round < MAX_POLL_ROUNDS && session.hasTime(); round++) {
    const jobs = await session.parts.pipeline.pollForJobs({
      actionTypeId: session.parts.settings.actionType,
      maxBatchSize: POLL_BATCH
    })
    const fresh = jobs.filter((job): job is Job & { id: string } => job.id !== undefined && !seen.has(job.id))
    if (fresh.length === 0) break
    for (const job of fresh) seen.add(job.id)
    session.summary.polled += fresh.length
    const keys = await Promise.all(fresh.map((job) => session.guard(job.id, () => take(session, job))))
    for (const key of keys) if (key !== undefined) taken.add(key)
  }
  return taken
}

/** A polled job: claims it, or hands it to whoever has its record. Its key when it is the bridge's. */
async function take(session: Session, job: Job & { id: string }): Promise<string | undefined> {
  const { store, settings } = session.parts
  const nonce = job.nonce
  if (nonce === undefined) return undefined
  const context = job.data?.pipelineContext
  const key = context?.action?.actionExecutionId ?? `job-${job.id}`
  const token = job.data?.continuationToken
  if (token !== undefined && isBridgeToken(token)) {
    const adopted = await store.adopt(key, { jobId: job.id, nonce }, token)
    if (adopted) {
      session.log.info('Took the job its continuation led to', { jobId: job.id, actionExecutionId: key })
      return workHandout(session, key, job.id, nonce)
    }
    // Adopted before, and handed out again, goes on below; a token the record never held is refused.
    if ((await store.get(key))?.jobId !== job.id) return refuseContinuation(session, job.id, nonce, key)
  } else if (token !== undefined) {
    // Someone else's token on an action the bridge holds for its run: only the bridge continues it.
    const record = await store.get(key)
    if (record !== undefined && 'heldAt' in record && record.heldAt !== undefined && record.jobId !== job.id)
      return refuseContinuation(session, job.id, nonce, key)
  }
  const reading = readTarget(job.data?.actionConfiguration?.configuration, settings.allowedRepos)
  const place = {
    pipeline: context?.pipelineName ?? '',
    executionId: context?.pipelineExecutionId ?? '',
    stage: context?.stage?.name ?? '',
    action: context?.action?.name ?? ''
  }
  // A configuration that names no workflow to run fails the job at once.
  const started = 'target' in reading ? { target: reading.target } : { outcome: configurationOutcome(reading.problems) }
  const claim = await store.claim(key, { jobId: job.id, nonce, place, ...started }, session.lease())
  if (claim.won) {
    session.log.info('Took a new job', {
      jobId: job.id,
      actionExecutionId: key,
      pipeline: context?.pipelineName,
      ...('target' in reading && {
        repository: `${reading.target.owner}/${reading.target.repo}`,
        workflow: reading.target.workflow
      })
    })
    await work(session, claim.record)
    return key
  }
  const existing = claim.existing
  if (existing?.jobId !== job.id || existing.phase === 'closed') {
    // Handled already, a stopped execution, or a continuation of a job whose run is still going.
    session.log.debug('Leaving a job handed out again', {
      jobId: job.id,
      actionExecutionId: key,
      phase: existing?.phase
    })
    return undefined
  }
  return workHandout(session, key, job.id, nonce)
}

/** A job handed out to its record: worked on under a lease, or its nonce kept for whoever holds the record. */
async function workHandout(session: Session, key: string, jobId: string, nonce: string): Promise<string> {
  const { store } = session.parts
  const leased = await store.lease(key, session.lease(), { jobId, nonce })
  if (leased) await work(session, leased)
  else await store.rememberNonce(key, jobId, nonce)
  return key
}

/**
 * A job whose continuation token looks like the bridge's but is not the one
 * its record holds: anyone who may call PutJobSuccessResult in the account
 * can write one. It is failed, never adopted: the bridge starts no run for
 * it and answers nothing else with it.
 */
async function refuseContinuation(session: Session, jobId: string, nonce: string, key: string): Promise<undefined> {
  const { pipeline } = session.parts
  session.log.warn('Refusing a job whose continuation token the bridge did not give', { jobId, actionExecutionId: key })
  try {
    await pipeline.acknowledgeJob(jobId, nonce)
    await pipeline.putJobFailureResult({
      jobId,
      failureDetails: {
        type: 'JobFailed',
        message:
          'The job carries a continuation token the GitHub bridge did not give, and only the bridge continues its jobs. Retry the stage; CloudTrail shows who called PutJobSuccessResult.'
      }
    })
    session.summary.failed.push({ jobId, type: 'JobFailed' })
  } catch (error) {
    session.log.error(`Could not fail the job: ${session.explain(error, jobId)}`, { jobId })
  }
  return undefined
}

/** Runs `work` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]
      if (item !== undefined) await run(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
}
