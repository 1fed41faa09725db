import * as core from '@actions/core'

/**
 * The jobs a step of this GitHub job has given a result, so that the job
 * action's step at the end of the GitHub job knows without asking
 * CodePipeline. The list travels in an environment variable set through
 * GITHUB_ENV, which the runner hands to every later step, post steps included,
 * and to no other GitHub job.
 */
const ANSWERED_JOBS_VARIABLE = 'CODEPIPELINE_ANSWERED_JOBS'

export function answeredJobs(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[ANSWERED_JOBS_VARIABLE] ?? '').split(/[\s,]+/).filter(Boolean)
}

/** Notes that CodePipeline has this job's result, for the steps after this one. */
export function markAnswered(jobId: string): void {
  const jobs = answeredJobs()
  if (!jobs.includes(jobId)) core.exportVariable(ANSWERED_JOBS_VARIABLE, [...jobs, jobId].join(' '))
}
