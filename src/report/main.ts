import * as log from '../runner/step-log.js'
import { CodePipeline, type AwsSettings } from '../portable/codepipeline.js'
import { errorMessage } from '../portable/errors.js'
import { readGitHubContext } from '../runner/github-context.js'
import { InvalidAwsInputs, Problems, readAwsSettings, readJobId } from '../runner/inputs.js'
import { readReportSettings } from './inputs.js'
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

/** Reports a CodePipeline job's result from a workflow step. */
export async function run(env: NodeJS.ProcessEnv = process.env, signals?: SignalSource): Promise<void> {
  maskEnvironmentSecrets(env)
  announceProxy(log, env)
  let jobId: string
  try {
    jobId = readJobId()
  } catch (error) {
    // Without a job ID there is nobody to tell, so the step alone fails.
    log.setFailed(errorMessage(error))
    return
  }
  setReportOutput('job-id', jobId)

  const context = readGitHubContext(env)
  const problems = new Problems()
  let aws: AwsSettings
  try {
    aws = readAwsSettings(env).settings
  } catch (error) {
    if (!(error instanceof InvalidAwsInputs)) throw error
    problems.add(...error.problems)
    // Defaults stand in for the bad values, so that the problems can still reach the pipeline.
    aws = error.fallback
  }
  const read = problems.check(() => readReportSettings(jobId))
  const pipeline = new CodePipeline(aws, log)
  const reporter = new Reporter(pipeline, aws, context, jobId)
  const stopped = new AbortController()

  // Listening starts before the work does, so that a signal finds the handler however early it comes.
  let work: Promise<void> = Promise.resolve()
  const stopListening = onStop(async (signal, stoppedAt) => {
    reporter.stop()
    // An upload in progress aborts its multipart upload while the pipeline is told.
    stopped.abort()
    await tellPipeline(signal, stoppedAt)
    // The step ends once that cleanup is done, or its time is up.
    await settlesWithin(work, Math.max(0, stoppedAt + STOP_CLEANUP_MS - Date.now()))
  }, signals)

  async function tellPipeline(signal: StopSignal, stoppedAt: number): Promise<void> {
    // A result already on its way may still get through; it gets part of the grace period.
    if (reporter.isSending) await settlesWithin(work, IN_FLIGHT_WAIT_MS)
    if (!reporter.mayStillReport) return
    // A client of its own, with attempts that fit what is left of the grace period before the runner kills the step.
    const budgetSeconds = Math.max(1, Math.floor((stoppedAt + STOP_BUDGET_MS - Date.now()) / 1000))
    const lastCall = new CodePipeline(
      { ...aws, maxAttempts: 3, timeoutSeconds: Math.min(aws.timeoutSeconds, budgetSeconds) },
      log
    )
    await reporter.reportStop(signal, lastCall)
  }
  try {
    work = report()
    await work
  } finally {
    stopListening()
  }

  async function report(): Promise<void> {
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
        await reporter.succeed(settings, stopped.signal)
      } else {
        const message = settings.failureMessage ?? defaultFailureMessage(settings.status, context)
        await reporter.fail(settings.failureType, message, { externalExecutionId: settings.externalExecutionId })
      }
    } catch (error) {
      // Once stopped, the stop handler reports; the work it cut short has nothing to add.
      if (error instanceof StepStopped || stopped.signal.aborted) return
      log.setFailed(errorMessage(error))
      // Whatever went wrong, a job still waiting must hear about it; the pipeline would otherwise wait a day.
      if (reporter.mayStillReport) {
        await reporter
          .fail('JobFailed', `The reporting step failed: ${errorMessage(error)}`, { stepFails: true })
          .catch((reportError: unknown) => log.debug(`Could not report the failure: ${errorMessage(reportError)}`))
      }
    }
  }
}
