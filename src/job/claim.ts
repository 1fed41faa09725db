import * as log from '../runner/step-log.js'
import type { Job } from '@aws-sdk/client-codepipeline'
import {
  acknowledge,
  CodePipelineCallError,
  describeUnconfirmedAcknowledgement,
  type Acknowledgement,
  type CodePipeline
} from '../portable/codepipeline.js'
import type { ClaimSettings } from './inputs.js'

/** Waiting and time, injectable so that tests need not wait. */
export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
  random(): number
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random()
}

const FIRST_DELAY_MS = 1_000
const MAX_DELAY_MS = 15_000
/** Jobs to look at per poll when hunting for one revision. */
const MATCHING_BATCH = 10

/**
 * Acknowledging a job failed in a way that leaves open whether it is ours, so
 * the workflow must still be told which job it was, to report on it.
 */
export class AcknowledgeError extends Error {
  constructor(
    readonly jobId: string,
    override readonly cause: CodePipelineCallError
  ) {
    super(cause.message)
    this.name = 'AcknowledgeError'
  }
}

/**
 * Acknowledges a job this workflow means to work on. A call that fails may
 * still have claimed it, so the failure names the job: an AcknowledgeError.
 */
export async function acknowledgeOrTell(
  source: Pick<CodePipeline, 'acknowledgeJob'>,
  jobId: string,
  nonce: string
): Promise<Acknowledgement> {
  try {
    return await acknowledge(source, jobId, nonce)
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error
    throw new AcknowledgeError(jobId, error)
  }
}

/** What a claim tells as it goes, for a step that must know which job it may own when it is stopped. */
export interface ClaimProgress {
  /** Each job just before it is acknowledged: from then on it may be this workflow's. */
  acknowledging?(jobId: string): void
  /** The job acknowledged turned out not to be this workflow's: another worker's, or not to be worked on. */
  declined?(jobId: string): void
  /** The job claimed went by a retry whose first answer was lost: it is only probably this workflow's. */
  unconfirmed?(jobId: string): void
}

/** The PollForJobs and AcknowledgeJob calls a claim needs. */
export type JobSource = Pick<CodePipeline, 'pollForJobs' | 'acknowledgeJob'>

/**
 * Polls for a job of the action type and acknowledges the first that matches.
 * Polls again, with backoff and jitter, until `waitSeconds` have passed.
 * Never acknowledges a job that does not match. Resolves undefined when no
 * job could be claimed in time.
 */
export async function claimJob(
  source: JobSource,
  settings: ClaimSettings,
  clock: Clock = realClock,
  progress: ClaimProgress = {}
): Promise<Job | undefined> {
  const deadline = clock.now() + settings.waitSeconds * 1000
  const batch = settings.matchRevision === undefined ? 1 : MATCHING_BATCH
  for (let round = 0; ; round++) {
    const jobs = await source.pollForJobs({
      actionTypeId: settings.actionTypeId,
      maxBatchSize: batch,
      ...(settings.query && { queryParam: { [settings.query.name]: settings.query.value } })
    })
    log.debug(`PollForJobs returned ${jobs.length} job(s)`)
    for (const job of jobs) {
      if (!matches(job, settings.matchRevision)) {
        log.info(`Skipping job ${job.id}: its input revisions are not ${settings.matchRevision}.`)
        continue
      }
      if (await tryToClaim(source, job, progress)) return job
    }
    const remaining = deadline - clock.now()
    if (remaining <= 0) return undefined
    // Exponential backoff with jitter, so that many workflows do not poll in step.
    const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** round)
    const delay = Math.min(remaining, ceiling / 2 + (clock.random() * ceiling) / 2)
    log.debug(`No job to claim yet; polling again in ${Math.round(delay)} ms`)
    await clock.sleep(delay)
  }
}

/** True when the job works on this revision, or when any revision will do. */
export function matches(job: Job, revision: string | undefined): boolean {
  if (revision === undefined) return true
  return (job.data?.inputArtifacts ?? []).some((artifact) => artifact.revision === revision)
}

/** True when the job is now this workflow's to work on. */
async function tryToClaim(source: JobSource, job: Job, progress: ClaimProgress): Promise<boolean> {
  if (!job.id || !job.nonce) return false
  progress.acknowledging?.(job.id)
  const answer = await acknowledgeOrTell(source, job.id, job.nonce)
  if (answer.outcome === 'taken') {
    progress.declined?.(job.id)
    log.info(`Job ${job.id} was claimed by another worker first; looking further.`)
    return false
  }
  if (answer.answerLost) {
    // Walking away from a job this workflow may have claimed leaves the pipeline waiting a day; taking one another
    // worker holds costs double work, and CodePipeline keeps only the first result. So the job is taken, flagged.
    progress.unconfirmed?.(job.id)
    log.warning(describeUnconfirmedAcknowledgement(job.id, 'Working on it'))
    return true
  }
  if (answer.status === 'InProgress') return true
  progress.declined?.(job.id)
  log.info(`Not taking job ${job.id}: acknowledging it answered ${answer.status ?? 'no status'}, not InProgress.`)
  return false
}
