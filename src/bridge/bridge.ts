import type { Job } from '@aws-sdk/client-codepipeline'
import { errorCode, explainCallError } from '../portable/aws-errors.js'
import { acknowledge, CodePipelineCallError, type CodePipeline } from '../portable/codepipeline.js'
import { errorMessage } from '../portable/errors.js'
import { requestProblems } from '../portable/limits.js'
import { CredentialsError } from './github-credentials.js'
import type { Trigger } from './trigger.js'
import { GitHubError, type GitHubApi, type WorkflowRun } from './github.js'
import type { Logger } from './json-log.js'
import {
  configurationOutcome,
  credentialsOutcome,
  noRunOutcome,
  queuedTooLongOutcome,
  refusedOutcome,
  runEndedOutcome,
  runGoneOutcome,
  unavailableOutcome
} from './outcomes.js'
import {
  backoffMs,
  dispatchGraceMs,
  judgeRun,
  nextStep,
  type BridgeRecord,
  type Changes,
  type Outcome,
  type PipelinePlace,
  type Step
} from './record.js'
import { CODEPIPELINE_CALLS, type BridgeSettings } from './settings.js'
import type { Lease, StateStore } from './state-store.js'
import type { SweepSchedule } from './sweep-schedule.js'
import { readTarget, type WorkflowTarget } from './target.js'

/** PollForJobs hands out at most this many jobs per call. */
const POLL_BATCH = 10
/** Enough for a thousand jobs in one invocation; the sweep takes any beyond. */
const MAX_POLL_ROUNDS = 100
/** Records worked on at once in a sweep, within GitHub's limit on concurrent requests. */
const SWEEP_CONCURRENCY = 8
/** After a STARTED event, the queue is polled again after these pauses when its job was not there yet. */
const STARTED_REPOLL_MS = [1_000, 2_000, 4_000]
/** A lease outlives its invocation's deadline by this much: for a write in flight at the deadline, and clocks a little apart. */
const LEASE_MARGIN_MS = 2_000
/** Steps one record goes through in one go, at most: dispatch, acknowledge, and a few more. */
const MAX_STEPS = 8

export type JobQueue = Pick<CodePipeline, 'pollForJobs' | 'acknowledgeJob' | 'putJobFailureResult'>

export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
  random(): number
}

export interface BridgeParts {
  readonly settings: BridgeSettings
  readonly pipeline: JobQueue
  readonly store: StateStore
  readonly github: GitHubApi
  readonly schedule: SweepSchedule
  readonly log: Logger
  readonly clock: Clock
}

export interface Invocation {
  /** Unique per invocation: the lease holder's name. */
  readonly owner: string
  /** When the function's time runs out. */
  readonly deadline: number
}

/** What an invocation did, returned by the handler and logged at its end. */
export interface Summary {
  readonly trigger: string
  polled: number
  readonly dispatched: string[]
  readonly failed: { readonly jobId: string; readonly type: string }[]
  closed: number
  open?: number
}

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
export class Bridge {
  private readonly summary: Summary
  private readonly unexpected: unknown[] = []
  private readonly deferred = new Map<string, Changes>()
  private readonly reserveMs: number

  constructor(
    private readonly parts: BridgeParts,
    private readonly invocation: Invocation,
    trigger: Trigger
  ) {
    this.summary = {
      trigger: trigger.kind === 'action' ? trigger.state : trigger.kind,
      polled: 0,
      dispatched: [],
      failed: [],
      closed: 0
    }
    // Time kept back at the end for the last writes: a tenth, at most ten seconds.
    this.reserveMs = Math.min(10_000, (invocation.deadline - parts.clock.now()) / 10)
  }

  private get log(): Logger {
    return this.parts.log
  }

  private get now(): number {
    return this.parts.clock.now()
  }

