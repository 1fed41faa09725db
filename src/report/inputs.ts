import * as core from '@actions/core'
import {
  input,
  optionalInput,
  Problems,
  readBoolean,
  readChoice,
  readInteger,
  readLimited,
  type InputRead
} from '../runner/inputs.js'
import { InputError, quote } from '../portable/errors.js'
import { FAILURE_TYPES, LENGTH, PERCENT_COMPLETE, truncate, type FailureType } from '../portable/limits.js'
import {
  OUTSIDE_WORKSPACE_INPUT,
  parseOutputArtifacts,
  type OutputArtifactsRequest
} from '../artifacts/output-mapping.js'
import { parseOutputVariables, type OutputVariables } from './output-variables.js'
import type { RevisionOverrides } from './revision.js'

/** Every input the action reads; action.yml declares exactly these. */
export const INPUT_NAMES = [
  'job-id',
  'status',
  'output-variables',
  'output-artifacts',
  'output-artifacts-outside-workspace',
  'continuation-token',
  'percent-complete',
  'summary',
  'external-execution-id',
  'revision',
  'change-identifier',
  'revision-created',
  'revision-summary',
  'failure-type',
  'failure-message',
  'github-token',
  'nonce',
  'bridge-url',
  'aws-region',
  'max-attempts',
  'timeout-seconds'
] as const
export type InputName = (typeof INPUT_NAMES)[number]

/** The values of `${{ job.status }}`, and `in-progress` for progress through the bridge. */
export const STATUSES = ['success', 'failure', 'cancelled', 'in-progress'] as const
export type Status = (typeof STATUSES)[number]

/** What to report, read from the inputs once and checked against the API's limits. */
export interface ReportSettings {
  readonly jobId: string
  readonly status: Status
  readonly outputVariables?: OutputVariables
  /** `output-artifacts` lines, matched against the job's outputs once the job is read. */
  readonly outputArtifacts?: OutputArtifactsRequest
  readonly continuationToken?: string
  readonly percentComplete?: number
  readonly summary?: string
  readonly externalExecutionId?: string
  readonly revision: RevisionOverrides
  readonly failureType: FailureType
  readonly failureMessage?: string
  readonly githubToken?: string
  /** Set when this step acknowledges the job before reporting. */
  readonly nonce?: string
}

/**
 * Reads every input but the job ID, which is read first and on its own.
 * Throws InvalidInputs naming every input that breaks a rule.
 */
export function readReportSettings(jobId: string): InputRead<ReportSettings> {
  const problems = new Problems()
  const check = problems.check.bind(problems)
  const warnings: string[] = []

  const githubToken = optionalInput('github-token')
  // Masked before anything else can print it.
  if (githubToken) core.setSecret(githubToken)

  const status = check(readStatus) ?? 'success'
  const continuationToken = check(() =>
    readLimited(
      'continuation-token',
      LENGTH.continuationToken,
      'CodePipeline hands the token back to the next job, so keep it to an ID, not data.'
    )
  )
  const { variables, outputArtifacts } = readFinalOnly(
    problems,
    (status === 'success' && continuationToken !== undefined) || status === 'in-progress'
  )
  if (variables) warnings.push(...variables.warnings)
  const percentComplete = check(() =>
    readInteger('percent-complete', {
      ...PERCENT_COMPLETE,
      fallback: undefined,
      fix: 'Leave it empty to send 100 with a final report.'
    })
  )
  const summary = optionalInput('summary')
  const externalExecutionId = check(() =>
    readLimited(
      'external-execution-id',
      LENGTH.externalExecutionId,
      'Leave it empty to use the run ID, which links the pipeline to this run.'
    )
  )
  const revision = readRevisionOverrides(check)
  const nonce = check(() =>
    readLimited('nonce', LENGTH.nonce, 'Pass the nonce exactly as PollForJobs returned it with the job.')
  )
  const failureType = check(readFailureType) ?? 'JobFailed'
  const failureMessage = optionalInput('failure-message')

  problems.throwIfAny()
  const settings: ReportSettings = {
    jobId,
    status,
    ...(variables && { outputVariables: variables.variables }),
    ...(outputArtifacts && { outputArtifacts }),
    continuationToken,
    percentComplete,
    summary: summary && truncate(summary, LENGTH.executionSummary.max),
    externalExecutionId,
    revision,
    failureType,
    failureMessage: failureMessage && truncate(failureMessage, LENGTH.failureMessage.max),
    githubToken,
    nonce
  }
  return { settings, warnings }
}

