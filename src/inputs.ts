import * as core from '@actions/core'
import { InputError, InvalidInputs, quote } from './errors.js'
import {
  FAILURE_TYPES,
  JOB_ID_PATTERN,
  LENGTH,
  PERCENT_COMPLETE,
  isWithin,
  truncate,
  type FailureType,
  type LengthLimit
} from './limits.js'
import { parseOutputVariables, type OutputVariables } from './output-variables.js'
import type { RevisionOverrides } from './revision.js'

/** Every input the action reads; action.yml declares exactly these. */
export const INPUT_NAMES = [
  'job-id',
  'status',
  'output-variables',
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
  'aws-region',
  'max-attempts',
  'timeout-seconds'
] as const
export type InputName = (typeof INPUT_NAMES)[number]

/** The values of `${{ job.status }}`. */
export const STATUSES = ['success', 'failure', 'cancelled'] as const
export type Status = (typeof STATUSES)[number]

/** How the action reaches CodePipeline. Always readable, so that a configuration error can still be reported. */
export interface AwsSettings {
  readonly region?: string
  readonly maxAttempts: number
  readonly timeoutSeconds: number
}

export const DEFAULT_MAX_ATTEMPTS = 10
export const DEFAULT_TIMEOUT_SECONDS = 120

/** What to report, read from the inputs once and checked against the API's limits. */
export interface ReportSettings {
  readonly jobId: string
  readonly status: Status
  readonly outputVariables?: OutputVariables
  readonly continuationToken?: string
  readonly percentComplete?: number
  readonly summary?: string
  readonly externalExecutionId?: string
  readonly revision: RevisionOverrides
  readonly failureType: FailureType
  readonly failureMessage?: string
  readonly githubToken?: string
  /** Findings worth a warning that do not stop the report. */
  readonly warnings: readonly string[]
}

function input(name: InputName): string {
  return core.getInput(name).trim()
}

function optionalInput(name: InputName): string | undefined {
  const value = input(name)
  return value === '' ? undefined : value
}

/** Checked first and on its own: without a valid job ID there is nothing to report to. */
export function readJobId(): string {
  const jobId = input('job-id')
  if (jobId === '') {
    throw new InputError(
      'job-id',
      'it is required',
      'Pass the ID of the CodePipeline job this workflow works on, for example job-id: ${{ inputs.job-id }}.'
    )
  }
  if (!JOB_ID_PATTERN.test(jobId)) {
    const hint = JOB_ID_PATTERN.test(jobId.toLowerCase()) ? ' (it has upper-case letters)' : ''
    throw new InputError(
      'job-id',
      `${quote(jobId)} is not a CodePipeline job ID, which is a lowercase UUID such as 0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11${hint}`,
      'Pass the job ID exactly as CodePipeline gave it.'
    )
  }
  return jobId
}

/** Reads the AWS inputs, falling back to defaults for bad values so that the problem can still be reported. */
export function readAwsSettings(env: NodeJS.ProcessEnv = process.env): {
  settings: AwsSettings
  problems: InputError[]
} {
  const problems: InputError[] = []
  const collect = <T>(read: () => T, fallback: T): T => {
    try {
      return read()
    } catch (error) {
      if (!(error instanceof InputError)) throw error
      problems.push(error)
      return fallback
    }
  }
  const regionInput = optionalInput('aws-region')
  const region = collect(() => checkRegion(regionInput), undefined) ?? envRegion(env)
  const maxAttempts = collect(
    () => readInteger('max-attempts', { min: 1, max: 50 }, DEFAULT_MAX_ATTEMPTS, 'Use 1 to turn retries off.'),
    DEFAULT_MAX_ATTEMPTS
  )
  const timeoutSeconds = collect(
    () =>
      readInteger(
        'timeout-seconds',
        { min: 1, max: 3600 },
        DEFAULT_TIMEOUT_SECONDS,
        'It bounds all attempts together.'
      ),
    DEFAULT_TIMEOUT_SECONDS
  )
  return { settings: { region, maxAttempts, timeoutSeconds }, problems }
}

function envRegion(env: NodeJS.ProcessEnv): string | undefined {
  return env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || undefined
}

function checkRegion(region: string | undefined): string | undefined {
  if (region !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(region)) {
    throw new InputError(
      'aws-region',
      `${quote(region)} is not an AWS Region code`,
      "Use the pipeline's Region code, such as us-east-1, or leave it empty to use AWS_REGION."
    )
  }
  return region
}

/**
 * Reads everything else, collecting every problem so that one failed run
 * shows them all. Throws InvalidInputs when any input breaks a rule.
 */
export function readReportSettings(jobId: string): ReportSettings {
  const problems: InputError[] = []
  const warnings: string[] = []
  const check = <T>(read: () => T): T | undefined => {
    try {
      return read()
    } catch (error) {
      if (!(error instanceof InputError)) throw error
      problems.push(error)
      return undefined
    }
  }

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
  const variables = check(() => parseOutputVariables(core.getInput('output-variables')))
  if (variables) warnings.push(...variables.warnings)
  if (status === 'success' && variables && continuationToken !== undefined) {
    problems.push(
      new InputError(
        'output-variables',
        "CodePipeline takes output variables only with the final result, not together with 'continuation-token'",
        "Pass 'output-variables' in the step that reports without a continuation token."
      )
    )
  }
  const percentComplete = check(() =>
    readInteger('percent-complete', PERCENT_COMPLETE, undefined, 'Leave it empty to send 100 with a final report.')
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
  const failureType = check(readFailureType) ?? 'JobFailed'
  const failureMessage = optionalInput('failure-message')

  if (problems.length > 0) throw new InvalidInputs(problems)
  return {
    jobId,
    status,
    ...(variables && { outputVariables: variables.variables }),
    continuationToken,
    percentComplete,
    summary: summary && truncate(summary, LENGTH.executionSummary.max),
    externalExecutionId,
    revision,
    failureType,
    failureMessage: failureMessage && truncate(failureMessage, LENGTH.failureMessage.max),
    githubToken,
    warnings
  }
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
  const type = input('failure-type') || 'JobFailed'
  const match = FAILURE_TYPES.find((known) => known.toLowerCase() === type.toLowerCase())
  if (!match) {
    throw new InputError(
      'failure-type',
      `${quote(type)} is not a CodePipeline failure type`,
      `Use one of ${FAILURE_TYPES.join(', ')}.`
    )
  }
  return match
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
  const created = new Date(text)
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(created.getTime())) {
    throw new InputError(
      'revision-created',
      `${quote(text)} is not an ISO 8601 date and time`,
      'Use a form such as 2026-11-26T09:30:00Z, for example the output of git log -1 --format=%cI.'
    )
  }
  return created
}

/** An optional input that must fit the API's length limit; it is not free text, so it is rejected rather than cut. */
function readLimited(name: InputName, limit: LengthLimit, fix: string): string | undefined {
  const value = optionalInput(name)
  if (value !== undefined && !isWithin(value, limit)) {
    throw new InputError(name, `it is ${value.length} characters long, over CodePipeline's limit of ${limit.max}`, fix)
  }
  return value
}

function readInteger<T extends number | undefined>(
  name: InputName,
  range: { min: number; max: number },
  fallback: T,
  fix: string
): number | T {
  const text = optionalInput(name)
  if (text === undefined) return fallback
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new InputError(name, `${quote(text)} is not a whole number from ${range.min} to ${range.max}`, fix)
  }
  return value
}
