import type { PutJobFailureResultInput } from '@aws-sdk/client-codepipeline'
import type { GitHubContext } from './github-context.js'
import { LENGTH, truncate, type FailureType } from './limits.js'

/**
 * PutJobFailureResult for a job, within the API's limits, with the run ID as
 * externalExecutionId so that the console links to the run.
 */
export function failureRequest(
  jobId: string,
  type: FailureType,
  message: string,
  context: GitHubContext,
  externalExecutionId: string | undefined = context.runId
): PutJobFailureResultInput {
  return {
    jobId,
    failureDetails: {
      type,
      message: truncate(message, LENGTH.failureMessage.max),
      ...(externalExecutionId && { externalExecutionId })
    }
  }
}
