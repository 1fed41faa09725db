import { randomUUID } from 'node:crypto'

export type JobState = 'Queued' | 'Dispatched' | 'InProgress' | 'Succeeded' | 'Failed' | 'TimedOut'

/** A custom-action job as the emulator keeps it. */
export interface EmulatedJob {
  readonly id: string
  state: JobState
  readonly nonce: string
  readonly accountId: string
  /** JobData as PollForJobs and GetJobDetails will hand it out. */
  readonly data: Record<string, unknown>
  /** The body of the request that ended the job, once one did. */
  result?: { operation: string; body: Record<string, unknown> }
}

export interface NewJob {
  id?: string
  state?: JobState
  data?: Record<string, unknown>
}

const FINAL_STATES: ReadonlySet<JobState> = new Set(['Succeeded', 'Failed', 'TimedOut'])

export class JobStore {
  private readonly jobs = new Map<string, EmulatedJob>()

  create(job: NewJob = {}): EmulatedJob {
    const created: EmulatedJob = {
      id: job.id ?? randomUUID(),
      state: job.state ?? 'InProgress',
      nonce: randomUUID().slice(0, 8),
      accountId: '111122223333',
      data: job.data ?? {}
    }
    this.jobs.set(created.id, created)
    return created
  }

  get(id: string): EmulatedJob | undefined {
    return this.jobs.get(id)
  }

  all(): EmulatedJob[] {
    return [...this.jobs.values()]
  }

  static isFinal(state: JobState): boolean {
    return FINAL_STATES.has(state)
  }
}
