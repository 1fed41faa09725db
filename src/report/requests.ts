import type { CurrentRevision, PutJobSuccessResultInput } from '@aws-sdk/client-codepipeline'
import { describeRun, runUrl, type GitHubContext } from '../runner/github-context.js'
import type { ReportSettings } from './inputs.js'
import { LENGTH, truncate } from '../portable/limits.js'

/** What the `reported` output says. */
export type Reported = 'success' | 'continuation' | 'failure'

/** Builds PutJobSuccessResult for a final result or, with a continuation token, for progress. */
export function successRequest(
  settings: ReportSettings,
  currentRevision: CurrentRevision | undefined,
  context: GitHubContext
): PutJobSuccessResultInput {
  const continuing = settings.continuationToken !== undefined
  const percentComplete = settings.percentComplete ?? (continuing ? undefined : 100)
  const externalExecutionId = settings.externalExecutionId ?? context.runId
  return {
    jobId: settings.jobId,
    ...(currentRevision && { currentRevision }),
    ...(continuing && { continuationToken: settings.continuationToken }),
    executionDetails: {
      summary: settings.summary ?? defaultSummary(continuing ? 'In progress' : 'Succeeded', context),
      ...(externalExecutionId && { externalExecutionId }),
      ...(percentComplete !== undefined && { percentComplete })
    },
    ...(!continuing && settings.outputVariables && { outputVariables: settings.outputVariables })
  }
}

/** "Succeeded in workflow 'Build', run #12, attempt 1: <run URL>", within the API's limit. */
export function defaultSummary(outcome: string, context: GitHubContext): string {
  const url = runUrl(context)
  return truncate(`${outcome} in ${describeRun(context)}${url ? `: ${url}` : ''}`, LENGTH.executionSummary.max)
}

/** Says what happened to the run and where to look, for the pipeline's failure details. */
export function defaultFailureMessage(status: 'failure' | 'cancelled', context: GitHubContext): string {
  const url = runUrl(context)
  const what = status === 'cancelled' ? 'was cancelled' : 'failed'
  return `GitHub Actions ${describeRun(context)} ${what}.${url ? ` See ${url}` : ''}`
}
