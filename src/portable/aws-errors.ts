/**
 * Turns what the AWS SDK throws into words a user can act on. Every message
 * names the cause and the fix; the raw SDK text follows for the curious.
 */
import type { CodePipelineCallError, Operation, SettingNames } from './codepipeline.js'

/** What an explanation needs to know besides the error: the settings the call was made with. */
export interface CallContext {
  /** The job the call was about; undefined before there is one, as for a poll. */
  readonly jobId?: string
  /** The Region set by input or environment; undefined when the SDK resolved it. */
  readonly region?: string
  readonly timeoutSeconds: number
  readonly names: SettingNames
}

/**
 * Explains a CodePipeline call that finally failed: what went wrong, what to
 * do, how many attempts it took and the time it had.
 */
export function explainCallError(error: CodePipelineCallError, context: CallContext): string {
  return explain(error.cause, {
    operation: error.operation,
    jobId: context.jobId ?? 'the job',
    region: context.region,
    attempts: error.attempts,
    timeoutSeconds: context.timeoutSeconds,
    names: context.names
  })
}

interface SdkErrorShape {
  readonly name?: string
  readonly code?: string
  readonly message?: string
  readonly $metadata?: { readonly httpStatusCode?: number }
  readonly $response?: unknown
  readonly cause?: unknown
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? error : { message: String(error) }
}

/** The error's AWS or Node name: `InvalidJobStateException`, `ECONNRESET`, … */
export function errorCode(error: unknown): string {
  const { name, code } = shape(error)
  return (code && /^E[A-Z]+$/.test(code) ? code : name) ?? 'Error'
}

/**
 * Errors that say the request never left this machine, so it cannot have been
 * processed. ERR_PROXY_TUNNEL: the proxy refused the tunnel (a 407, a 403 by
 * policy), so nothing reached the service.
 */
export const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_PROXY_TUNNEL'
])

/**
 * True when an attempt ended without any answer, after the request may have
 * reached CodePipeline: a dropped connection or a timeout. Such a request
 * may well have been processed.
 */
export function isAnswerLost(error: unknown): boolean {
  const { $metadata, $response, code, name } = shape(error)
  if ($metadata?.httpStatusCode !== undefined || $response !== undefined) return false
  if (code !== undefined && NOT_SENT_CODES.has(code)) return false
  return (
    (code !== undefined && /^E[A-Z]+$/.test(code)) ||
    name === 'TimeoutError' ||
    name === 'RequestTimeout' ||
    /socket hang up|ECONNRESET|EPIPE/i.test(shape(error).message ?? '')
  )
}

const ACCESS_DENIED = /^(AccessDenied(Exception)?|UnauthorizedOperation|UnauthorizedException|NotAuthorized)$/
const EXPIRED = /^(ExpiredToken(Exception)?|RequestExpired|TokenRefreshRequired)$/
const BAD_KEYS =
  /^(UnrecognizedClientException|InvalidClientTokenId|InvalidSignatureException|IncompleteSignature|SignatureDoesNotMatch)$/

/** What is wrong with the AWS credentials a call failed for, if that is why it failed. */
function credentialsProblem(error: unknown): 'expired' | 'unrecognised' | 'missing' | undefined {
  const code = errorCode(error)
  if (EXPIRED.test(code)) return 'expired'
  if (BAD_KEYS.test(code)) return 'unrecognised'
  if (code === 'CredentialsProviderError' || /Could not load credentials/i.test(shape(error).message ?? String(error)))
    return 'missing'
  return undefined
}

/** True when a call failed for want of valid AWS credentials: expired, unrecognised or not found. */
export function isCredentialsError(error: unknown): boolean {
  return credentialsProblem(error) !== undefined
}

interface ExplainContext {
  readonly operation: Operation
  readonly jobId: string
  readonly region?: string
  readonly attempts: number
  readonly timeoutSeconds: number
  readonly names: SettingNames
}

function explain(error: unknown, context: ExplainContext): string {
  const code = errorCode(error)
  const raw = shape(error).message ?? String(error)
  const { names } = context
  const region = context.region ?? 'the Region the SDK resolved'
  const detail = (text: string): string => `${text} (${code}: ${raw})`

  if (code === 'InvalidJobStateException') {
    return detail(
      `CodePipeline did not accept the result: job ${context.jobId} is not waiting for one. Either it already has a result (a re-run of a workflow that already reported, or two steps reporting the same job), it was never acknowledged, or it timed out. A new result needs a new job: retry the stage in CodePipeline`
    )
  }
  if (code === 'JobNotFoundException') {
    return detail(
      `CodePipeline in Region ${region} has no job ${context.jobId}. Check that ${names.region} is the pipeline's Region and that the credentials belong to the pipeline's AWS account; a job that expired is gone too`
    )
  }
  if (code === 'OutputVariablesSizeExceededException') {
    return detail(
      `CodePipeline refused the output variables as too large for one action. Pass fewer or shorter variables${names.outputVariables ? ` in ${names.outputVariables}` : ''}`
    )
  }
  if (code === 'InvalidNonceException') {
    return detail(
      `Another worker already claimed job ${context.jobId}: CodePipeline refused the nonce. Make sure only one workflow is started per job, and pass the nonce that came with the job`
    )
  }
  if (code === 'ActionTypeNotFoundException') {
    return detail(
      `CodePipeline in Region ${region} has no such custom action type. Check ${names.actionType} against the action type, and the Region`
    )
  }
  if (code === 'ValidationException' && context.operation === 'PollForJobs' && names.query) {
    return detail(
      `CodePipeline refused the poll. If the action type has a queryable property, ${names.query} must name it (NAME=value); if it has none, leave ${names.query} empty`
    )
  }
  if (code === 'ValidationException') {
    return detail(
      'CodePipeline refused the request as invalid. Every limit known is checked before sending, so please report this with the log (debug on)'
    )
  }
  if (ACCESS_DENIED.test(code)) {
    return detail(
      `The AWS credentials may not call codepipeline:${context.operation}. Allow codepipeline:${context.operation} in the policy of ${names.principal}`
    )
  }
  const credentials = credentialsProblem(error)
  if (credentials === 'expired') return detail(`The AWS credentials have expired. ${names.expiredCredentials}`)
  if (credentials === 'unrecognised') {
    return detail(
      'AWS did not recognise the credentials. Check that the access key, secret key and session token come from the same, still valid, set'
    )
  }
  if (credentials === 'missing') return detail(`No AWS credentials were found. ${names.missingCredentials}`)
  if (/Region is missing/i.test(raw))
    return detail(`No AWS Region is set. Set ${names.region} to the pipeline's Region`)
  if (code === 'AbortError' || code === 'TimeoutError') {
    const setting = names.timeout ? ` (${names.timeout})` : ''
    const raise = names.timeout ? `, and raise ${names.timeout} if it is only slow` : ''
    return detail(
      `CodePipeline did not answer within ${context.timeoutSeconds} s${setting}. Check the network path to CodePipeline in ${region}${raise}`
    )
  }
  const attempts = context.attempts > 1 ? ` after ${context.attempts} attempts` : ''
  const settings = [names.attempts, names.timeout].filter((name) => name !== undefined)
  const raise = settings.length > 0 ? `raise ${settings.join(' or ')}` : 'it is tried again later'
  return detail(
    `Calling CodePipeline ${context.operation} failed${attempts}. If CodePipeline is throttling or unavailable, ${raise}; otherwise check the network path to CodePipeline in ${region}`
  )
}
