import type { PutJobFailureResultInput } from '@aws-sdk/client-codepipeline'
import { LENGTH, truncate, type FailureType } from './limits.js'

/** What a failure report says; `externalExecutionId` defaults to the run ID, so that the console links to the run. */
export interface Failure {
  readonly jobId: string
  readonly type: FailureType
  readonly message: string
  readonly externalExecutionId?: string
}

/** Builds PutJobFailureResult, with the message cut to the API's limit; `runId` is the workflow run's, if any. */
export function failureRequest(failure: Failure, runId: string | undefined): PutJobFailureResultInput {
  const externalExecutionId = failure.externalExecutionId ?? runId
  return {
    jobId: failure.jobId,
    failureDetails: {
      type: failure.type,
      message: truncate(failure.message, LENGTH.failureMessage.max),
      ...(externalExecutionId && { externalExecutionId })
    }
  }
}
