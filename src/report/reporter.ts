import * as core from '@actions/core'
import type { PutJobFailureResultInput, PutJobSuccessResultInput } from '@aws-sdk/client-codepipeline'
import { errorCode, explainCallError, type CallContext } from '../core/aws-errors.js'
import {
  acknowledge,
  CodePipelineCallError,
  describeAcknowledgement,
  type Acknowledgement,
  type AwsSettings,
  type CodePipeline,
  type SendResult
} from '../core/codepipeline.js'
import { githubCommitLookup } from './commit-lookup.js'
import type { GitHubContext } from '../core/github-context.js'
import type { ReportSettings } from './inputs.js'
import { failureRequest, successRequest, type Reported } from './requests.js'
import { requestProblems, type FailureType } from '../core/limits.js'
import { resolveCurrentRevision } from './revision.js'
import type { UploadedArtifact } from '../artifacts/upload.js'
import { writeStepSummary } from './summary.js'

export interface FailOptions {
  /**
   * True when the failure is this step's own, such as bad input or an upload
   * that did not go through: the step fails along with the job. Otherwise the
   * step reports the workflow's failure, and itself passes.
   */
  readonly stepFails?: boolean
  /** Links the failure to a run; the run ID when not given. */
  readonly externalExecutionId?: string
}

/** Sends one result and tells the workflow what was sent. */
export class Reporter {
  private resultSent = false
  private claimedByAnother = false
  private readonly callContext: CallContext

  constructor(
    private readonly pipeline: CodePipeline,
    private readonly aws: AwsSettings,
    private readonly context: GitHubContext,
    private readonly jobId: string
  ) {
    this.callContext = { ...aws, jobId }
  }

  /** False once a result went out, or when the job belongs to another worker. */
  get mayStillReport(): boolean {
    return !this.resultSent && !this.claimedByAnother
  }

  async succeed(settings: ReportSettings): Promise<void> {
    const lookup = githubCommitLookup(this.context, settings.githubToken)
    const revision = await resolveCurrentRevision(settings.revision, this.context, lookup)
    const request = successRequest(settings, revision, this.context)
    const problems = requestProblems(request)
    if (problems.length > 0) {
      const message = `The result for job ${this.jobId} breaks CodePipeline's limits: ${problems.join('; ')}. Check the inputs and the workflow's environment.`
      core.error(message)
      await this.fail('ConfigurationError', message, { stepFails: true })
      return
    }
    let uploaded: readonly UploadedArtifact[] = []
    if (settings.outputArtifacts) {
      // Loaded only here, so that reporting without artifacts loads no artifact code.
      const { shipOutputArtifacts } = await import('./output-artifacts.js')
      const shipped = await shipOutputArtifacts(settings.outputArtifacts, this.pipeline, this.aws, this.jobId)
      if (!shipped.ok) {
        core.error(shipped.message)
        await this.fail(shipped.type, shipped.message, { stepFails: true })
        return
      }
      uploaded = shipped.uploaded
    }
    const reported: Reported = request.continuationToken ? 'continuation' : 'success'
    try {
      await this.send(request, () => this.pipeline.putJobSuccessResult(request))
    } catch (error) {
      if (!(error instanceof CodePipelineCallError)) throw error
      const explanation = explainCallError(error, this.callContext)
      core.setFailed(explanation)
      // CodePipeline refused what the success said, not the job: a failure report still goes through and stops the pipeline.
      if (['ValidationException', 'OutputVariablesSizeExceededException'].includes(errorCode(error.cause))) {
        await this.fail('JobFailed', explanation, { stepFails: true })
      }
      return
    }
    core.setOutput('reported', reported)
    if (revision) {
      core.setOutput('revision', revision.revision)
      core.setOutput('change-identifier', revision.changeIdentifier)
    }
    core.info(
      reported === 'success'
        ? `Reported success for CodePipeline job ${this.jobId}${revision ? ` at revision ${revision.revision}` : ''}.`
        : `Reported progress for CodePipeline job ${this.jobId}; CodePipeline will hand out a new job carrying the continuation token.`
    )
    await writeStepSummary(reported, request, uploaded)
  }

  /**
   * Claims the job before reporting, for a workflow handed a job ID and nonce.
   * False when another worker holds the job: its result is not this step's to give.
   */
  async acknowledge(nonce: string): Promise<boolean> {
    let answer: Acknowledgement
    try {
      answer = await acknowledge(this.pipeline, this.jobId, nonce)
    } catch (error) {
      if (!(error instanceof CodePipelineCallError)) throw error
      // The job may still take a result; reporting beats leaving the pipeline waiting.
      core.warning(`Could not acknowledge the job; reporting anyway. ${explainCallError(error, this.callContext)}`)
      return true
    }
    if (answer.outcome === 'taken') {
      this.claimedByAnother = true
      core.setFailed(
        `Another worker already claimed CodePipeline job ${this.jobId}: CodePipeline refused the nonce. This step reports nothing, so as not to overrule that worker. Check that only one workflow is started per job.`
      )
      return false
    }
    core.info(describeAcknowledgement(this.jobId, answer))
    return true
  }

  /** Reports a failure: the workflow's, or with `stepFails`, this step's own. */
  async fail(
    type: FailureType,
    message: string,
    { stepFails = false, externalExecutionId }: FailOptions = {}
  ): Promise<void> {
    const request = failureRequest({ jobId: this.jobId, type, message, externalExecutionId }, this.context)
    try {
      await this.send(request, () => this.pipeline.putJobFailureResult(request))
    } catch (error) {
      if (!(error instanceof CodePipelineCallError)) throw error
      const explanation = explainCallError(error, this.callContext)
      core.setFailed(stepFails ? `Could not tell CodePipeline about the problem above: ${explanation}` : explanation)
      return
    }
    if (stepFails) {
      core.setFailed(
        `Reported ${type} to CodePipeline for job ${this.jobId}, so the pipeline stops instead of waiting. Fix the problem above, then retry the stage.`
      )
    } else core.info(`Reported ${type} for CodePipeline job ${this.jobId}: ${message}`)
    core.setOutput('reported', 'failure')
    await writeStepSummary('failure', request)
  }

  /** Sends, and accepts a refusal that only shows an earlier attempt got through. */
  private async send(
    request: PutJobSuccessResultInput | PutJobFailureResultInput,
    call: () => Promise<SendResult>
  ): Promise<void> {
    core.debug(`Request: ${describeForLog(request)}`)
    try {
      const result = await call()
      this.resultSent = true
      if (result.attempts > 1) core.info(`CodePipeline answered after ${result.attempts} attempts.`)
    } catch (error) {
      if (error instanceof CodePipelineCallError && error.landedEarlier('InvalidJobStateException')) {
        // The retry found the job already answered: the attempt whose answer was lost almost surely landed.
        this.resultSent = true
        core.warning(
          `An earlier attempt's answer was lost on the way back, and the retry found job ${this.jobId} already answered. That attempt almost surely reached CodePipeline, so this step passes. Check the pipeline if in doubt.`
        )
        return
      }
      throw error
    }
  }
}

/**
 * The request for the debug log: output variable values and the continuation
 * token are left out, as a user may pass data there they would not want shown.
 */
export function describeForLog(request: PutJobSuccessResultInput | PutJobFailureResultInput): string {
  return JSON.stringify(request, (key, value: unknown) => {
    if (key === 'continuationToken' && typeof value === 'string') return `<${value.length} characters>`
    if (key === 'outputVariables' && value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([name, text]) => [name, `<${String(text).length} characters>`])
      )
    }
    return value
  })
}
