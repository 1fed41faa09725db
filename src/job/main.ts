import * as core from '@actions/core'
import type { ActionTypeId } from '@aws-sdk/client-codepipeline'
import { errorCode, explainCallError } from '../core/aws-errors.js'
import {
  acknowledge,
  CodePipeline,
  CodePipelineCallError,
  describeAcknowledgement,
  type AwsSettings
} from '../core/codepipeline.js'
import { Problems, readAwsSettings } from '../core/inputs.js'
import { errorMessage } from '../core/errors.js'
import { maskEnvironmentSecrets } from '../core/secrets.js'
import { AcknowledgeError, claimJob, realClock, type Clock } from './claim.js'
import { readInputArtifactsPath, readJobSettings, type ClaimSettings, type KnownJob } from './inputs.js'
import { describeActionType, jobOutputs, maskJobSecrets, writeJobSummary, type JobRecord } from './outputs.js'

/** Reads a known job, or claims the next one, and hands its context to the workflow. */
export async function run(env: NodeJS.ProcessEnv = process.env, clock: Clock = realClock): Promise<void> {
  maskEnvironmentSecrets(env)
  const problems = new Problems()
  const aws = problems.check(() => readAwsSettings(env))
  const read = problems.check(readJobSettings)
  const inputArtifactsPath = readInputArtifactsPath()
  if (aws === undefined || read === undefined) {
    // Bad input makes no call: nothing has been claimed yet.
    for (const problem of problems.found) core.error(problem.message)
    core.setFailed('No job was read or claimed: fix the inputs above.')
    return
  }
  for (const warning of read.warnings) core.warning(warning)

  const pipeline = new CodePipeline(aws.settings, core)
  try {
    const job =
      read.settings.kind === 'known'
        ? await readKnownJob(pipeline, read.settings)
        : await claim(pipeline, read.settings, clock)
    if (job === undefined) return
    const secretProperties = await secretPropertiesOf(pipeline, job)
    maskJobSecrets(job, secretProperties)
    const outputs = jobOutputs(job, secretProperties)
    for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)
    const context = job.data?.pipelineContext
    core.info(
      `CodePipeline job ${job.id}: pipeline ${context?.pipelineName ?? '?'}, stage ${context?.stage?.name ?? '?'}, action ${context?.action?.name ?? '?'}, input revision ${outputs['input-revision'] ?? 'none'}.`
    )
    if (inputArtifactsPath !== undefined)
      await downloadInputArtifactsTo(pipeline, aws.settings, job, inputArtifactsPath)
    await writeJobSummary(outputs)
  } catch (error) {
    if (error instanceof AcknowledgeError) {
      // The job may be ours now: give the workflow its ID, so that its report step can answer it.
      core.setOutput('job-id', error.jobId)
      core.setFailed(
        `Could not acknowledge job ${error.jobId}, which may now be claimed by this workflow; its ID is in the job-id output, so that a later step with if: always() can report on it. ${explainCallError(error.cause, { ...aws.settings, jobId: error.jobId })}`
      )
      return
    }
    core.setFailed(
      error instanceof CodePipelineCallError
        ? explainCallError(error, {
            ...aws.settings,
            jobId: read.settings.kind === 'known' ? read.settings.jobId : undefined
          })
        : errorMessage(error)
    )
  }
}

/** Downloads the job's input artifacts, each into `<path>/<ArtifactName>/`, and says where they went. */
async function downloadInputArtifactsTo(
  pipeline: CodePipeline,
  aws: AwsSettings,
  job: JobRecord,
  path: string
): Promise<void> {
  const credentials = job.data?.artifactCredentials
  const inputs = job.data?.inputArtifacts ?? []
  if (inputs.length === 0) {
    core.info('The job has no input artifacts to download.')
    core.setOutput('input-artifact-paths', '{}')
    return
  }
  if (!credentials) throw new Error('CodePipeline gave no artifact credentials with the job.')
  const store = await import('../artifacts/store.js')
  try {
    const downloaded = await store.downloadJobInputs(inputs, path, {
      pipeline,
      jobId: job.id!,
      credentials,
      maxAttempts: aws.maxAttempts
    })
    for (const artifact of downloaded) {
      const what = artifact.format === 'zip' ? `${artifact.entries} entries extracted` : 'not a zip, saved as it is'
      core.info(`Input artifact ${artifact.name}: ${artifact.bytes} bytes, ${what}, in ${artifact.path}`)
    }
    core.setOutput(
      'input-artifact-paths',
      JSON.stringify(Object.fromEntries(downloaded.map((artifact) => [artifact.name, artifact.path])))
    )
  } catch (error) {
    if (!(error instanceof store.ArtifactError)) throw error
    core.setFailed(`${error.message}. The job stays claimed: report its failure in a later step with if: always().`)
  }
}

async function readKnownJob(pipeline: CodePipeline, settings: KnownJob): Promise<JobRecord | undefined> {
  if (settings.nonce !== undefined) {
    const answer = await acknowledge(pipeline, settings.jobId, settings.nonce)
    // Another worker's job is not this workflow's to read: the refusal explains why.
    if (answer.outcome === 'taken') throw answer.refusal
    core.info(describeAcknowledgement(settings.jobId, answer))
  }
  return pipeline.getJobDetails(settings.jobId)
}

async function claim(pipeline: CodePipeline, settings: ClaimSettings, clock: Clock): Promise<JobRecord | undefined> {
  const wanted = [
    `a ${describeActionType(settings.actionTypeId)} job`,
    settings.query && `with ${settings.query.name}=${settings.query.value}`,
    settings.matchRevision && `for revision ${settings.matchRevision}`
  ]
    .filter(Boolean)
    .join(' ')
  core.info(`Polling CodePipeline for ${wanted}, for up to ${settings.waitSeconds} s.`)
  const job = await claimJob(pipeline, settings, clock)
  if (job) {
    core.info(`Claimed job ${job.id}.`)
    return job
  }
  const message = `No job to claim: polled for ${wanted} for ${settings.waitSeconds} s. Check that the pipeline reached the custom action, and that provider, category, version and query match its action type; raise 'wait-seconds' if the pipeline is slow to get there.`
  if (settings.failIfNone) core.setFailed(message)
  else core.info(`${message} Carrying on with an empty result, as 'fail-if-none' is false.`)
  return undefined
}

/**
 * Which configuration properties are secret, from the action type's
 * definition. Undefined, with a warning, when that cannot be read.
 */
async function secretPropertiesOf(pipeline: CodePipeline, job: JobRecord): Promise<ReadonlySet<string> | undefined> {
  const configuration = job.data?.actionConfiguration?.configuration ?? {}
  const typeId: ActionTypeId | undefined = job.data?.actionTypeId
  if (Object.keys(configuration).length === 0) return new Set()
  try {
    const type = typeId && (await pipeline.findCustomActionType(typeId))
    if (type) {
      return new Set(
        (type.actionConfigurationProperties ?? [])
          .filter((property) => property.secret)
          .map((property) => property.name!)
      )
    }
    core.warning(
      `The 'configuration' output is left out: the action type ${typeId ? describeActionType(typeId) : '?'} was not found, so its secret properties are unknown.`
    )
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error
    core.warning(
      `The 'configuration' output is left out, as it may hold secret values: reading the action type failed. Allow codepipeline:ListActionTypes to get it. (${errorCode(error.cause)})`
    )
  }
  return undefined
}
