import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { actionExecutionEvent, type ActionExecutionState } from './events.js'
import { FaultPlan, type Fault } from './faults.js'
import {
  artifactCredentials,
  GITHUB_ACTIONS_TYPE,
  JobStore,
  type ActionType,
  type ActionTypeId,
  type EmulatedJob,
  type NewJob
} from './jobs.js'
import { OPERATIONS, validate } from './model.js'
import { verifySigV4 } from './sigv4.js'

/** Credentials the emulator accepts unless told otherwise. Not secret: they only open the emulator. */
export const EMULATOR_CREDENTIALS = {
  accessKeyId: 'AKIAEMULATOR00000001',
  secretAccessKey: 'emulator-secret-access-key-0000000000000'
} as const

const TARGET_PREFIX = 'CodePipeline_20150709.'
const CONTROL_PREFIX = '/_emulator/'
const MAX_OUTPUT_VARIABLES_BYTES = 122_880

export interface RecordedRequest {
  readonly operation: string
  readonly body: Record<string, unknown>
  readonly headers: Record<string, string | string[] | undefined>
  readonly at: number
  /** The HTTP status answered, or 'dropped'. */
  status?: number | 'dropped'
  errorType?: string
}

export interface EmulatorOptions {
  readonly port?: number
  /** How long a polled job waits for AcknowledgeJob before it is handed out again. */
  readonly dispatchTimeoutMs?: number
  /** Access key ID to secret key; requests signed with another key are refused. */
  readonly credentials?: Readonly<Record<string, string>>
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400
  ) {
    super(message)
  }
}

type Handler = (body: Record<string, unknown>, emulator: CodePipelineEmulator) => Record<string, unknown>

const sameType = (a: ActionTypeId, b: ActionTypeId): boolean =>
  a.category === b.category && a.owner === b.owner && a.provider === b.provider && a.version === b.version

const jobNotFound = (id: unknown): ServiceError =>
  new ServiceError('JobNotFoundException', `Job ${String(id)} not found`)

/** Job data as the service hands it out: with fresh temporary credentials every time. */
function handOut(job: EmulatedJob): Record<string, unknown> {
  return { ...job.data, artifactCredentials: artifactCredentials() }
}

/** One function per operation. */
const HANDLERS: Readonly<Record<string, Handler>> = {
  PollForJobs: (body, emulator) => {
    const wanted = body.actionTypeId as ActionTypeId
    if (wanted.owner !== 'Custom') {
      throw new ServiceError('ValidationException', 'PollForJobs is only valid for action types with owner Custom')
    }
    const type = emulator.actionTypes.find((candidate) => sameType(candidate.id, wanted))
    if (!type) {
      throw new ServiceError(
        'ActionTypeNotFoundException',
        `Action type ${wanted.category}/${wanted.owner}/${wanted.provider}/${wanted.version} does not exist`
      )
    }
    const queryable = type.actionConfigurationProperties.find((property) => property.queryable)?.name
    const query = Object.entries((body.queryParam as Record<string, string> | undefined) ?? {})
    if (queryable === undefined && query.length > 0) {
      throw new ServiceError(
        'ValidationException',
        'queryParam must be empty: the action type has no queryable property'
      )
    }
    if (queryable !== undefined && (query.length !== 1 || query[0][0] !== queryable)) {
      throw new ServiceError(
        'ValidationException',
        `queryParam must hold the action type's queryable property ${queryable}`
      )
    }
    const now = Date.now()
    emulator.jobs.requeueExpired(now)
    const matching = emulator.jobs
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
        emulator.jobs.dispatch(job, now + emulator.dispatchTimeoutMs)
        const handed = { id: job.id, data: handOut(job), nonce: job.nonce, accountId: job.accountId }
        if (emulator.takenByOthers.delete(job.id)) {
          // Another worker acknowledges first, so the nonce handed out here no longer holds.
          emulator.jobs.dispatch(job, now + emulator.dispatchTimeoutMs)
          job.state = 'InProgress'
        }
        return handed
      })
    }
  },
  AcknowledgeJob: (body, emulator) => {
    const job = emulator.jobs.get(body.jobId as string)
    if (!job) throw jobNotFound(body.jobId)
    if (job.nonce !== body.nonce) throw new ServiceError('InvalidNonceException', 'The nonce was already used')
    if (job.state === 'Dispatched' || job.state === 'Queued') {
      job.state = 'InProgress'
      job.dispatchedUntil = undefined
    }
    return { status: job.state }
  },
  GetJobDetails: (body, emulator) => {
    const job = emulator.jobs.get(body.jobId as string)
    if (!job) throw jobNotFound(body.jobId)
    return { jobDetails: { id: job.id, data: handOut(job), accountId: job.accountId } }
  },
  ListActionTypes: (body, emulator) => {
    const types = emulator.actionTypes.filter(
      (type) => body.actionOwnerFilter === undefined || type.id.owner === body.actionOwnerFilter
    )
    // Pages of two, so that callers must follow nextToken as they must with the service.
    const start = body.nextToken === undefined ? 0 : Number(body.nextToken)
    const page = types.slice(start, start + 2)
    return { actionTypes: page, ...(start + 2 < types.length && { nextToken: String(start + 2) }) }
  },
  PutJobSuccessResult: (body, emulator) => {
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
    emulator.finish(body, 'PutJobSuccessResult', 'Succeeded')
    return {}
  },
  PutJobFailureResult: (body, emulator) => {
    emulator.finish(body, 'PutJobFailureResult', 'Failed')
    return {}
  }
}

