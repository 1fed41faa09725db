/**
 * The CodePipeline job API's own limits, taken from the service model
 * (codepipeline-2015-07-09). Every request this action builds is checked
 * against these before it is sent, so the service is never the first to say no.
 */

/** A job ID is a lowercase UUID. */
export const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Output variable names (OutputVariablesKey). The model puts no length limit on them. */
export const OUTPUT_VARIABLE_NAME_PATTERN = /^[A-Za-z0-9@\-_]+$/

/** All of one action's output variables, names and values together, in UTF-8 bytes. */
export const OUTPUT_VARIABLES_MAX_BYTES = 122_880

/**
 * Not an API limit on the variable itself: a downstream action's configuration
 * value, `#{Namespace.NAME}` included, holds at most this many characters.
 */
export const ACTION_CONFIGURATION_VALUE_MAX_LENGTH = 1000

export interface LengthLimit {
  readonly min: number
  readonly max: number
}

/** String lengths, in characters, for every free-text field the action sends. */
export const LENGTH = {
  revision: { min: 1, max: 1500 },
  changeIdentifier: { min: 1, max: 100 },
  revisionSummary: { min: 1, max: 2048 },
  executionSummary: { min: 1, max: 2048 },
  externalExecutionId: { min: 1, max: 1500 },
  failureMessage: { min: 1, max: 5000 },
  continuationToken: { min: 1, max: 2048 },
  nonce: { min: 1, max: 50 }
} as const satisfies Record<string, LengthLimit>

/** ActionTypeId of a custom action type, as PollForJobs takes it. */
export const ACTION_TYPE = {
  provider: { min: 1, max: 35 },
  version: { min: 1, max: 9 },
  /** What provider and version may hold. */
  pattern: /^[0-9A-Za-z_-]+$/
} as const

export const ACTION_CATEGORIES = ['Source', 'Build', 'Deploy', 'Test', 'Invoke', 'Approval', 'Compute'] as const
export type ActionCategory = (typeof ACTION_CATEGORIES)[number]

/** PollForJobs queryParam: one entry, a configuration key and a queryable value. */
export const QUERY_PARAM = {
  key: { min: 1, max: 50 },
  value: { min: 1, max: 50 },
  valuePattern: /^[a-zA-Z0-9_-]+$/,
  /** What a pipeline lets a queryable property hold; a longer query can never match. */
  pipelineValueMax: 20
} as const

/** ExecutionDetails.percentComplete */
export const PERCENT_COMPLETE = { min: 0, max: 100 } as const

/** FailureDetails.type */
export const FAILURE_TYPES = [
  'JobFailed',
  'ConfigurationError',
  'PermissionError',
  'RevisionOutOfSync',
  'RevisionUnavailable',
  'SystemUnavailable'
] as const
export type FailureType = (typeof FAILURE_TYPES)[number]

/**
 * Length in the sense of the model's length trait. The service may count
 * UTF-16 code units or code points; code units are never fewer, so a string
 * within the limit by this count is within it by either.
 */
export function lengthOf(text: string): number {
  return text.length
}

export function isWithin(text: string, limit: LengthLimit): boolean {
  const length = lengthOf(text)
  return length >= limit.min && length <= limit.max
}

const ELLIPSIS = '…'

/**
 * Cuts free text to at most `max` characters, marking the cut with an ellipsis
 * and never splitting a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (lengthOf(text) <= max) return text
  let end = max - ELLIPSIS.length
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end -= 1
  return text.slice(0, end) + ELLIPSIS
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/** What counts against OUTPUT_VARIABLES_MAX_BYTES: every name and value, in UTF-8. */
export function outputVariablesBytes(variables: Record<string, string>): number {
  let total = 0
  for (const [name, value] of Object.entries(variables)) total += utf8Bytes(name) + utf8Bytes(value)
  return total
}

/**
 * Every way a request breaks the model's constraints, as readable lines.
 * The last check before sending: derived values pass through here too.
 */
