import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { control } from './control.js'
import { actionExecutionEvent, type ActionExecutionState } from './action-events.js'
import { FaultPlan, type Fault } from './faults.js'
import { GITHUB_ACTIONS_TYPE, JobStore, type ActionType, type EmulatedJob, type NewJob } from './jobs.js'
import { finishJob, ServiceError, type Account } from './operations.js'
import { controlPath, readCall, serve } from './routing.js'

/** Credentials the emulator accepts unless told otherwise. Not secret: they only open the emulator. */
export const EMULATOR_CREDENTIALS = {
  accessKeyId: 'AKIAEMULATOR00000001',
  secretAccessKey: 'emulator-secret-access-key-0000000000000'
} as const

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
  /** The time, when a test moves it (see local/clock.ts); Date.now otherwise. */
  readonly now?: () => number
  /** Access key ID to secret key; requests signed with another key are refused. */
  readonly credentials?: Readonly<Record<string, string>>
  /**
   * The state of a job created without one. Queued by default, as on
   * CodePipeline, where a worker must acknowledge a job before it answers
   * it; InProgress for tests of a step that is handed a job already claimed.
   */
  readonly newJobState?: 'Queued' | 'InProgress'
}

/**
 * A local CodePipeline that speaks the real wire protocol (awsJson1_1 with
 * SigV4), so that the real SDK and the bundled action talk to it unchanged.
 */
export class CodePipelineEmulator implements Account {
  readonly jobs: JobStore
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
   * STARTED when a job is queued, SUCCEEDED or FAILED when it gets its final
   * result, CANCELED or ABANDONED when its execution is stopped.
   */
  readonly events: Record<string, unknown>[] = []
  /** Called with each event as it happens, as an EventBridge rule would deliver it. */
  onEvent?: (event: Record<string, unknown>) => void
  /** Called once a request was served, before its answer goes out: to change the world between two calls. */
  onServed?: (request: RecordedRequest) => void
  readonly dispatchTimeoutMs: number
  readonly now: () => number
  private readonly secrets: Map<string, string>
  private readonly server: Server

  private constructor(options: EmulatorOptions) {
    this.jobs = new JobStore(options.newJobState)
    this.dispatchTimeoutMs = options.dispatchTimeoutMs ?? 60_000
    this.now = options.now ?? Date.now
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
    if (created.state === 'Queued') this.actionExecutionChanged(created, 'STARTED')
    return created
  }

  /** Stops the job's pipeline execution: the job takes no result any more. */
  stopExecution(job: EmulatedJob, state: 'CANCELED' | 'ABANDONED' = 'ABANDONED'): void {
    job.state = 'Abandoned'
    job.dispatchedUntil = undefined
    this.actionExecutionChanged(job, state)
  }

  actionExecutionChanged(job: EmulatedJob, state: ActionExecutionState): void {
    const event = actionExecutionEvent(job, state, this.now())
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

  /** The operations called so far, in order. */
  operations(): string[] {
    return this.requests.map((request) => request.operation)
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Ends a job with a result, refusing jobs that are unknown or already ended. */
  finish(body: Record<string, unknown>, operation: string, state: 'Succeeded' | 'Failed'): void {
    finishJob(this, body, operation, state)
  }

  /** Routes a request to the controls or the service, and lets due faults change what happens to it. */
  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request)
    const path = controlPath(request)
    if (path !== undefined) {
      const { status, body } = control(this, request.method ?? 'GET', path, raw)
      return this.answer(response, status, body)
    }

    const call = readCall(request, raw)
    const recorded: RecordedRequest = {
      operation: call.operation,
      body: call.body,
      headers: request.headers,
      at: this.now()
    }
    this.requests.push(recorded)
    const fault = await this.faults.applyTo(call.operation)
    const drop = (): void => {
      recorded.status = 'dropped'
      request.socket.destroy()
    }
    const fail = (error: ServiceError): void => {
      recorded.status = error.status
      recorded.errorType = error.type
      this.answer(response, error.status, { __type: error.type, message: error.message })
    }
    if (fault.dropRequest) return drop()
    if (fault.error) return fail(fault.error)

    try {
      const result = serve(request, call, this, this.secrets)
      if (fault.dropAnswer) return drop()
      recorded.status = 200
      this.onServed?.(recorded)
      this.answer(response, 200, result)
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error
      if (fault.dropAnswer) return drop()
      fail(error)
    }
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
