import * as core from '@actions/core'
import { CodePipeline } from '../core/codepipeline.js'
import { errorMessage, InputError, InvalidInputs } from '../core/errors.js'
import { readGitHubContext } from '../core/github-context.js'
import { readAwsSettings, readJobId } from '../core/inputs.js'
import { readReportSettings, type ReportSettings } from './inputs.js'
import { defaultFailureMessage } from './requests.js'
import { Reporter } from './reporter.js'
import { announceProxy } from '../core/proxy.js'
import { maskEnvironmentSecrets } from '../core/secrets.js'

/** Reports a CodePipeline job's result from a workflow step. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  maskEnvironmentSecrets(env)
  announceProxy(core, env)
  let jobId: string
  try {
    jobId = readJobId()
  } catch (error) {
    // Without a job ID there is nobody to tell, so the step alone fails.
    core.setFailed(errorMessage(error))
    return
  }
  core.setOutput('job-id', jobId)

  const context = readGitHubContext(env)
  const aws = readAwsSettings(env)
  const problems: InputError[] = [...aws.problems]
  let settings: ReportSettings | undefined
  try {
    settings = readReportSettings(jobId)
  } catch (error) {
    if (!(error instanceof InvalidInputs)) throw error
    problems.push(...error.problems)
  }
  const pipeline = new CodePipeline(aws.settings, core)
  const reporter = new Reporter(pipeline, aws.settings, context, jobId)

  try {
    if (problems.length > 0 || settings === undefined) {
      // The pipeline is waiting on this job: tell it, or it waits for a day.
      for (const problem of problems) core.error(problem.message)
      await reporter.fail('ConfigurationError', problems.map((problem) => problem.message).join('\n'), true)
      return
    }
    for (const warning of settings.warnings) core.warning(warning)
    if (settings.nonce !== undefined && !(await reporter.acknowledge(settings.nonce))) return
    if (settings.status === 'success') {
      await reporter.succeed(settings)
    } else {
      const message = settings.failureMessage ?? defaultFailureMessage(settings.status, context)
      await reporter.fail(settings.failureType, message, false, settings.externalExecutionId)
    }
  } catch (error) {
    core.setFailed(errorMessage(error))
    // Whatever went wrong, a job still waiting must hear about it; the pipeline would otherwise wait a day.
    if (reporter.mayStillReport) {
      await reporter
        .fail('JobFailed', `The reporting step failed: ${errorMessage(error)}`, true)
        .catch((reportError: unknown) => core.debug(`Could not report the failure: ${errorMessage(reportError)}`))
    }
  }
}
