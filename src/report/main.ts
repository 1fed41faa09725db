import * as core from '@actions/core'
import { CodePipeline, type AwsSettings } from '../core/codepipeline.js'
import { errorMessage } from '../core/errors.js'
import { readGitHubContext } from '../core/github-context.js'
import { InvalidAwsInputs, Problems, readAwsSettings, readJobId } from '../core/inputs.js'
import { readReportSettings } from './inputs.js'
import { defaultFailureMessage } from './requests.js'
import { Reporter } from './reporter.js'
import { maskEnvironmentSecrets } from '../core/secrets.js'

/** Reports a CodePipeline job's result from a workflow step. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  maskEnvironmentSecrets(env)
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
  const pipeline = new CodePipeline(aws, core)
  const reporter = new Reporter(pipeline, aws, context, jobId)

  try {
    if (read === undefined || problems.found.length > 0) {
      // The pipeline is waiting on this job: tell it, or it waits for a day.
      for (const problem of problems.found) core.error(problem.message)
      await reporter.fail('ConfigurationError', problems.found.map((problem) => problem.message).join('\n'), {
        stepFails: true
      })
      return
    }
    const { settings, warnings } = read
    for (const warning of warnings) core.warning(warning)
    if (settings.nonce !== undefined && !(await reporter.acknowledge(settings.nonce))) return
    if (settings.status === 'success') {
      await reporter.succeed(settings)
    } else {
      const message = settings.failureMessage ?? defaultFailureMessage(settings.status, context)
      await reporter.fail(settings.failureType, message, { externalExecutionId: settings.externalExecutionId })
    }
  } catch (error) {
    core.setFailed(errorMessage(error))
    // Whatever went wrong, a job still waiting must hear about it; the pipeline would otherwise wait a day.
    if (reporter.mayStillReport) {
      await reporter
        .fail('JobFailed', `The reporting step failed: ${errorMessage(error)}`, { stepFails: true })
        .catch((reportError: unknown) => core.debug(`Could not report the failure: ${errorMessage(reportError)}`))
    }
  }
}