export function requestProblems(request: {
  jobId?: string
  currentRevision?: { revision?: string; changeIdentifier?: string; revisionSummary?: string }
  continuationToken?: string
  executionDetails?: { summary?: string; externalExecutionId?: string; percentComplete?: number }
  outputVariables?: Record<string, string>
  failureDetails?: { type?: string; message?: string; externalExecutionId?: string }
}): string[] {
  const problems: string[] = []
  const length = (field: string, value: string | undefined, limit: LengthLimit): void => {
    if (value !== undefined && !isWithin(value, limit)) {
      problems.push(`${field} must be ${limit.min}–${limit.max} characters, but is ${lengthOf(value)}`)
    }
  }
  if (request.jobId === undefined || !JOB_ID_PATTERN.test(request.jobId))
    problems.push('jobId must be a lowercase UUID')
  const revision = request.currentRevision
  if (revision) {
    if (revision.revision === undefined) problems.push('currentRevision.revision is required')
    if (revision.changeIdentifier === undefined) problems.push('currentRevision.changeIdentifier is required')
    length('currentRevision.revision', revision.revision, LENGTH.revision)
    length('currentRevision.changeIdentifier', revision.changeIdentifier, LENGTH.changeIdentifier)
    length('currentRevision.revisionSummary', revision.revisionSummary, LENGTH.revisionSummary)
  }
  length('continuationToken', request.continuationToken, LENGTH.continuationToken)
  const details = request.executionDetails
  if (details) {
    length('executionDetails.summary', details.summary, LENGTH.executionSummary)
    length('executionDetails.externalExecutionId', details.externalExecutionId, LENGTH.externalExecutionId)
    const percent = details.percentComplete
    if (
      percent !== undefined &&
      (!Number.isInteger(percent) || percent < PERCENT_COMPLETE.min || percent > PERCENT_COMPLETE.max)
    ) {
      problems.push(`executionDetails.percentComplete must be a whole number from 0 to 100, but is ${percent}`)
    }
  }
  const variables = request.outputVariables
  if (variables) {
    if (request.continuationToken !== undefined) problems.push('outputVariables cannot go with a continuationToken')
    for (const name of Object.keys(variables)) {
      if (!OUTPUT_VARIABLE_NAME_PATTERN.test(name))
        problems.push(`output variable name ${JSON.stringify(name)} must match [A-Za-z0-9@\\-_]+`)
    }
    const bytes = outputVariablesBytes(variables)
    if (bytes > OUTPUT_VARIABLES_MAX_BYTES)
      problems.push(`outputVariables total ${bytes} bytes, over ${OUTPUT_VARIABLES_MAX_BYTES}`)
  }
  const failure = request.failureDetails
  if (failure) {
    if (!(FAILURE_TYPES as readonly (string | undefined)[]).includes(failure.type)) {
      problems.push(`failureDetails.type must be one of ${FAILURE_TYPES.join(', ')}`)
    }
    if (failure.message === undefined) problems.push('failureDetails.message is required')
    length('failureDetails.message', failure.message, LENGTH.failureMessage)
    length('failureDetails.externalExecutionId', failure.externalExecutionId, LENGTH.externalExecutionId)
  }
  return problems
}

/**
 * GitHub's side: the names and values a workflow dispatch carries
 * (REST API, `POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches`).
 */
export const GITHUB_DISPATCH = {
  /** A user or organization login: letters, digits and single hyphens, at most 39. */
  owner: /^(?=.{1,39}$)[A-Za-z0-9](?:-?[A-Za-z0-9])*$/,
  /** A repository name. `.` and `..` are not names. */
  repo: /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/,
  /** The workflow's file name in .github/workflows, or its numeric ID. */
  workflow: /^(?:[A-Za-z0-9_.-]{1,250}\.ya?ml|[1-9][0-9]{0,18})$/,
  /** A branch or tag name, by git's rules for ref names, at most 255 characters. */
  ref: /^(?![/.])(?!.*(?:\.\.|\/\/|@\{|\/\.|\.lock(?:\/|$)))[^\0-\x20\x7f~^:?*[\\]{1,255}(?<![/.])$/
} as const