  async handle(trigger: Trigger): Promise<Summary> {
    try {
      if (trigger.kind === 'sweep') await this.sweep()
      else if (trigger.kind === 'ignored') this.log.info(`Ignoring the event: ${trigger.reason}`)
      else if (trigger.state === 'STARTED') await this.started(trigger.actionExecutionId, trigger.place)
      else if (trigger.state === 'CANCELED' || trigger.state === 'ABANDONED')
        await this.stopped(trigger.actionExecutionId, trigger)
      else if (await this.parts.store.closeAnswered(trigger.actionExecutionId, trigger.state.toLowerCase()))
        this.summary.closed += 1
    } catch (error) {
      this.unexpected.push(error)
      this.log.error(this.explain(error))
    }
    this.log.info('Done', { ...this.summary })
    // A failed invocation is retried by EventBridge; an error also shows on the function's metrics.
    if (this.unexpected.length > 0) throw new AggregateError(this.unexpected, this.explain(this.unexpected[0]))
    return this.summary
  }

  private async started(key: string, place: PipelinePlace): Promise<void> {
    // First the record and the lease: should anything below fail, the sweep still finds the job.
    await this.parts.store.expect(key, place)
    await this.keepSweeping()
    const taken = await this.drainQueue()
    for (const pause of STARTED_REPOLL_MS) {
      if (taken.has(key) || !this.hasTime(pause)) break
      // Another invocation may have taken it meanwhile.
      if ((await this.parts.store.get(key))?.phase !== 'expected') break
      this.log.debug(`The job of action execution ${key} is not in the queue yet; polling again in ${pause} ms`)
      await this.parts.clock.sleep(pause)
      for (const found of await this.drainQueue()) taken.add(found)
    }
  }

  private async stopped(key: string, trigger: Trigger & { kind: 'action' }): Promise<void> {
    const record = await this.parts.store.markStopped(key, trigger.place)
    this.log.info(`The pipeline execution was ${trigger.state.toLowerCase()}`, {
      actionExecutionId: key,
      jobId: record.jobId
    })
    if (record.phase === 'closed') return
    await this.keepSweeping()
    // When another invocation holds the record, it sees the stop at its next write.
    const leased = await this.parts.store.lease(key, this.lease())
    if (leased) await this.work(leased)
  }

  private async sweep(): Promise<void> {
    const open = await this.parts.store.open()
    this.summary.open = open.length
    // Idle: one read of the store, and no CodePipeline or GitHub call. The lease is left to run out.
    if (open.length === 0) return
    await this.keepSweeping()
    const taken = await this.drainQueue()
    const due = open.filter((record) => !taken.has(record.key) && nextStep(record, this.now).kind !== 'wait')
    await eachLimited(due, SWEEP_CONCURRENCY, async (record) => {
      if (!this.hasTime()) return
      await this.guard(record.key, async () => {
        const leased = await this.parts.store.lease(record.key, this.lease())
        if (leased) await this.work(leased)
      })
    })
  }

  /** Renews the sweep's lease; a failure is noted for a retry of the trigger, but the work goes on. */
  private async keepSweeping(): Promise<void> {
    try {
      await this.parts.schedule.ensure()
    } catch (error) {
      this.unexpected.push(error)
      this.log.error(`Could not renew the sweep schedule: ${errorMessage(error)}`)
    }
  }

  /** Polls in batches of 10 until the queue is empty; the action execution IDs of the jobs it took. */
  private async drainQueue(): Promise<Set<string>> {
    const taken = new Set<string>()
    const seen = new Set<string>()
    for (let round = 0; round < MAX_POLL_ROUNDS && this.hasTime(); round++) {
      const jobs = await this.parts.pipeline.pollForJobs({
        actionTypeId: this.parts.settings.actionType,
        maxBatchSize: POLL_BATCH
      })
      const fresh = jobs.filter((job): job is Job & { id: string } => job.id !== undefined && !seen.has(job.id))
      if (fresh.length === 0) break
      for (const job of fresh) seen.add(job.id)
      this.summary.polled += fresh.length
      const keys = await Promise.all(fresh.map((job) => this.guard(job.id, () => this.take(job))))
      for (const key of keys) if (key !== undefined) taken.add(key)
    }
    return taken
  }

