import * as log from '../runner/step-log.js'
import { answeredJobs } from '../runner/answered-jobs.js'
import { errorCode, explainCallError, isCredentialsError } from '../portable/aws-errors.js'
import { failureRequest } from '../portable/failure-request.js'
import { describeRun, readGitHubContext, runUrl, type GitHubContext } from '../runner/github-context.js'
import type { AwsSettings } from '../portable/codepipeline.js'
import { InvalidAwsInputs, optionalInput, readAwsSettings } from '../runner/inputs.js'
import { BRIDGE_URL_INPUT } from '../runner/bridge-client.js'
import { errorMessage } from '../portable/errors.js'
import { announceProxy } from '../portable/proxy.js'
import { maskEnvironmentSecrets } from '../runner/secrets.js'
import { rememberedJob } from './state.js'

/**
 * The job action's post step, run by the runner when the GitHub job ends,
 * whatever happened in it. When the main step read or claimed a job and no
 * step reported on it, it fails the job, so that the pipeline stops instead of
 * waiting for a result that will never come. A job that has its result costs
 * no call when the reporting step ran in this GitHub job (it leaves a mark),
 * and one refused call otherwise.
 */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const jobId = rememberedJob()
  if (jobId === undefined) {
    log.debug('No job to watch: the main step held none, or fail-if-unreported is false.')
    return
  }
  if (answeredJobs(env).includes(jobId)) {
    log.info(`A step of this GitHub job reported the result of CodePipeline job ${jobId}.`)
    return
  }
  maskEnvironmentSecrets(env)
  announceProxy(log, env)
  const context = readGitHubContext(env)
  const bridgeUrl = optionalInput(BRIDGE_URL_INPUT)
  if (bridgeUrl !== undefined) return failThroughBridge(bridgeUrl, jobId, context)
  const aws = awsSettings(env)
  // Loaded only here: most GitHub jobs end with their result reported, and need no client.
  const { CodePipeline, CodePipelineCallError } = await import('../portable/codepipeline.js')
  const pipeline = new CodePipeline(aws, log)
  const request = failureRequest({ jobId, type: 'JobFailed', message: unreportedMessage(context) }, context.runId)
  try {
    await pipeline.putJobFailureResult(request)
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error
    // A refusal after a lost answer means the lost attempt landed: this step did report.
    if (!error.landedEarlier('InvalidJobStateException')) {
      if (errorCode(error.cause) === 'InvalidJobStateException') {
        // The one refusal of a result for a job this workflow held: it has its result, from another GitHub job perhaps.
        log.info(`CodePipeline job ${jobId} already has its result; nothing to report.`)
        return
      }
      const explanation = explainCallError(error, { ...aws, jobId })
      log.setFailed(
        `No step reported a result for CodePipeline job ${jobId}, and this step could not tell CodePipeline either, so the pipeline waits until the action times out. ${explanation}${isCredentialsError(error.cause) ? ` ${CREDENTIALS_AT_THE_END}` : ''}`
      )
      return
    }
  }
  log.setFailed(
    `No step of this GitHub job reported a result for CodePipeline job ${jobId}, so this step reported JobFailed, and the pipeline stops instead of waiting. Report from the last step, with if: always() and status: \${{ job.status }}. If a later GitHub job reports on this job, set fail-if-unreported: false on the job action.`
  )
}

/** Credential-free mode: the failure goes through the bridge, which refuses it once the job has a result. */
async function failThroughBridge(bridgeUrl: string, jobId: string, context: GitHubContext): Promise<void> {
  const { BridgeClient, BridgeJobCalls, BridgeRefusal, readBridgeEndpoint } = await import('../runner/bridge-client.js')
  const request = failureRequest({ jobId, type: 'JobFailed', message: unreportedMessage(context) }, context.runId)
  try {
    await new BridgeJobCalls(new BridgeClient(readBridgeEndpoint(bridgeUrl))).putJobFailureResult(request)
  } catch (error) {
    if (error instanceof BridgeRefusal && error.status === 409) {
      log.info(`CodePipeline job ${jobId} already has its result; nothing to report.`)
      return
    }
    log.setFailed(
      `No step reported a result for CodePipeline job ${jobId}, and this step could not tell the bridge either: ${errorMessage(error)}. The bridge fails the job once the run ends.`
    )
    return
  }
  log.setFailed(
    `No step of this GitHub job reported a result for CodePipeline job ${jobId}, so this step reported JobFailed through the bridge, and the pipeline stops instead of waiting. Report from the last step, with if: always() and status: \${{ job.status }}.`
  )
}

/** The AWS inputs; bad ones were named by the main step, so their defaults do here. */
function awsSettings(env: NodeJS.ProcessEnv): AwsSettings {
  try {
    return readAwsSettings(env).settings
  } catch (error) {
    if (!(error instanceof InvalidAwsInputs)) throw error
    return error.fallback
  }
}

/** What this step runs with, and what to do about credentials that do not last that long. */
const CREDENTIALS_AT_THE_END =
  'This step runs as the GitHub job ends, with the AWS credentials the job has by then: make the role session outlast the job (role-duration-seconds of aws-actions/configure-aws-credentials), or configure credentials again in a last step with if: always().'

/** The failure CodePipeline shows: which run, where, and why nothing came. */
function unreportedMessage(context: GitHubContext): string {
  const url = runUrl(context)
  // The link goes last, where no full stop can be taken as part of it.
  return `GitHub Actions ${describeRun(context)} ended without reporting a result for this job. The workflow's last step should report, with if: always() so that it runs when the build fails.${url ? ` The run: ${url}` : ''}`
}