/**
 * A local CodePipeline that speaks the real wire protocol (awsJson1_1 with
 * SigV4), so that the real SDK and the bundled action talk to it unchanged.
 */
export class CodePipelineEmulator {
  readonly jobs = new JobStore()
  readonly faults = new FaultPlan()
  readonly requests: RecordedRequest[] = []
  /** Custom action types in the account; PollForJobs serves only these. */
  readonly actionTypes: ActionType[] = [
    { ...GITHUB_ACTIONS_TYPE, id: { ...GITHUB_ACTIONS_TYPE.id, provider: 'Jenkins' } },
    { ...GITHUB_ACTIONS_TYPE, id: { ...GITHUB_ACTIONS_TYPE.id, provider: 'TeamCity' } },
    GITHUB_ACTIONS_TYPE
  ]
  /** Jobs that another worker will acknowledge first, once they are polled. */
  readonly takenByOthers = new Set<string>()
  /**
   * Action execution state changes, as CodePipeline sends them to EventBridge:
   * STARTED when a job is queued, SUCCEEDED or FAILED when it gets its result,
   * CANCELED or ABANDONED when its execution is stopped.
   */
  readonly events: Record<string, unknown>[] = []
  /** Called with each event as it happens, as an EventBridge rule would deliver it. */
  onEvent?: (event: Record<string, unknown>) => void
  readonly dispatchTimeoutMs: number
  private readonly secrets: Map<string, string>
  private readonly server: Server