  /** A polled job: claims it, or hands it to whoever has its record. Its key when it is the bridge's. */
  private async take(job: Job & { id: string }): Promise<string | undefined> {
    const nonce = job.nonce
    if (nonce === undefined) return undefined
    const context = job.data?.pipelineContext
    const key = context?.action?.actionExecutionId ?? `job-${job.id}`
    const reading = readTarget(job.data?.actionConfiguration?.configuration, this.parts.settings.allowedRepos)
    const claim = await this.parts.store.claim(
      key,
      {
        jobId: job.id,
        nonce,
        place: {
          pipeline: context?.pipelineName ?? '',
          executionId: context?.pipelineExecutionId ?? '',
          stage: context?.stage?.name ?? '',
          action: context?.action?.name ?? ''
        },
        ...('target' in reading ? { target: reading.target } : { outcome: configurationOutcome(reading.problems) })
      },
      this.lease()
    )
    if (claim.won) {
      this.log.info('Took a new job', {
        jobId: job.id,
        actionExecutionId: key,
        pipeline: context?.pipelineName,
        ...('target' in reading && {
          repository: `${reading.target.owner}/${reading.target.repo}`,
          workflow: reading.target.workflow
        })
      })
      await this.work(claim.record)
      return key
    }
    const existing = claim.existing
    if (existing?.jobId !== job.id || existing.phase === 'closed') {
      // Handled already, a stopped execution, or a continuation of a job whose run is still going.
      this.log.debug('Leaving a job handed out again', {
        jobId: job.id,
        actionExecutionId: key,
        phase: existing?.phase
      })
      return undefined
    }
    const leased = await this.parts.store.lease(key, this.lease(), { jobId: job.id, nonce })
    if (leased) await this.work(leased)
    else await this.parts.store.rememberNonce(key, job.id, nonce)
    return key
  }

  /** Takes a record through its steps while it holds the lease, and lets go when there is nothing to do now. */
  private async work(record: BridgeRecord): Promise<void> {
    let current: BridgeRecord | undefined = record
    let started = false
    for (let steps = 0; current !== undefined; steps++) {
      const step = nextStep(current, this.now)
      // A run started just now is looked at by the next sweep, not at once.
      const fresh = started && step.kind === 'check-run'
      if (step.kind === 'wait' || fresh || steps >= MAX_STEPS || !this.hasTime()) {
        await this.letGo(current)
        return
      }
      started ||= step.kind === 'dispatch' || step.kind === 'find-run'
      current = await this.perform(step, current)
    }
  }

  /** The record after the step, still leased; undefined once it is closed, let go of, or taken over. */
  private async perform(
    step: Exclude<Step, { kind: 'wait' }>,
    record: BridgeRecord
  ): Promise<BridgeRecord | undefined> {
    switch (step.kind) {
      case 'stop':
        return this.stop(record)
      case 'deliver':
        return this.deliver(record)
      case 'forget':
        return this.close(record, 'no job showed up in the queue')
      case 'dispatch':
        return this.dispatch(record)
      case 'find-run':
        return this.findRun(record)
      case 'acknowledge':
        return this.acknowledge(record)
      case 'check-run':
        return this.checkRun(record)
    }
  }

