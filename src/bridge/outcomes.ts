import { quote } from '../portable/errors.js'
import { LENGTH, truncate, type FailureType } from '../portable/limits.js'
import type { CredentialsError } from './github-credentials.js'
import type { WorkflowRun } from './github.js'
import type { GitHubError } from './github-request.js'
import { DISPATCHES_PER_MINUTE, type Outcome } from './record.js'
import { describeTarget, type WorkflowTarget } from './target.js'

/**
 * The failure each outcome gives the job, in words that say what happened
 * and what to fix. CodePipeline shows them on the action.
 */

function outcome(type: FailureType, message: string): Outcome {
  return { type, message: truncate(message, LENGTH.failureMessage.max) }
}

const minutes = (ms: number): string => {
  const value = Math.round(ms / 60_000)
  return value >= 1 ? `${value} minute${value === 1 ? '' : 's'}` : `${Math.round(ms / 1000)} seconds`
}

export function configurationOutcome(problems: readonly string[]): Outcome {
  return outcome(
    'ConfigurationError',
    `The action's configuration cannot start a GitHub workflow: ${problems.join('; ')}. Fix the action in the pipeline, then retry the stage.`
  )
}

export function credentialsOutcome(error: CredentialsError, secretId: string): Outcome {
  return outcome(
    'ConfigurationError',
    `The bridge cannot use its GitHub credentials (secret ${secretId}): ${error.message} Update the secret, then retry the stage.`
  )
}

/** Why 422 happened, from GitHub's message, and the fix. */
function unprocessable(message: string, target: WorkflowTarget, ref: string | undefined): string {
  if (/unexpected inputs/i.test(message))
    return "Declare the input the bridge passes: under on.workflow_dispatch.inputs, add 'job-id' (required: true), and no other required inputs."
  if (/disabled/i.test(message)) return `Enable the workflow in the repository's Actions tab.`
  if (/workflow_dispatch/i.test(message))
    return `Add a workflow_dispatch trigger with a 'job-id' input to ${target.workflow}, on the default branch and on ${ref ?? 'the branch that runs'}.`
  if (/ref|branch/i.test(message))
    return `Set Branch to a branch or tag that exists in ${target.owner}/${target.repo}, or leave it empty for the default branch.`
  return `Check that ${target.workflow} has a workflow_dispatch trigger with a 'job-id' input, is enabled, and that the branch exists.`
}

/**
 * A definite answer from GitHub: the run was not started and asking again
 * will not change that.
 */
export function refusedOutcome(
  error: GitHubError,
  target: WorkflowTarget,
  ref: string | undefined,
  secretId: string
): Outcome {
  const what = `${describeTarget(target)}${ref ? ` on ${ref}` : ''}`
  const said = `GitHub answered ${error.answer} to ${error.request}`
  if (/\/installation$/.test(error.request) && error.status === 404) {
    return outcome(
      'ConfigurationError',
      `The bridge's GitHub App is not installed on ${target.owner}/${target.repo} (${said}). Install the App on the repository, with the Actions permission (read and write), then retry the stage.`
    )
  }
  if (error.kind === 'unauthorized') {
    return outcome(
      'PermissionError',
      `GitHub refused the bridge's credentials (${said}), also after the secret was read again: the token has expired or was revoked, or the App's key is not valid. Put a valid fine-grained token, or the App's ID and a current private key, in secret ${secretId}, then retry the stage.`
    )
  }
  if (error.status === 403 || /\/access_tokens$/.test(error.request)) {
    return outcome(
      'PermissionError',
      `GitHub did not let the bridge start ${what} (${said}). Give the GitHub App, or the fine-grained token, the repository permission Actions: read and write on ${target.owner}/${target.repo}, then retry the stage.`
    )
  }
  if (error.status === 404) {
    return outcome(
      'ConfigurationError',
      `GitHub cannot find ${what} (${said}): either the workflow file is not on the repository's default branch, or the bridge's credentials cannot see ${target.owner}/${target.repo}. Check Workflow (the file name in .github/workflows, such as build.yml), Owner and Repo, and that the GitHub App is installed on the repository or the token can reach it.`
    )
  }
  if (error.status === 422 || error.status === 400) {
    return outcome(
      'ConfigurationError',
      `GitHub refused to start ${what} (${said}). ${unprocessable(error.githubMessage, target, ref)}`
    )
  }
  return outcome('ConfigurationError', `GitHub refused to start ${what} (${said}).`)
}

export function unavailableOutcome(target: WorkflowTarget, lastError: string | undefined, windowMs: number): Outcome {
  return outcome(
    'SystemUnavailable',
    `GitHub did not start ${describeTarget(target)} within ${minutes(windowMs)} of trying${lastError ? ` (last: ${lastError})` : ''}. Retry the stage once GitHub is reachable again; https://www.githubstatus.com shows GitHub's own incidents.`
  )
}