  private constructor(options: EmulatorOptions) {
    this.dispatchTimeoutMs = options.dispatchTimeoutMs ?? 60_000
    this.secrets = new Map(
      Object.entries(
        options.credentials ?? { [EMULATOR_CREDENTIALS.accessKeyId]: EMULATOR_CREDENTIALS.secretAccessKey }
      )
    )
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.answer(response, 500, { __type: 'InternalFailure', message: String(error) })
      })
    })
  }

  static async start(options: EmulatorOptions = {}): Promise<CodePipelineEmulator> {
    const emulator = new CodePipelineEmulator(options)
    await new Promise<void>((resolve) => emulator.server.listen(options.port ?? 0, '127.0.0.1', resolve))
    return emulator
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  createJob(job?: NewJob): EmulatedJob {
    const created = this.jobs.create(job)
    if (created.state === 'Queued') this.emit(created, 'STARTED')
    return created
  }

  /** Stops the job's pipeline execution: the job takes no result any more. */
  stopExecution(job: EmulatedJob, state: 'CANCELED' | 'ABANDONED' = 'ABANDONED'): void {
    job.state = 'Abandoned'
    job.dispatchedUntil = undefined
    this.emit(job, state)
  }

  private emit(job: EmulatedJob, state: ActionExecutionState): void {
    const event = actionExecutionEvent(job, state)
    this.events.push(event)
    this.onEvent?.(event)
  }

  /** Adds a custom action type, such as one without a queryable property. */
  defineActionType(type: ActionType): void {
    this.actionTypes.push(type)
  }

  inject(fault: Fault, options?: { operation?: string; times?: number }): void {
    this.faults.add(fault, options)
  }

  /** Forgets recorded requests and pending faults, between tests. Jobs stay. */
  reset(): void {
    this.requests.length = 0
    this.faults.clear()
  }

  requestsFor(operation: string): RecordedRequest[] {
    return this.requests.filter((request) => request.operation === operation)
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Ends a job with a result, refusing jobs that are unknown or already ended. */
  finish(body: Record<string, unknown>, operation: string, state: 'Succeeded' | 'Failed'): void {
    const job = this.jobs.get(body.jobId as string)
    if (!job) throw jobNotFound(body.jobId)
    if (JobStore.isFinal(job.state)) {
      throw new ServiceError(
        'InvalidJobStateException',
        `Job ${job.id} is in state ${job.state} and cannot accept a result`
      )
    }
    job.state = state
    job.result = { operation, body }
    this.emit(job, state === 'Succeeded' ? 'SUCCEEDED' : 'FAILED')
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request)
    if (request.url?.startsWith(CONTROL_PREFIX)) return this.control(request, body, response)

    const target = request.headers['x-amz-target']
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : ''
    let parsed: Record<string, unknown> = {}
    try {
      parsed = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>
    } catch {
      // Answered below as a serialization error.
    }
    const recorded: RecordedRequest = { operation, body: parsed, headers: request.headers, at: Date.now() }
    this.requests.push(recorded)

    const faults = this.faults.take(operation)
    for (const fault of faults) if (fault.kind === 'latency') await sleep(fault.ms)
    const fault = faults.find((candidate) => candidate.kind !== 'latency')
    if (fault?.kind === 'drop-before') return drop(request, recorded)

    const fail = (error: ServiceError): void => {
      recorded.status = error.status
      recorded.errorType = error.type
      this.answer(response, error.status, { __type: error.type, message: error.message })
    }
    if (fault?.kind === 'throttle') return fail(new ServiceError('ThrottlingException', 'Rate exceeded'))
    if (fault?.kind === 'server-error')
      return fail(new ServiceError('InternalFailure', 'Internal service error', fault.status ?? 500))
    if (fault?.kind === 'error')
      return fail(new ServiceError(fault.type, fault.message ?? fault.type, fault.status ?? 400))

    try {
      const result = this.process(request, operation, body, parsed)
      if (fault?.kind === 'drop-after') return drop(request, recorded)
      recorded.status = 200
      this.answer(response, 200, result)
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error
      if (fault?.kind === 'drop-after') return drop(request, recorded)
      fail(error)
    }
  }

  private process(
    request: IncomingMessage,
    operation: string,
    raw: Buffer,
    body: Record<string, unknown>
  ): Record<string, unknown> {
    if (request.method !== 'POST' || request.url !== '/')
      throw new ServiceError('UnknownOperationException', 'Use POST /', 404)
    const contentType = request.headers['content-type']
    if (contentType !== 'application/x-amz-json-1.1') {
      throw new ServiceError(
        'SerializationException',
        `Content-Type must be application/x-amz-json-1.1, not ${String(contentType)}`
      )
    }
    const signature = verifySigV4(request.method, '/', request.headers, raw, this.secrets)
    if ('type' in signature) throw new ServiceError(signature.type, signature.message, 403)
    const handler = HANDLERS[operation]
    const shape = OPERATIONS[operation]
    if (!handler || !shape) throw new ServiceError('UnknownOperationException', `Unknown operation ${operation}`)
    const problems = validate(body, shape, operation)
    if (problems.length > 0) {
      throw new ServiceError(
        'ValidationException',
        `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`
      )
    }
    return handler(body, this)
  }

  /** Test and demo controls, kept off the service path. */
  private control(request: IncomingMessage, body: Buffer, response: ServerResponse): void {
    const path = request.url!.slice(CONTROL_PREFIX.length)
    const input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {}
    if (request.method === 'POST' && path === 'jobs') return this.answer(response, 200, this.createJob(input as NewJob))
    if (request.method === 'GET' && path.startsWith('jobs/')) {
      const job = this.jobs.get(path.slice('jobs/'.length))
      return job ? this.answer(response, 200, job) : this.answer(response, 404, { message: 'no such job' })
    }
    if (request.method === 'GET' && path === 'requests') return this.answer(response, 200, this.requests)
    if (request.method === 'POST' && path === 'faults') {
      const times = input.times === 'always' ? Infinity : (input.times as number | undefined)
      this.inject(input.fault as Fault, { operation: input.operation as string | undefined, times })
      return this.answer(response, 200, {})
    }
    this.answer(response, 404, { message: `unknown control ${request.method} ${path}` })
  }

  private answer(response: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body)
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': crypto.randomUUID()
    })
    response.end(text)
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

function drop(request: IncomingMessage, recorded: RecordedRequest): void {
  recorded.status = 'dropped'
  request.socket.destroy()
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