  private async dispatch(record: BridgeRecord): Promise<BridgeRecord | undefined> {
    const target = record.target!
    const jobId = record.jobId!
    let ref: string
    try {
      ref = record.ref ?? target.branch ?? (await this.parts.github.defaultBranch(target.owner, target.repo))
      // The token first: whatever fails after this point may have reached GitHub.
      await this.parts.github.authorize(target.owner, target.repo)
    } catch (error) {
      return this.notStarted(record, error, record.ref ?? target.branch)
    }
    const marked = await this.save(record, { dispatchSentAt: this.now, ref })
    if (!marked) return undefined
    let started: { runId?: number; htmlUrl?: string }
    try {
      started = await this.parts.github.dispatch(target, ref, jobId)
    } catch (error) {
      if (!(error instanceof GitHubError && error.maybeDone)) return this.notStarted(marked, error, ref)
      this.log.warn('GitHub gave no answer to the dispatch; a run may have started: looking for it by name', {
        jobId,
        error: error.message
      })
      return this.save(marked, this.failedAttempt(marked, error.message))
    }
    let run: { runId?: number; runUrl?: string } = { runId: started.runId, runUrl: started.htmlUrl }
    if (run.runId === undefined) {
      // GitHub Enterprise Server 3.20 and older: the run is found by the job ID in its name.
      const found = await this.lookForRun(target, jobId, marked.dispatchSentAt!, true).catch(() => undefined)
      run = { runId: found?.id, runUrl: found?.html_url }
    }
    this.summary.dispatched.push(jobId)
    this.log.info('Started the workflow run', {
      jobId,
      repository: `${target.owner}/${target.repo}`,
      workflow: target.workflow,
      ref,
      ...run
    })
    return this.save(marked, {
      phase: 'running',
      dispatchSentAt: undefined,
      dispatchedAt: this.now,
      ...run,
      nextAttemptAt: undefined
    })
  }

  /** Nothing was started: try again later, or fail the job when that will not help. */
  private async notStarted(
    record: BridgeRecord,
    error: unknown,
    ref: string | undefined
  ): Promise<BridgeRecord | undefined> {
    const target = record.target!
    const cleared: Changes = { dispatchSentAt: undefined }
    if (error instanceof CredentialsError) {
      if (!error.retryable)
        return this.decide(record, credentialsOutcome(error, this.parts.settings.githubSecretId), cleared)
      return this.retryLater(record, error.message, cleared)
    }
    if (!(error instanceof GitHubError)) throw error
    if (!error.retryable)
      return this.decide(record, refusedOutcome(error, target, ref, this.parts.settings.githubSecretId), cleared)
    return this.retryLater(record, error.message, cleared, error.retryAfterMs)
  }

  /** One more failed attempt at GitHub; the job fails once the retry window has passed. */
  private failedAttempt(record: BridgeRecord, message: string): Changes {
    return {
      attempts: (record.attempts ?? 0) + 1,
      firstFailureAt: record.firstFailureAt ?? this.now,
      lastError: message
    }
  }

  private async retryLater(
    record: BridgeRecord,
    message: string,
    changes: Changes,
    retryAfterMs?: number
  ): Promise<BridgeRecord | undefined> {
    const attempt = this.failedAttempt(record, message)
    const givenUp = this.giveUpAfterWindow(record, attempt.firstFailureAt!, message, changes)
    if (givenUp !== undefined) return givenUp
    const delay = backoffMs(attempt.attempts!, this.parts.settings, this.parts.clock.random(), retryAfterMs)
    this.log.warn(`GitHub is not available; trying again in ${Math.round(delay / 1000)} s`, {
      jobId: record.jobId,
      attempts: attempt.attempts,
      error: message
    })
    return this.letGo(record, { ...changes, ...attempt, nextAttemptAt: this.now + delay })
  }

  /**
   * Once GitHub has failed for the whole retry window since `firstFailureAt`,
   * the job fails with SystemUnavailable, naming the last error; undefined
   * while there is time left.
   */
  private giveUpAfterWindow(
    record: BridgeRecord,
    firstFailureAt: number,
    lastError: string | undefined,
    changes?: Changes
  ): Promise<BridgeRecord | undefined> | undefined {
    const { retryWindowMs } = this.parts.settings
    if (this.now - firstFailureAt < retryWindowMs) return undefined
    return this.decide(record, unavailableOutcome(record.target!, lastError, retryWindowMs), changes)
  }

