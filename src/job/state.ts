import * as core from '@actions/core'

/**
 * What the job action's main step leaves its post step: the job it read or
 * claimed, which the post step fails at the end of the GitHub job if no step
 * reported on it. The runner keeps it per use of the action, so two job steps
 * in one GitHub job each watch their own job.
 */
const JOB_STATE = 'job-id'

export function rememberJob(jobId: string): void {
  core.saveState(JOB_STATE, jobId)
}

/** The job the main step read or claimed, when it did and the safety net is on. */
export function rememberedJob(): string | undefined {
  return core.getState(JOB_STATE) || undefined
}