/**
 * The inputs that go with the final result only: output variables and
 * output artifacts. `continuing` when the step reports progress with a
 * continuation token, which takes neither.
 */
function readFinalOnly(problems: Problems, continuing: boolean) {
  const variables = problems.check(() =>
    parseOutputVariables(core.getInput('output-variables', { trimWhitespace: false }))
  )
  const lines = problems.check(() => parseOutputArtifacts(core.getInput('output-artifacts')))
  const outsideWorkspace = problems.check(() =>
    readBoolean(OUTSIDE_WORKSPACE_INPUT, {
      fallback: false,
      fix: 'Use true to let output-artifacts paths lie outside the workspace.'
    })
  )
  const outputArtifacts = lines && { lines, outsideWorkspace: outsideWorkspace === true }
  if (continuing && variables) {
    problems.add(
      new InputError(
        'output-variables',
        "CodePipeline takes output variables only with the final result, not together with 'continuation-token'",
        "Pass 'output-variables' in the step that reports without a continuation token."
      )
    )
  }
  if (continuing && outputArtifacts) {
    problems.add(
      new InputError(
        'output-artifacts',
        "output artifacts go with the final result, not with 'continuation-token'",
        "Pass 'output-artifacts' in the step that reports without a continuation token."
      )
    )
  }
  return { variables, outputArtifacts }
}

function readStatus(): Status {
  const status = input('status').toLowerCase() || 'success'
  if (!(STATUSES as readonly string[]).includes(status)) {
    throw new InputError(
      'status',
      `${quote(status)} is not one of ${STATUSES.join(', ')}`,
      'Pass status: ${{ job.status }} in a step with if: always(), or leave it empty to report success.'
    )
  }
  return status as Status
}

function readFailureType(): FailureType {
  return readChoice('failure-type', {
    choices: FAILURE_TYPES,
    fallback: 'JobFailed',
    what: 'a CodePipeline failure type',
    fix: 'Use the type that fits:'
  })
}

function readRevisionOverrides(check: <T>(read: () => T) => T | undefined): RevisionOverrides {
  const revision = check(() => readLimited('revision', LENGTH.revision, 'Pass a commit SHA or another revision ID.'))
  const changeIdentifier = check(() =>
    readLimited('change-identifier', LENGTH.changeIdentifier, 'Use a branch name, tag or other short label.')
  )
  const created = check(readRevisionCreated)
  const summary = optionalInput('revision-summary')
  return {
    ...(revision !== undefined && { revision }),
    ...(changeIdentifier !== undefined && { changeIdentifier }),
    ...(created && { created }),
    ...(summary !== undefined && { summary: truncate(summary, LENGTH.revisionSummary.max) })
  }
}

function readRevisionCreated(): Date | undefined {
  const text = optionalInput('revision-created')
  if (text === undefined) return undefined
  const problem = (rule: string): InputError =>
    new InputError(
      'revision-created',
      `${quote(text)} ${rule}`,
      'Use a date and time with its zone, such as 2026-11-26T09:30:00Z or 2026-11-26T10:30:00+01:00, for example the output of git log -1 --format=%cI.'
    )
  const date = /^(\d{4})-(\d{2})-(\d{2})/.exec(text)
  if (!date) throw problem('is not an ISO 8601 date and time')
  const [year, month, day] = date.slice(1).map(Number) as [number, number, number]
  const calendar = new Date(Date.UTC(year, month - 1, day))
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
    throw problem(`is not a real calendar date: ${year}-${date[2]} has no day ${day}`)
  }
  const time = /^T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?/.exec(text.slice(10))
  if (!time) throw problem('has no time of day (THH:MM after the date)')
  const [hours, minutes, seconds = 0] = time.slice(1).map((part) => (part === undefined ? undefined : Number(part)))
  if (hours! > 23 || minutes! > 59 || seconds > 59) throw problem('is not a real time of day')
  const rest = text.slice(10 + time[0].length)
  if (rest === '') throw problem("has no time zone, so it would be read in the runner's zone")
  const zone = /^(?:Z|[+-](\d{2}):(\d{2}))/.exec(rest)
  if (!zone || Number(zone[1] ?? 0) > 23 || Number(zone[2] ?? 0) > 59) {
    throw problem(`has ${quote(rest, 20)} where the time zone should be (Z or ±HH:MM)`)
  }
  if (zone[0].length !== rest.length)
    throw problem(`has text after the date, time and zone: ${quote(rest.slice(zone[0].length), 20)}`)
  return new Date(text)
}
