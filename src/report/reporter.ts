import * as log from '../runner/step-log.js'
import type { PutJobFailureResultInput, PutJobSuccessResultInput } from '@aws-sdk/client-codepipeline'
import { errorCode, explainCallError, type CallContext } from '../portable/aws-errors.js'
import {
  acknowledge,
  CodePipelineCallError,
  describeAcknowledgement,
  describeUnconfirmedAcknowledgement,
  type Acknowledgement,
  type AwsSettings,
  type CodePipeline,
  type SendResult
} from '../portable/codepipeline.js'
import { githubCommitLookup } from './commit-lookup.js'
import { runUrl, type GitHubContext } from '../runner/github-context.js'
import type { ReportSettings } from './inputs.js'
import { markAnswered } from '../runner/answered-jobs.js'
import type { PipelineExecution } from '../portable/console-links.js'
import { failureRequest } from '../portable/failure-request.js'
import { successRequest, type Reported } from './requests.js'
import { requestProblems, type FailureType } from '../portable/limits.js'
import { resolveCurrentRevision } from './revision.js'
import type { UploadedArtifact } from '../artifacts/upload.js'
import { writeStepSummary } from './summary.js'
import { describeStop, type StopSignal } from '../runner/stop.js'
import { setReportOutput } from './outputs.js'

/** Thrown into the step's own work once the runner stopped it: the stop handler reports instead. */
export class StepStopped extends Error {
  constructor() {
    super('The step was stopped before it reported.')
    this.name = 'StepStopped'
  }
}

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

/** Where results go: CodePipeline itself, or the bridge, which answers for the run in credential-free mode. */
export type JobAnswers = Pick<CodePipeline, 'getJobDetails'> & {
  putJobSuccessResult(request: PutJobSuccessResultInput): Promise<SendResult & { readonly confirmed?: boolean }>
  putJobFailureResult(request: PutJobFailureResultInput): Promise<SendResult & { readonly confirmed?: boolean }>
  readonly acknowledgeJob?: CodePipeline['acknowledgeJob']
  /** Through the bridge only: progress, which the bridge passes on while it holds the job. */
  readonly passOnProgress?: (
    jobId: string,
    progress: { readonly percentComplete?: number; readonly summary?: string }
  ) => Promise<{ readonly confirmed: boolean }>
  readonly region?: CodePipeline['region']
}

/** How sure the step is that its calls did what it says. */
type Certainty = 'confirmed' | 'probable'

/** Sends one result and tells the workflow what was sent. */
export class Reporter {
  private resultSent = false
  private claimedByAnother = false
  /** Known once the step has read the job, which it does only for output artifacts. */
  private execution: PipelineExecution | undefined
  /** Set while a result is on its way to CodePipeline. */
  private sending = false
  /** Set once the runner stopped the step; the step's own work may send nothing more. */
  private stopped = false
  /** Becomes probable when an answer was lost and the step went on the likeliest reading. */
  private certainty: Certainty = 'confirmed'
  private readonly callContext: CallContext

