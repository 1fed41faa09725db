import type { ActionExecutionState } from './action-events.js'
import { artifactCredentials, JobStore, type ActionType, type ActionTypeId, type EmulatedJob } from './jobs.js'

/** An error answered as the service answers it: `__type` and `message`, with an HTTP status. */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400
  ) {
    super(message)
  }
}

/** The emulated account the operations read and change. */
export interface Account {
  readonly jobs: JobStore
  /** Custom action types in the account; PollForJobs serves only these. */
  readonly actionTypes: readonly ActionType[]
  /** Jobs that another worker will acknowledge first, once they are polled. */
  readonly takenByOthers: Set<string>
  /** How long a polled job waits for AcknowledgeJob before it is handed out again. */
  readonly dispatchTimeoutMs: number
  /** The time: Date.now, or a clock shared with the code under test. Dispatch timeouts are judged by it when a job is polled. */
  now(): number
  /** Told of each action execution state change, as CodePipeline tells EventBridge. */
  actionExecutionChanged?(job: EmulatedJob, state: ActionExecutionState): void
}

/** One CodePipeline operation, given a request body that already passed the model's checks. */
export type Operation = (body: Record<string, unknown>, account: Account) => Record<string, unknown>

const MAX_OUTPUT_VARIABLES_BYTES = 122_880

const sameType = (a: ActionTypeId, b: ActionTypeId): boolean =>
  a.category === b.category && a.owner === b.owner && a.provider === b.provider && a.version === b.version

const jobNotFound = (id: unknown): ServiceError =>
  new ServiceError('JobNotFoundException', `Job ${String(id)} not found`)

/** Job data as the service hands it out: with fresh temporary credentials every time. */
function handOut(job: EmulatedJob): Record<string, unknown> {
  return { ...job.data, artifactCredentials: artifactCredentials() }
}

/** Ends a job with a result, refusing jobs that are unknown or already ended. */
export function finishJob(
  account: Account,
  body: Record<string, unknown>,
  operation: string,
  state: 'Succeeded' | 'Failed'
): void {
  const job = account.jobs.get(body.jobId as string)
  if (!job) throw jobNotFound(body.jobId)
  if (JobStore.isFinal(job.state)) {
    throw new ServiceError(
      'InvalidJobStateException',
      `Job ${job.id} is in state ${job.state} and cannot accept a result`
    )
  }
  // Stricter than anything CodePipeline documents, on purpose: a worker that answers a job it never
  // acknowledged may pass here and hang on AWS, where an unacknowledged job is handed out again.
  if (job.state === 'Queued' || job.state === 'Dispatched') {
    throw new ServiceError(
      'InvalidJobStateException',
      `Job ${job.id} is ${job.state}: acknowledge it with its nonce (AcknowledgeJob) before you answer it`
    )
  }
  job.state = state
  job.result = { operation, body }
  // Progress with a continuation token leaves the action running, with no event, and queues its next job.
  if (typeof body.continuationToken === 'string' && state === 'Succeeded')
    account.jobs.continueJob(job, body.continuationToken)
  else account.actionExecutionChanged?.(job, state === 'Succeeded' ? 'SUCCEEDED' : 'FAILED')
}

