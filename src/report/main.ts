import * as log from '../runner/step-log.js'
import { CodePipeline, type AwsSettings } from '../portable/codepipeline.js'
import { errorMessage, InputError } from '../portable/errors.js'
import { readGitHubContext, type GitHubContext } from '../runner/github-context.js'
import {
  InvalidAwsInputs,
  optionalInput,
  Problems,
  readAwsSettings,
  readJobId,
  type InputRead
} from '../runner/inputs.js'
import {
  BRIDGE_URL_INPUT,
  BridgeClient,
  BridgeJobCalls,
  readBridgeEndpoint,
  type BridgeEndpoint
} from '../runner/bridge-client.js'
import { readReportSettings, type ReportSettings } from './inputs.js'
import { defaultFailureMessage } from './requests.js'
import { Reporter, StepStopped } from './reporter.js'
import { announceProxy } from '../portable/proxy.js'
import { maskEnvironmentSecrets } from '../runner/secrets.js'
import {
  onStop,
  settlesWithin,
  STOP_BUDGET_MS,
  STOP_CLEANUP_MS,
  type SignalSource,
  type StopSignal
} from '../runner/stop.js'
import { setReportOutput } from './outputs.js'

/** Of the grace period after a stop, what a result already on its way gets before a failure is sent instead. */
const IN_FLIGHT_WAIT_MS = 3_500

/** Everything the step reads before it acts, bad inputs included: the pipeline must hear of those too. */
interface Step {
  readonly jobId: string
  readonly context: GitHubContext
  readonly aws: AwsSettings
  /** Credential-free mode: the calls go to the bridge, and no AWS client is made. */
  readonly bridge?: BridgeEndpoint
  readonly problems: Problems
  readonly read: InputRead<ReportSettings> | undefined
}

/** Reports a CodePipeline job's result from a workflow step. */
export async function run(env: NodeJS.ProcessEnv = process.env, signals?: SignalSource): Promise<void> {
  maskEnvironmentSecrets(env)
  announceProxy(log, env)
  const step = readStep(env)
  if (step === undefined) return
  const calls = step.bridge ? new BridgeJobCalls(new BridgeClient(step.bridge)) : new CodePipeline(step.aws, log)
  const reporter = new Reporter(calls, step.aws, step.context, step.jobId)
  const stopped = new AbortController()

  // Listening starts before the work does, so that a signal finds the handler however early it comes.
  let work: Promise<void> = Promise.resolve()
  const stopListening = onStop(async (signal, stoppedAt) => {
    reporter.stop()
    // An upload in progress aborts its multipart upload while the pipeline is told.
    stopped.abort()
    await tellPipeline(reporter, step, { signal, stoppedAt, work })
    // The step ends once that cleanup is done, or its time is up.
    await settlesWithin(work, Math.max(0, stoppedAt + STOP_CLEANUP_MS - Date.now()))
  }, signals)
  try {
    work = report(reporter, step, stopped.signal)
    await work
  } finally {
    stopListening()
  }
}

/** Reads the inputs; undefined, with the step failed, when there is no job ID and so nobody to tell. */
function readStep(env: NodeJS.ProcessEnv): Step | undefined {
  let jobId: string
  try {
    jobId = readJobId()
  } catch (error) {
    log.setFailed(errorMessage(error))
    return undefined
  }
  setReportOutput('job-id', jobId)
  const problems = new Problems()
  let bridge: BridgeEndpoint | undefined
  const bridgeUrl = optionalInput(BRIDGE_URL_INPUT)
  if (bridgeUrl !== undefined) {
    try {
      bridge = readBridgeEndpoint(bridgeUrl)
    } catch (error) {
      // With nobody to tell, the step fails alone: an AWS call is never made in its place.
      log.setFailed(errorMessage(error))
      return undefined
    }
  }
  let aws: AwsSettings
  try {
    aws = readAwsSettings(bridge ? {} : env).settings
  } catch (error) {
    if (!(error instanceof InvalidAwsInputs)) throw error
    if (!bridge) problems.add(...error.problems)
    // Defaults stand in for the bad values, so that the problems can still reach the pipeline.
    aws = error.fallback
  }
  const read = problems.check(() => readReportSettings(jobId))
  if (read !== undefined) problems.add(...modeProblems(read.settings, bridge !== undefined))
  return { jobId, context: readGitHubContext(env), aws, problems, read, ...(bridge && { bridge }) }
}

