import { explainCallError } from '../portable/aws-errors.js'
import { CodePipelineCallError, type CodePipeline } from '../portable/codepipeline.js'
import { errorMessage } from '../portable/errors.js'
import type { ArtifactAccess } from './artifact-calls.js'
import type { Clock } from './clock.js'
import type { GitHubApi, WorkflowRun } from './github.js'
import type { Logger } from './json-log.js'
import type { BridgeRecord, Changes } from './record.js'
import { CODEPIPELINE_CALLS, type BridgeSettings } from './settings.js'
import type { Lease, StateStore } from './state-store.js'
import type { SweepSchedule } from './sweep-schedule.js'
import type { Trigger } from './trigger.js'
import type { RunWatch } from './watch.js'

/** A lease outlives its invocation's deadline by this much: for a write in flight at the deadline, and clocks a little apart. */
const LEASE_MARGIN_MS = 2_000

export type JobQueue = Pick<
  CodePipeline,
  'pollForJobs' | 'acknowledgeJob' | 'putJobFailureResult' | 'putJobSuccessResult' | 'getJobDetails'
>

export interface BridgeParts {
  readonly settings: BridgeSettings
  readonly artifactAccess: ArtifactAccess
  readonly pipeline: JobQueue
  readonly store: StateStore
  readonly github: GitHubApi
  readonly schedule: SweepSchedule
  /** Lists runs per repository for the sweep; without it, each run is read by itself. */
  readonly watch?: RunWatch
  readonly log: Logger
  readonly clock: Clock
}

export interface Invocation {
  /** Unique per invocation: the lease holder's name. */
  readonly owner: string
  /** When the function's time runs out. */
  readonly deadline: number
  /** No step starts after this, though the leases last until the deadline: a webhook delivery's answer is awaited. */
  readonly stepsUntil?: number
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
 * One invocation's work in progress: its parts, what it did so far, the
 * errors it met, and the writes to the records it holds leases on.
 *
 * - `save` writes changes, conditional on the lease: a record taken over
 *   or closed meanwhile is left alone (undefined comes back).
 * - `later` keeps changes for the record's next write. Only for what may
 *   be lost in a crash: an acknowledgement not written down is made
 *   again, and CodePipeline answers it the same.
 * - `letGo` writes the last changes and frees the lease in one write, for
 *   a later sweep, when there is nothing more to do now.
 * - `guard` runs one job's or record's work: an unexpected error is logged
 *   and noted, and the rest goes on.
 */
export class Session {
  readonly summary: Summary
  readonly unexpected: unknown[] = []
  /** Runs as the sweep's lists showed them, by ID: looked at without reading each again. */
  readonly sightings = new Map<number, WorkflowRun>()
  private readonly deferred = new Map<string, Changes>()
  private readonly reserveMs: number

  constructor(
    readonly parts: BridgeParts,
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

  get log(): Logger {
    return this.parts.log
  }

  get now(): number {
    return this.parts.clock.now()
  }

  lease(): Lease {
    return { owner: this.invocation.owner, until: this.invocation.deadline + LEASE_MARGIN_MS }
  }

  hasTime(needMs = 0): boolean {
    const { deadline, stepsUntil = deadline } = this.invocation
    return Math.min(deadline - this.reserveMs, stepsUntil) - this.now > needMs
  }

  async save(record: BridgeRecord, changes: Changes): Promise<BridgeRecord | undefined> {
    const deferred = this.deferred.get(record.key)
    this.deferred.delete(record.key)
    const saved = await this.parts.store.save(record.key, this.invocation.owner, { ...deferred, ...changes })
    if (!saved)
      this.log.info('The record was taken over or closed meanwhile; leaving it', { actionExecutionId: record.key })
    return saved
  }

  async close(record: BridgeRecord, because: string): Promise<undefined> {
    if (await this.save(record, { phase: 'closed', closedBecause: because })) this.summary.closed += 1
    this.log.info(`Closed: ${because}`, { jobId: record.jobId, actionExecutionId: record.key })
    return undefined
  }

  later<R extends BridgeRecord>(record: R, changes: Changes & Partial<R>): R {
    this.deferred.set(record.key, { ...this.deferred.get(record.key), ...changes })
    return { ...record, ...changes }
  }

  async letGo(record: BridgeRecord | undefined, changes: Changes = {}): Promise<undefined> {
    if (record) await this.save(record, { ...changes, leaseOwner: undefined, leaseUntil: undefined })
    return undefined
  }

  async guard<T>(subject: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work()
    } catch (error) {
      this.unexpected.push(error)
      this.log.error(`Failed on ${subject}: ${this.explain(error)}`)
      return undefined
    }
  }

  explain(error: unknown, jobId?: string): string {
    if (error instanceof CodePipelineCallError) return explainCallError(error, { jobId, ...CODEPIPELINE_CALLS })
    return errorMessage(error)
  }
}