  /**
   * Looks for the run by the job ID in its name: after a dispatch whose
   * answer was lost, or for GitHub Enterprise Server, which does not return
   * the run. Only then is a dispatch ever made again.
   */
  private async findRun(record: BridgeRecord): Promise<BridgeRecord | undefined> {
    const target = record.target!
    const jobId = record.jobId!
    const uncertain = record.phase === 'dispatching'
    const since = (uncertain ? record.dispatchSentAt : record.dispatchedAt) ?? record.createdAt
    let run: WorkflowRun | undefined
    try {
      run = await this.lookForRun(target, jobId, since, false)
    } catch (error) {
      if (!(error instanceof GitHubError) || !error.retryable) {
        if (error instanceof GitHubError)
          return this.decide(record, refusedOutcome(error, target, record.ref, this.parts.settings.githubSecretId))
        throw error
      }
      const attempt = this.failedAttempt(record, error.message)
      const givenUp = uncertain ? this.giveUpAfterWindow(record, attempt.firstFailureAt!, error.message) : undefined
      return givenUp ?? this.letGo(record, attempt)
    }
    if (run) {
      this.log.info('Found the workflow run by its name', { jobId, runId: run.id })
      if (uncertain) this.summary.dispatched.push(jobId)
      return this.save(record, {
        phase: 'running',
        runId: run.id,
        runUrl: run.html_url,
        dispatchedAt: since,
        dispatchSentAt: undefined,
        nextAttemptAt: undefined
      })
    }
    const waited = this.now - since
    if (!uncertain) {
      if (waited > this.parts.settings.queueTimeoutMs) return this.decide(record, noRunOutcome(target, jobId, waited))
      return this.letGo(record)
    }
    if (waited < dispatchGraceMs(this.parts.settings)) return this.letGo(record)
    // No run carries the job ID well after the request: the request never made one.
    this.log.info('The dispatch whose answer was lost made no run; dispatching again', { jobId })
    return (
      this.giveUpAfterWindow(record, record.firstFailureAt ?? since, record.lastError, { dispatchSentAt: undefined }) ??
      this.save(record, { dispatchSentAt: undefined })
    )
  }

  /** The run whose name carries the job ID; with `quick`, tried a few times over a few seconds. */
  private async lookForRun(
    target: WorkflowTarget,
    jobId: string,
    since: number,
    quick: boolean
  ): Promise<WorkflowRun | undefined> {
    for (const pause of quick ? [500, 1_000, 2_000, 0] : [0]) {
      // Two minutes back, for clocks that differ between here and GitHub.
      const runs = await this.parts.github.recentRuns(target, since - 2 * 60_000)
      const named = runs.filter((run) => run.display_title?.includes(jobId)).sort((a, b) => a.id - b.id)
      if (named.length > 1)
        this.log.warn('More than one run carries the job ID; watching the first', {
          jobId,
          runs: named.map((run) => run.id)
        })
      if (named[0]) return named[0]
      if (pause > 0) await this.parts.clock.sleep(pause)
    }
    return undefined
  }

  private async acknowledge(record: BridgeRecord): Promise<BridgeRecord | undefined> {
    const jobId = record.jobId!
    try {
      const answer = await acknowledge(this.parts.pipeline, jobId, record.nonce!)
      if (answer.outcome === 'claimed') {
        if (answer.status !== undefined && answer.status !== 'InProgress')
          this.log.info(`Acknowledging the job answered ${answer.status}`, { jobId })
        return this.later(record, { acknowledged: true })
      }
      // The nonce is spent: the next handout brings a fresh one.
      this.log.warn(`Could not acknowledge the job yet: ${this.explain(answer.refusal, jobId)}`, { jobId })
      return this.save(record, { nonce: undefined })
    } catch (error) {
      if (!(error instanceof CodePipelineCallError)) throw error
      this.log.warn(`Could not acknowledge the job yet: ${this.explain(error, jobId)}`, { jobId })
      if (errorCode(error.cause) === 'JobNotFoundException') return this.save(record, { nonce: undefined })
      return this.letGo(record)
    }
  }