/** What the inputs ask that the mode cannot do: each mode has its own way to send progress. */
function modeProblems(settings: ReportSettings, throughBridge: boolean): InputError[] {
  if (!throughBridge)
    return settings.status === 'in-progress'
      ? [
          new InputError(
            'status',
            'in-progress is for credential-free mode, with bridge-url',
            'In direct mode, send progress with continuation-token.'
          )
        ]
      : []
  return [
    ...(settings.nonce !== undefined
      ? [
          new InputError(
            'nonce',
            'it has no use with bridge-url, as the bridge acknowledges the job itself',
            'Remove it.'
          )
        ]
      : []),
    ...(settings.continuationToken !== undefined
      ? [
          new InputError(
            'continuation-token',
            'with bridge-url, the bridge holds the job and makes its own continuation tokens',
            'Send progress with status: in-progress and percent-complete instead.'
          )
        ]
      : [])
  ]
}

/** After a stop: the job hears of it, unless a result already on its way gets through first. */
async function tellPipeline(
  reporter: Reporter,
  { aws, bridge }: Step,
  { signal, stoppedAt, work }: { signal: StopSignal; stoppedAt: number; work: Promise<void> }
): Promise<void> {
  // A result already on its way may still get through; it gets part of the grace period.
  if (reporter.isSending) await settlesWithin(work, IN_FLIGHT_WAIT_MS)
  if (!reporter.mayStillReport) return
  // A client of its own, with attempts that fit what is left of the grace period before the runner kills the step.
  const budgetSeconds = Math.max(1, Math.floor((stoppedAt + STOP_BUDGET_MS - Date.now()) / 1000))
  const lastCall = bridge
    ? new BridgeJobCalls(new BridgeClient(bridge))
    : new CodePipeline({ ...aws, maxAttempts: 3, timeoutSeconds: Math.min(aws.timeoutSeconds, budgetSeconds) }, log)
  await reporter.reportStop(signal, lastCall)
}

/** The step's own work: the result the inputs ask for, or a configuration error for bad ones. */
async function report(reporter: Reporter, { context, problems, read }: Step, stopped: AbortSignal): Promise<void> {
  try {
    if (read === undefined || problems.found.length > 0) {
      // The pipeline is waiting on this job: tell it, or it waits for a day.
      for (const problem of problems.found) log.error(problem.message)
      await reporter.fail('ConfigurationError', problems.found.map((problem) => problem.message).join('\n'), {
        stepFails: true
      })
      return
    }
    const { settings, warnings } = read
    for (const warning of warnings) log.warning(warning)
    if (settings.nonce !== undefined && !(await reporter.acknowledge(settings.nonce))) return
    if (settings.status === 'success') {
      await reporter.succeed(settings, stopped)
    } else if (settings.status === 'in-progress') {
      await reporter.progress(settings)
    } else {
      const message = settings.failureMessage ?? defaultFailureMessage(settings.status, context)
      await reporter.fail(settings.failureType, message, { externalExecutionId: settings.externalExecutionId })
    }
  } catch (error) {
    // Once stopped, the stop handler reports; the work it cut short has nothing to add.
    if (error instanceof StepStopped || stopped.aborted) return
    log.setFailed(errorMessage(error))
    // Whatever went wrong, a job still waiting must hear about it; the pipeline would otherwise wait a day.
    if (reporter.mayStillReport) {
      await reporter
        .fail('JobFailed', `The reporting step failed: ${errorMessage(error)}`, { stepFails: true })
        .catch((reportError: unknown) => log.debug(`Could not report the failure: ${errorMessage(reportError)}`))
    }
  }
}
