import type { PutJobFailureResultInput, PutJobSuccessResultInput } from '@aws-sdk/client-codepipeline'
import type { UploadedArtifact } from '../artifacts/upload.js'
import type { Reported } from './requests.js'
import { outputVariablesBytes } from '../portable/limits.js'
import type { PipelineExecution } from '../portable/console-links.js'
import { code, escape, link, writeSummaryTable } from '../runner/summary-table.js'

const HEADINGS: Record<Reported, string> = {
  success: 'CodePipeline job succeeded',
  continuation: 'CodePipeline job in progress',
  failure: 'CodePipeline job failed'
}

/** What the step learnt besides the request, for the summary. */
export interface SummaryExtras {
  readonly artifacts?: readonly UploadedArtifact[]
  /** The pipeline execution, when the step read the job. */
  readonly execution?: PipelineExecution
}

/**
 * Writes what CodePipeline was told to the step summary. Variable values are
 * left out: they may hold data a user would not want on the run page.
 */
export async function writeStepSummary(
  reported: Reported,
  request: PutJobSuccessResultInput | PutJobFailureResultInput,
  { artifacts = [], execution }: SummaryExtras = {},
  env: NodeJS.ProcessEnv = process.env
): Promise<void> {
  // core.summary throws without this file, as when run outside a runner.
  if (!env.GITHUB_STEP_SUMMARY) return
  const rows: [string, string | undefined][] = [['Job', code(request.jobId)]]
  if (execution) {
    const named = `${code(execution.pipelineName)}, execution ${code(execution.executionId)}`
    rows.push(['Pipeline execution', execution.url ? link(named, execution.url) : named])
  }
  if ('failureDetails' in request && request.failureDetails) {
    rows.push(['Failure type', request.failureDetails.type], ['Message', escape(request.failureDetails.message)])
  } else {
    const success = request as PutJobSuccessResultInput
    const revision = success.currentRevision
    if (revision) {
      rows.push(
        ['Revision', code(revision.revision)],
        ['Change', escape(revision.changeIdentifier)],
        ['Committed', revision.created?.toISOString()],
        ['Commit summary', escape(revision.revisionSummary)]
      )
    }
    rows.push(
      ['Summary', escape(success.executionDetails?.summary)],
      ['Percent complete', success.executionDetails?.percentComplete?.toString()]
    )
    if (success.continuationToken)
      rows.push(['Continuation token', `sent (${success.continuationToken.length} characters)`])
    if (success.outputVariables) {
      const names = Object.keys(success.outputVariables)
      rows.push([
        'Output variables',
        names.length === 0
          ? 'none'
          : `${names.map(code).join(', ')} (${outputVariablesBytes(success.outputVariables)} bytes)`
      ])
    }
  }
  for (const artifact of artifacts) {
    rows.push([
      `Output artifact ${escape(artifact.name)}`,
      `${artifact.bytes} bytes${artifact.bucketName ? `, ${code(`s3://${artifact.bucketName}/${artifact.objectKey}`)}` : ', through the bridge'}`
    ])
  }
  await writeSummaryTable(HEADINGS[reported], rows)
}