  constructor(
    private readonly pipeline: JobAnswers,
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

  /** True while a result is on its way to CodePipeline. */
  get isSending(): boolean {
    return this.sending
  }

  /** Stops the step's own work from sending anything: from now on the stop handler decides. */
  stop(): void {
    this.stopped = true
  }

  /**
   * Tells CodePipeline the step was stopped before it reported, through
   * `pipeline`, a client whose time fits the runner's grace period.
   */
  async reportStop(signal: StopSignal, pipeline: Pick<CodePipeline, 'putJobFailureResult'>): Promise<void> {
    const message = `${describeStop(signal)}, before the step reported a result.${this.runLink()}`
    const request = failureRequest({ jobId: this.jobId, type: 'JobFailed', message }, this.context.runId)
    try {
      await this.send(request, () => pipeline.putJobFailureResult(request), { whileStopping: true })
    } catch (error) {
      if (!(error instanceof CodePipelineCallError)) throw error
      log.setFailed(
        `${describeStop(signal)}. Could not tell CodePipeline: ${explainCallError(error, this.callContext)}`
      )
      return
    }
    log.setFailed(
      `${describeStop(signal)}. Reported JobFailed to CodePipeline for job ${this.jobId}, so the pipeline does not wait for a result.`
    )
    this.setReported('failure')
    await writeStepSummary('failure', request, { execution: this.execution })
  }

  /** `stopped` cuts an upload short once the runner stops the step. */
  async succeed(settings: ReportSettings, stopped?: AbortSignal): Promise<void> {
    const lookup = githubCommitLookup(this.context, settings.githubToken)
    const revision = await resolveCurrentRevision(settings.revision, this.context, lookup)
    const request = successRequest(settings, revision, this.context)
    const problems = requestProblems(request)
    if (problems.length > 0) {
      const message = `The result for job ${this.jobId} breaks CodePipeline's limits: ${problems.join('; ')}. Check the inputs and the workflow's environment.`
      log.error(message)
      await this.fail('ConfigurationError', message, { stepFails: true })
      return
    }
    let uploaded: readonly UploadedArtifact[] = []
    if (settings.outputArtifacts) {
      // Loaded only here, so that reporting without artifacts loads no artifact code.
      const { shipOutputArtifacts } = await import('./output-artifacts.js')
      const shipped = await shipOutputArtifacts(settings.outputArtifacts, this.pipeline, this.aws, this.jobId, {
        stopped
      })
      this.execution = shipped.execution
      if (!shipped.ok) {
        log.error(shipped.message)
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
      log.setFailed(explanation)
      // CodePipeline refused what the success said, not the job: a failure report still goes through and stops the pipeline.
      if (['ValidationException', 'OutputVariablesSizeExceededException'].includes(errorCode(error.cause))) {
        await this.fail('JobFailed', explanation, { stepFails: true })
      }
      return
    }
    this.setReported(reported)
    if (revision) {
      setReportOutput('revision', revision.revision)
      setReportOutput('change-identifier', revision.changeIdentifier)
    }
    log.info(
      reported === 'success'
        ? `Reported success for CodePipeline job ${this.jobId}${revision ? ` at revision ${revision.revision}` : ''}.`
        : `Reported progress for CodePipeline job ${this.jobId}; CodePipeline will hand out a new job carrying the continuation token.`
    )
    await writeStepSummary(reported, request, { artifacts: uploaded, execution: this.execution })
  }

  /** Progress through the bridge: the job goes on, and a later step reports its result. */
  async progress(settings: ReportSettings): Promise<void> {
    const { passOnProgress } = this.pipeline
    if (passOnProgress === undefined) throw new Error('Progress with status: in-progress needs bridge-url')
    const { percentComplete, summary } = settings
    const { confirmed } = await passOnProgress.call(this.pipeline, this.jobId, { percentComplete, summary })
    setReportOutput('reported', 'continuation')
    setReportOutput('confirmed', String(confirmed))
    if (confirmed)
      log.info(
        `Passed on progress for CodePipeline job ${this.jobId}${percentComplete === undefined ? '' : ` (${percentComplete} %)`}.`
      )
    else
      log.warning(
        `The bridge did not pass this progress on for job ${this.jobId}: it is between two jobs of the action. The next progress or the result goes through.`
      )
  }

  /**
   * Claims the job before reporting, for a workflow handed a job ID and nonce.
   * False when another worker holds the job: its result is not this step's to give.
   */
  async acknowledge(nonce: string): Promise<boolean> {
    let answer: Acknowledgement
    // Through the bridge there is nothing to acknowledge: the bridge holds the job.
    const { acknowledgeJob } = this.pipeline
    if (acknowledgeJob === undefined) return true
    try {
      answer = await acknowledge({ acknowledgeJob: acknowledgeJob.bind(this.pipeline) }, this.jobId, nonce)
    } catch (error) {
      if (!(error instanceof CodePipelineCallError)) throw error
      // The job may still take a result; reporting beats leaving the pipeline waiting.
      log.warning(`Could not acknowledge the job; reporting anyway. ${explainCallError(error, this.callContext)}`)
      return true
    }
    if (answer.outcome === 'taken') {
      this.claimedByAnother = true
      log.setFailed(
        `Another worker already claimed CodePipeline job ${this.jobId}: CodePipeline refused the nonce. This step reports nothing, so as not to overrule that worker. Check that only one workflow is started per job.`
      )
      return false
    }
    if (answer.answerLost) {
      // Only this workflow was handed the job and its nonce, so the lost attempt is the likely user of the nonce;
      // reporting keeps the pipeline from waiting a day, and a result on a job another worker holds is refused.
      this.certainty = 'probable'
      log.warning(describeUnconfirmedAcknowledgement(this.jobId, 'Reporting anyway'))
      return true
    }
    log.info(describeAcknowledgement(this.jobId, answer))
    return true
  }

  /** Reports a failure: the workflow's, or with `stepFails`, this step's own. */
  async fail(
    type: FailureType,
    message: string,
    { stepFails = false, externalExecutionId }: FailOptions = {}
  ): Promise<void> {
    const request = failureRequest({ jobId: this.jobId, type, message, externalExecutionId }, this.context.runId)
    try {
      await this.send(request, () => this.pipeline.putJobFailureResult(request))
    } catch (error) {
      if (!(error instanceof CodePipelineCallError)) throw error
      const explanation = explainCallError(error, this.callContext)
      log.setFailed(stepFails ? `Could not tell CodePipeline about the problem above: ${explanation}` : explanation)
      return
    }
    if (stepFails) {
      log.setFailed(
        `Reported ${type} to CodePipeline for job ${this.jobId}, so the pipeline stops instead of waiting. Fix the problem above, then retry the stage.`
      )
    } else log.info(`Reported ${type} for CodePipeline job ${this.jobId}: ${message}`)
    this.setReported('failure')
    await writeStepSummary('failure', request, { execution: this.execution })
  }

  private setReported(reported: Reported): void {
    setReportOutput('reported', reported)
    setReportOutput('confirmed', String(this.certainty === 'confirmed'))
  }

  private runLink(): string {
    const url = runUrl(this.context)
    return url ? ` See ${url}` : ''
  }

  /**
   * Sends one result. A retry refused because the job no longer waits, after
   * an attempt whose answer was lost, is taken as probably delivered.
   */
  private async send(
    request: PutJobSuccessResultInput | PutJobFailureResultInput,
    call: () => Promise<SendResult & { readonly confirmed?: boolean }>,
    { whileStopping = false } = {}
  ): Promise<void> {
    if (this.stopped && !whileStopping) throw new StepStopped()
    log.debug(`Request: ${describeForLog(request)}`)
    this.sending = true
    try {
      const result = await call()
      this.answered()
      if (result.attempts > 1) log.info(`CodePipeline answered after ${result.attempts} attempts.`)
      if (result.confirmed === false) {
        // The bridge keeps the result and delivers it; the 'confirmed' output says it was not seen to land.
        this.certainty = 'probable'
        log.warning(
          `The bridge has the result for job ${this.jobId} and is passing it on to CodePipeline, which did not confirm it yet. The 'confirmed' output is false.`
        )
      }
    } catch (error) {
      if (error instanceof CodePipelineCallError && error.landedEarlier('InvalidJobStateException')) {
        // The job no longer waits, so the pipeline is not left waiting whichever way it went, and nothing more can
        // be sent: the step passes on the likeliest reading, and says it is not confirmed.
        this.answered()
        this.certainty = 'probable'
        log.warning(
          `The answer to the first attempt was lost on the way back, and the retry found job ${this.jobId} no longer waiting for a result. Most likely that first attempt delivered this ${'failureDetails' in request ? 'failure' : 'result'}, but CodePipeline cannot confirm it: the job may instead have failed or timed out before it arrived. The 'confirmed' output is false. Check the action's status in the pipeline execution.`
        )
        return
      }
      throw error
    } finally {
      this.sending = false
    }
  }

  /** CodePipeline has the result: this step reports nothing more, nor does the job action's step at the end. */
  private answered(): void {
    this.resultSent = true
    markAnswered(this.jobId)
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