  private async checkRun(record: BridgeRecord): Promise<BridgeRecord | undefined> {
    const { owner, repo } = record.target!
    const runId = record.runId!
    let run: WorkflowRun
    try {
      run = await this.parts.github.run(owner, repo, runId)
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error
      if (error.status === 404) return this.decide(record, runGoneOutcome(record.runUrl, runId))
      this.log.warn(`Could not read the workflow run: ${error.message}`, { jobId: record.jobId, runId })
      return this.letGo(record)
    }
    const verdict = judgeRun(run, this.now, this.parts.settings)
    if (verdict.kind === 'watch') {
      return this.letGo(record, { nextCheckAt: verdict.nextCheckAt, runUrl: run.html_url })
    }
    if (verdict.kind === 'queued-too-long') {
      await this.cancelRun(owner, repo, runId, record.jobId)
      return this.decide(record, queuedTooLongOutcome(run, verdict.queuedMs, this.parts.settings.queueTimeoutMs))
    }
    // Completed: whatever its report step did is done, so this cannot race it.
    return this.decide(record, runEndedOutcome(run, record.jobId!))
  }

  /** Keeps a result for the job, to be delivered at once (and again, until CodePipeline has it). */
  private async decide(
    record: BridgeRecord,
    outcome: Outcome,
    changes: Changes = {}
  ): Promise<BridgeRecord | undefined> {
    this.log.warn(`The job fails: ${outcome.type}`, { jobId: record.jobId, reason: outcome.message })
    return this.save(record, { ...changes, outcome, outcomeAt: this.now })
  }

