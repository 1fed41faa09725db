import * as log from '../runner/step-log.js'
import * as core from '@actions/core'
import type { ActionTypeId, JobData } from '@aws-sdk/client-codepipeline'
import { pipelineExecution } from '../portable/console-links.js'
import { maskCredentials } from '../runner/secrets.js'
import { code, link, writeSummaryTable } from '../runner/summary-table.js'

/** A job as PollForJobs or GetJobDetails describes it. */
export interface JobRecord {
  readonly id?: string
  readonly data?: JobData
  readonly accountId?: string
}

/**
 * Masks what job data carries that must never be printed: the temporary S3
 * credentials, and the values of the action type's secret properties.
 * Runs before anything from the job is printed or set as an output.
 */
export function maskJobSecrets(job: JobRecord, secretProperties: ReadonlySet<string> | undefined): void {
  maskCredentials(job.data?.artifactCredentials)
  for (const [name, value] of Object.entries(job.data?.actionConfiguration?.configuration ?? {})) {
    if (value && (secretProperties === undefined || secretProperties.has(name))) core.setSecret(value)
  }
}

/** Every output of the job action; a test holds this list and job/action.yml together. */
export const JOB_OUTPUT_NAMES = [
  'job-id',
  'confirmed',
  'account-id',
  'pipeline-name',
  'pipeline-arn',
  'pipeline-execution-id',
  'pipeline-execution-url',
  'stage-name',
  'action-name',
  'action-execution-id',
  'configuration',
  'input-artifacts',
  'input-revision',
  'continuation-token',
  'input-artifact-paths'
] as const
export type JobOutputName = (typeof JOB_OUTPUT_NAMES)[number]

/** Sets one of the outputs job/action.yml declares; the compiler refuses any other name. */
export function setJobOutput(name: JobOutputName, value: string): void {
  core.setOutput(name, value)
}

/** The outputs that come from the job's data: all but what the claim and the download add. */
type JobDataOutputName = Exclude<JobOutputName, 'confirmed' | 'input-artifact-paths'>

export interface InputArtifactOutput {
  readonly name?: string
  readonly revision?: string
  readonly s3Location?: { readonly bucketName?: string; readonly objectKey?: string }
}

/**
 * The step's outputs for a job. `secretProperties` undefined means they could
 * not be learnt, so the configuration is left out rather than risk a secret.
 * `region` is the client's, which is the job's: it places the console link.
 */
/**
 * Sets every output the job's data gives, and says in the log which job it
 * is; `how` says how it was read, when not from CodePipeline itself.
 */
export function publishJob(
  job: JobRecord,
  secretProperties: ReadonlySet<string> | undefined,
  region: string | undefined,
  how = ''
): Partial<Record<JobDataOutputName, string>> {
  const outputs = jobOutputs(job, secretProperties, region)
  for (const [name, value] of Object.entries(outputs) as [JobDataOutputName, string][]) setJobOutput(name, value)
  const context = job.data?.pipelineContext
  log.info(
    `CodePipeline job ${job.id}${how}: pipeline ${context?.pipelineName ?? '?'}, stage ${context?.stage?.name ?? '?'}, action ${context?.action?.name ?? '?'}, input revision ${outputs['input-revision'] ?? 'none'}.`
  )
  return outputs
}

export function jobOutputs(
  job: JobRecord,
  secretProperties: ReadonlySet<string> | undefined,
  region?: string
): Partial<Record<JobDataOutputName, string>> {
  const data = job.data
  const context = data?.pipelineContext
  const inputs: InputArtifactOutput[] = (data?.inputArtifacts ?? []).map((artifact) => ({
    name: artifact.name,
    revision: artifact.revision,
    s3Location: artifact.location?.s3Location && {
      bucketName: artifact.location.s3Location.bucketName,
      objectKey: artifact.location.s3Location.objectKey
    }
  }))
  const outputs: Partial<Record<JobDataOutputName, string>> = {
    'job-id': job.id,
    'account-id': job.accountId,
    'pipeline-name': context?.pipelineName,
    'pipeline-arn': context?.pipelineArn,
    'pipeline-execution-id': context?.pipelineExecutionId,
    'pipeline-execution-url': pipelineExecution(context, region)?.url,
    'stage-name': context?.stage?.name,
    'action-name': context?.action?.name,
    'action-execution-id': context?.action?.actionExecutionId,
    'input-artifacts': JSON.stringify(inputs),
    'input-revision': inputs[0]?.revision,
    'continuation-token': data?.continuationToken
  }
  if (secretProperties !== undefined) {
    const configuration = Object.entries(data?.actionConfiguration?.configuration ?? {}).filter(
      ([name]) => !secretProperties.has(name)
    )
    outputs.configuration = JSON.stringify(Object.fromEntries(configuration))
  }
  return Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined))
}

export function describeActionType(id: ActionTypeId): string {
  return `${id.category}/${id.owner}/${id.provider}/${id.version}`
}

/** Writes the job's pipeline context to the step summary. */
export async function writeJobSummary(
  outputs: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env
): Promise<void> {
  if (!env.GITHUB_STEP_SUMMARY) return
  const execution = outputs['pipeline-execution-id']
  const executionUrl = outputs['pipeline-execution-url']
  const rows: [string, string | undefined][] = [
    ['Job', code(outputs['job-id'])],
    ['Pipeline', code(outputs['pipeline-name'])],
    ['Execution', executionUrl ? link(code(execution), executionUrl) : code(execution)],
    ['Stage', code(outputs['stage-name'])],
    ['Action', code(outputs['action-name'])],
    ['Input revision', code(outputs['input-revision'])],
    ['Continues an earlier job', outputs['continuation-token'] ? 'yes' : undefined],
    ['Configuration', code(outputs.configuration)]
  ]
  await writeSummaryTable('CodePipeline job', rows)
}