const pollForJobs: Operation = (body, account) => {
  const wanted = body.actionTypeId as ActionTypeId
  if (wanted.owner !== 'Custom') {
    throw new ServiceError('ValidationException', 'PollForJobs is only valid for action types with owner Custom')
  }
  const type = account.actionTypes.find((candidate) => sameType(candidate.id, wanted))
  if (!type) {
    throw new ServiceError(
      'ActionTypeNotFoundException',
      `Action type ${wanted.category}/${wanted.owner}/${wanted.provider}/${wanted.version} does not exist`
    )
  }
  const queryable = type.actionConfigurationProperties.find((property) => property.queryable)?.name
  const query = Object.entries((body.queryParam as Record<string, string> | undefined) ?? {})
  if (queryable === undefined && query.length > 0) {
    throw new ServiceError('ValidationException', 'queryParam must be empty: the action type has no queryable property')
  }
  if (queryable !== undefined && (query.length !== 1 || query[0]?.[0] !== queryable)) {
    throw new ServiceError(
      'ValidationException',
      `queryParam must hold the action type's queryable property ${queryable}`
    )
  }
  const now = account.now()
  account.jobs.requeueExpired(now)
  const matching = account.jobs
    .all()
    .filter(
      (job) =>
        job.state === 'Queued' &&
        sameType(job.data.actionTypeId, wanted) &&
        query.every(([key, value]) => job.data.actionConfiguration.configuration[key] === value)
    )
    .slice(0, (body.maxBatchSize as number | undefined) ?? 1)
  return {
    jobs: matching.map((job) => {
      account.jobs.dispatch(job, now + account.dispatchTimeoutMs)
      const handed = { id: job.id, data: handOut(job), nonce: job.nonce, accountId: job.accountId }
      if (account.takenByOthers.delete(job.id)) {
        // Another worker acknowledges first, so the nonce handed out here no longer holds.
        account.jobs.dispatch(job, now + account.dispatchTimeoutMs)
        job.state = 'InProgress'
      }
      return handed
    })
  }
}

const acknowledgeJob: Operation = (body, account) => {
  const job = account.jobs.get(body.jobId as string)
  if (!job) throw jobNotFound(body.jobId)
  if (job.nonce !== body.nonce) throw new ServiceError('InvalidNonceException', 'The nonce was already used')
  if (job.state === 'Dispatched' || job.state === 'Queued') {
    job.state = 'InProgress'
    job.dispatchedUntil = undefined
  }
  return { status: job.state }
}

const getJobDetails: Operation = (body, account) => {
  const job = account.jobs.get(body.jobId as string)
  if (!job) throw jobNotFound(body.jobId)
  return { jobDetails: { id: job.id, data: handOut(job), accountId: job.accountId } }
}

const listActionTypes: Operation = (body, account) => {
  const types = account.actionTypes.filter(
    (type) => body.actionOwnerFilter === undefined || type.id.owner === body.actionOwnerFilter
  )
  // Pages of two, so that callers must follow nextToken as they must with the service.
  const start = body.nextToken === undefined ? 0 : Number(body.nextToken)
  const page = types.slice(start, start + 2)
  return { actionTypes: page, ...(start + 2 < types.length && { nextToken: String(start + 2) }) }
}

const putJobSuccessResult: Operation = (body, account) => {
  const variables = body.outputVariables as Record<string, string> | undefined
  if (variables && body.continuationToken !== undefined) {
    throw new ServiceError('ValidationException', 'outputVariables can only be set when continuationToken is not set')
  }
  if (variables) {
    const bytes = Object.entries(variables).reduce(
      (total, [name, value]) => total + Buffer.byteLength(name) + Buffer.byteLength(value),
      0
    )
    if (bytes > MAX_OUTPUT_VARIABLES_BYTES) {
      throw new ServiceError(
        'OutputVariablesSizeExceededException',
        'Exceeded the total size limit for all variables in the pipeline.'
      )
    }
  }
  finishJob(account, body, 'PutJobSuccessResult', 'Succeeded')
  return {}
}

const putJobFailureResult: Operation = (body, account) => {
  finishJob(account, body, 'PutJobFailureResult', 'Failed')
  return {}
}

/** The operations the emulator serves, by the name X-Amz-Target gives. */
export const OPERATION_HANDLERS: Readonly<Record<string, Operation>> = {
  PollForJobs: pollForJobs,
  AcknowledgeJob: acknowledgeJob,
  GetJobDetails: getJobDetails,
  ListActionTypes: listActionTypes,
  PutJobSuccessResult: putJobSuccessResult,
  PutJobFailureResult: putJobFailureResult
}