export function queuedTooLongOutcome(run: WorkflowRun, queuedMs: number, timeoutMs: number): Outcome {
  return outcome(
    'SystemUnavailable',
    `The workflow run ${run.html_url} waited ${minutes(queuedMs)} for a runner, over the bridge's queue timeout of ${minutes(timeoutMs)}, so it was cancelled. Check that a runner with the labels in the workflow's runs-on is online, then retry the stage.`
  )
}

/** A burst of jobs kept this one waiting for its turn to be started for longer than the queue timeout. */
export function pacedTooLongOutcome(waitedMs: number, timeoutMs: number): Outcome {
  return outcome(
    'SystemUnavailable',
    `The bridge starts at most ${DISPATCHES_PER_MINUTE} workflow runs a minute, within GitHub's limits, and this job waited ${minutes(waitedMs)} for its turn, over the queue timeout of ${minutes(timeoutMs)}. Retry the stage.`
  )
}

const RUN_NAME_FIX =
  "Give the workflow run-name: 'CodePipeline ${{ inputs.job-id }}', as examples/workflows/dispatch-build-and-report.yml does"

/**
 * No run carries the job ID, after a dispatch GitHub accepted, or whose
 * answer was lost. The job fails rather than starting a second run.
 */
export function noRunOutcome(
  target: WorkflowTarget,
  jobId: string,
  waitedMs: number,
  runsPage: string,
  accepted: boolean
): Outcome {
  return outcome(
    'SystemUnavailable',
    `GitHub ${accepted ? 'accepted' : 'gave no answer to'} the request to start ${describeTarget(target)}, and no run named for job ${jobId} appeared within ${minutes(waitedMs)}. A run may still have started (see ${runsPage}); none is started again. ${RUN_NAME_FIX}, then retry the stage.`
  )
}

/** At the first look at a run whose name lacks the job ID: a warning for the log and, later, the failure message. */
export function unnamedRunWarning(run: WorkflowRun): string {
  return truncate(
    `The workflow run ${run.html_url} is named ${quote(run.display_title ?? '', 100)}, without the job ID, so a lost dispatch answer would leave it unfound. ${RUN_NAME_FIX}.`,
    1_000
  )
}

/** The outcome with the warning after it; the warning is kept whole. */
export function withWarning(told: Outcome, warning: string | undefined): Outcome {
  if (!warning) return told
  return outcome(told.type, `${truncate(told.message, LENGTH.failureMessage.max - warning.length - 1)} ${warning}`)
}

const ENDINGS: Readonly<Record<string, string>> = {
  failure: 'failed',
  cancelled: 'was cancelled',
  timed_out: 'timed out',
  startup_failure: 'could not start (startup_failure: check the workflow file for errors)',
  action_required: 'is waiting for approval to run (action_required)',
  stale: 'went stale',
  skipped: 'was skipped',
  neutral: 'ended neutral'
}

/** A run that completed without reporting: named by its conclusion, with its link. */
export function runEndedOutcome(run: WorkflowRun, jobId: string): Outcome {
  const conclusion = run.conclusion ?? 'unknown'
  if (conclusion === 'success') {
    return outcome(
      'JobFailed',
      `The workflow run ${run.html_url} succeeded but did not report to CodePipeline. End the workflow with the reporting action, with if: always() and job-id: \${{ inputs.job-id }}, so that it reports job ${jobId}.`
    )
  }
  return outcome(
    'JobFailed',
    `The workflow run ${run.html_url} ${ENDINGS[conclusion] ?? `ended with conclusion ${conclusion}`} before it reported to CodePipeline (conclusion: ${conclusion}).`
  )
}

/** A run the bridge held the action for was re-run: only the attempt its dispatch started may answer. */
export function rerunOutcome(run: WorkflowRun): Outcome {
  return outcome(
    'JobFailed',
    `The workflow run ${run.html_url} was re-run (attempt ${String(run.run_attempt)}). In credential-free mode only the attempt the bridge started may answer, so the re-run was cancelled. Retry the stage in CodePipeline to run the workflow again.`
  )
}

export function runGoneOutcome(runUrl: string | undefined, runId: number): Outcome {
  return outcome(
    'JobFailed',
    `The workflow run ${runUrl ?? String(runId)} no longer exists on GitHub (it was deleted), and it never reported to CodePipeline.`
  )
}

/** Reading the run is refused for good: a permission, or credentials a fresh read of the secret did not mend. */
export function runUnreadableOutcome(error: GitHubError, target: WorkflowTarget, run: string): Outcome {
  return outcome(
    'PermissionError',
    `GitHub did not let the bridge read the workflow run ${run} (${error.answer} to ${error.request}). Give the GitHub App or token the repository permission Actions: read on ${target.owner}/${target.repo}, then retry the stage.`
  )
}

export function runUnwatchedOutcome(run: string, takenMs: number, lastError: string): Outcome {
  return outcome(
    'SystemUnavailable',
    `The bridge could not read the workflow run ${run} for ${Math.round(takenMs / 3600_000)} hours (last: ${lastError}), and the run did not report. Check the run, then retry the stage if needed.`
  )
}
