import * as core from '@actions/core'
import type { PutJobFailureResultInput, PutJobSuccessResultInput } from '@aws-sdk/client-codepipeline'
import type { UploadedArtifact } from './artifacts/upload.js'
import type { Reported } from './job-result.js'
import { outputVariablesBytes } from './limits.js'

const HEADINGS: Record<Reported, string> = {
  success: 'CodePipeline job succeeded',
  continuation: 'CodePipeline job in progress',
  failure: 'CodePipeline job failed'
}

/**
 * Writes what CodePipeline was told to the step summary. Variable values are
 * left out: they may hold data a user would not want on the run page.
 */
export async function writeStepSummary(
  reported: Reported,
  request: PutJobSuccessResultInput | PutJobFailureResultInput,
  artifacts: readonly UploadedArtifact[] = [],
  env: NodeJS.ProcessEnv = process.env
): Promise<void> {
  // core.summary throws without this file, as when run outside a runner.
  if (!env.GITHUB_STEP_SUMMARY) return
  const rows: [string, string | undefined][] = [['Job', code(request.jobId)]]
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
      `${artifact.bytes} bytes, ${code(`s3://${artifact.bucketName}/${artifact.objectKey}`)}`
    ])
  }
  await writeSummaryTable(HEADINGS[reported], rows)
}

/** A heading and a two-column table of HTML values; rows without a value are left out. */
export async function writeSummaryTable(heading: string, rows: readonly [string, string | undefined][]): Promise<void> {
  const table = rows
    .filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '')
    .map(([name, value]) => `<tr><th align="left">${name}</th><td>${value}</td></tr>`)
    .join('')
  await core.summary.addHeading(heading, 3).addRaw(`<table>${table}</table>`, true).write()
}

function escape(text: string | undefined): string | undefined {
  return text?.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

/** Text shown as code, escaped. */
export function code(text: string | undefined): string | undefined {
  return text === undefined ? undefined : `<code>${escape(text)}</code>`
}