  /**
   * Tells CodePipeline the job failed: one PutJobFailureResult, after
   * acknowledging the job if that is still open. Kept and tried again at
   * each sweep until CodePipeline has it, within the retry window.
   */
  private async deliver(record: BridgeRecord): Promise<BridgeRecord | undefined> {
    const jobId = record.jobId
    const outcome = record.outcome!
    if (jobId === undefined) return this.close(record, 'no job to answer')
    let acknowledged = record.acknowledged === true
    let nonce = record.nonce
    if (!acknowledged && nonce !== undefined) {
      try {
        const answer = await acknowledge(this.parts.pipeline, jobId, nonce)
        acknowledged = answer.outcome === 'claimed'
        if (answer.outcome === 'taken') {
          nonce = undefined
          this.log.info(`The nonce is spent; sending the result anyway: ${this.explain(answer.refusal, jobId)}`, {
            jobId
          })
        }
      } catch (error) {
        if (!(error instanceof CodePipelineCallError)) throw error
        this.log.info(`Could not acknowledge the job first; sending the result anyway: ${this.explain(error, jobId)}`, {
          jobId
        })
      }
    }
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
      await this.parts.pipeline.putJobFailureResult(request)
    } catch (error) {
      if (!(error instanceof CodePipelineCallError)) throw error
      const code = errorCode(error.cause)
      if (error.landedEarlier('InvalidJobStateException')) return this.failed(record, outcome)
      // Once acknowledged, a refusal can only mean the job has its result: most likely the run's own report.
      if (code === 'InvalidJobStateException' && acknowledged) return this.answeredByRun(record)
      if (code === 'JobNotFoundException') return this.close(record, 'CodePipeline no longer has the job')
      this.log.error(`Could not tell CodePipeline the job failed: ${this.explain(error, jobId)}`, { jobId })
      if (this.now - (record.outcomeAt ?? record.createdAt) > this.parts.settings.retryWindowMs)
        return this.close(record, 'CodePipeline did not take the result')
      // Not acknowledged: the next handout brings a nonce to acknowledge with first.
      return this.letGo(record, { acknowledged, nonce })
    }
    return this.failed(record, outcome)
  }

  /**
   * CodePipeline already has the job's result, most likely from the run
   * itself. That result may have been progress with a continuation token:
   * CodePipeline then queues another job for the same action, without an
   * event, so the queue is looked at for a while as after a STARTED event.
   * The action's SUCCEEDED or FAILED event closes the record at once.
   */
  private async answeredByRun(record: BridgeRecord): Promise<undefined> {
    this.log.info('CodePipeline already has a result for the job, most likely from the run itself', {
      jobId: record.jobId
    })
    return this.letGo(record, { phase: 'expected', createdAt: this.now, outcome: undefined, outcomeAt: undefined })
  }

  private async failed(record: BridgeRecord, outcome: Outcome): Promise<undefined> {
    this.summary.failed.push({ jobId: record.jobId!, type: outcome.type })
    this.log.info(`Told CodePipeline the job failed: ${outcome.type}`, { jobId: record.jobId, runId: record.runId })
    return this.close(record, `failed the job (${outcome.type})`)
  }

  /** The pipeline execution was stopped or abandoned: its run, if any, is cancelled. */
  private async stop(record: BridgeRecord): Promise<BridgeRecord | undefined> {
    const target = record.target
    const jobId = record.jobId
    const stopped = 'the pipeline execution was stopped'
    if (target === undefined || jobId === undefined) return this.close(record, stopped)
    try {
      let runId = record.runId
      if (runId === undefined && (record.dispatchSentAt !== undefined || record.phase === 'running')) {
        const since = record.dispatchSentAt ?? record.dispatchedAt ?? record.createdAt
        runId = (await this.lookForRun(target, jobId, since, false))?.id
        // A run that may yet show up is looked for again at the next sweep.
        if (runId === undefined && this.now - since < dispatchGraceMs(this.parts.settings)) return this.letGo(record)
      }
      if (runId !== undefined) await this.cancelRun(target.owner, target.repo, runId, jobId)
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error
      this.log.warn(`Could not cancel the run of the stopped execution yet: ${error.message}`, { jobId })
      if (error.retryable && this.now - (record.stoppedAt ?? record.createdAt) < this.parts.settings.retryWindowMs)
        return this.letGo(record)
    }
    return this.close(record, stopped)
  }

  private async cancelRun(owner: string, repo: string, runId: number, jobId: string | undefined): Promise<void> {
    const cancelled = await this.parts.github.cancel(owner, repo, runId)
    this.log.info(cancelled ? 'Cancelled the workflow run' : 'The workflow run had already finished', { jobId, runId })
  }

  private async save(record: BridgeRecord, changes: Changes): Promise<BridgeRecord | undefined> {
    const deferred = this.deferred.get(record.key)
    this.deferred.delete(record.key)
    const saved = await this.parts.store.save(record.key, this.invocation.owner, { ...deferred, ...changes })
    if (!saved)
      this.log.info('The record was taken over or closed meanwhile; leaving it', { actionExecutionId: record.key })
    return saved
  }

  private async close(record: BridgeRecord, because: string): Promise<undefined> {
    if (await this.save(record, { phase: 'closed', closedBecause: because })) this.summary.closed += 1
    this.log.info(`Closed: ${because}`, { jobId: record.jobId, actionExecutionId: record.key })
    return undefined
  }

  /**
   * Changes that go with the record's next write. Only for what may be lost
   * in a crash: an acknowledgement not written down is made again, and
   * CodePipeline answers it the same.
   */
  private later(record: BridgeRecord, changes: Changes): BridgeRecord {
    this.deferred.set(record.key, { ...this.deferred.get(record.key), ...changes })
    return { ...record, ...changes }
  }

  /** Nothing more to do for now: writes the changes and lets go of the record, in one write, for a later sweep. */
  private async letGo(record: BridgeRecord | undefined, changes: Changes = {}): Promise<undefined> {
    if (record) await this.save(record, { ...changes, leaseOwner: undefined, leaseUntil: undefined })
    return undefined
  }

  private lease(): Lease {
    return { owner: this.invocation.owner, until: this.invocation.deadline + LEASE_MARGIN_MS }
  }

  private hasTime(needMs = 0): boolean {
    return this.invocation.deadline - this.now > this.reserveMs + needMs
  }

  /** Runs one job's or record's work; an unexpected error is logged and noted, and the rest goes on. */
  private async guard<T>(subject: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work()
    } catch (error) {
      this.unexpected.push(error)
      this.log.error(`Failed on ${subject}: ${this.explain(error)}`)
      return undefined
    }
  }

  private explain(error: unknown, jobId?: string): string {
    if (error instanceof CodePipelineCallError) {
      return explainCallError(error, { jobId, ...CODEPIPELINE_CALLS })
    }
    return errorMessage(error)
  }
}

/** Runs `work` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]
      if (item !== undefined) await work(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
}
