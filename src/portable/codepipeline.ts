import {
  AcknowledgeJobCommand,
  CodePipelineClient,
  GetJobDetailsCommand,
  ListActionTypesCommand,
  PollForJobsCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
  type ActionType,
  type ActionTypeId,
  type Job,
  type JobDetails,
  type PollForJobsInput,
  type PutJobFailureResultInput,
  type PutJobSuccessResultInput
} from '@aws-sdk/client-codepipeline'
import { errorCode, isAnswerLost } from './aws-errors.js'
import { proxyAgents } from './proxy.js'
import { ACTION_NAME, ACTION_VERSION } from './version.js'

export type Operation =
  'PutJobSuccessResult' | 'PutJobFailureResult' | 'AcknowledgeJob' | 'GetJobDetails' | 'PollForJobs' | 'ListActionTypes'

/** How the client reaches CodePipeline. */
export interface AwsSettings {
  /** Undefined to let the SDK resolve it, from AWS_REGION for one. */
  readonly region?: string
  readonly maxAttempts: number
  /** Bounds all attempts of one call together. */
  readonly timeoutSeconds: number
  /** How whoever set these up changes them, for the explanation of a call that failed. */
  readonly names: SettingNames
}

/**
 * The caller's own words for its settings: a workflow author changes an
 * action's inputs, an operator the bridge's stack. An explanation names only
 * what its reader can change.
 */
export interface SettingNames {
  /** Whose IAM policy must allow the calls. */
  readonly principal: string
  /** Where the Region is set. */
  readonly region: string
  /** What names the custom action type. */
  readonly actionType: string
  /** The settings for a call's time and attempts; absent where they are fixed. */
  readonly timeout?: string
  readonly attempts?: string
  /** What to do when the AWS credentials have expired, or none were found. */
  readonly expiredCredentials: string
  readonly missingCredentials: string
  /** The settings that say what to poll for and which output variables to send, where the caller has them. */
  readonly query?: string
  readonly outputVariables?: string
}

/**
 * Where the client writes what it is doing. The actions pass `@actions/core`'s
 * debug; the bridge, which runs on Lambda, passes its own logger.
 */
export interface DebugLog {
  debug(message: string): void
}

export interface SendResult {
  /** How many attempts the SDK made, retries included. */
  readonly attempts: number
}

/** Raised when a call finally fails; keeps what the attempts before it saw. */
export class CodePipelineCallError extends Error {
  /** How many attempts the SDK made, retries included. */
  readonly attempts: number
  /** True when an earlier attempt may have reached CodePipeline but its answer never came back. */
  readonly earlierAnswerLost: boolean

  constructor(
    readonly operation: Operation,
    override readonly cause: unknown,
    history: { readonly attempts: number; readonly earlierAnswerLost: boolean }
  ) {
    super(cause instanceof Error ? cause.message : String(cause))
    this.name = 'CodePipelineCallError'
    this.attempts = history.attempts
    this.earlierAnswerLost = history.earlierAnswerLost
  }

  /**
   * True when the retry was refused with `code` only because an earlier
   * attempt, whose answer was lost, had already done the work.
   */
  landedEarlier(code: 'InvalidJobStateException' | 'InvalidNonceException'): boolean {
    return this.earlierAnswerLost && errorCode(this.cause) === code
  }
}

/**
 * The one door to CodePipeline. Retries throttling, 5xx and network errors
 * with the SDK's standard backoff, each call bounded by its `timeoutSeconds`.
 */
export class CodePipeline {
  private readonly client: CodePipelineClient
  private readonly attemptErrors: unknown[] = []

  constructor(
    private readonly settings: AwsSettings,
    private readonly log: DebugLog,
    /** How requests leave this machine: through the proxy the environment names, if any. */
    agents: ReturnType<typeof proxyAgents> = proxyAgents()
  ) {
    this.client = new CodePipelineClient({
      region: settings.region,
      maxAttempts: settings.maxAttempts,
      retryMode: 'standard',
      customUserAgent: [[ACTION_NAME, ACTION_VERSION]],
      // Per attempt: a hung attempt must fail, and so be retried, well within the call's time.
      requestHandler: {
        connectionTimeout: 5_000,
        requestTimeout: attemptTimeoutMs(settings.timeoutSeconds),
        throwOnRequestTimeout: true,
        ...agents
      }
    })
    // Sits inside the retry loop, so it sees every attempt's error, not just the last.
    this.client.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args)
        } catch (error) {
          this.attemptErrors.push(error)
          throw error
        }
      },
      { step: 'deserialize', name: 'recordAttemptErrors' }
    )
  }

  get region(): Promise<string> {
    return this.client.config.region()
  }

  async putJobSuccessResult(input: PutJobSuccessResultInput): Promise<SendResult> {
    return (
      await this.send('PutJobSuccessResult', (abortSignal) =>
        this.client.send(new PutJobSuccessResultCommand(input), { abortSignal })
      )
    ).result
  }

  async putJobFailureResult(input: PutJobFailureResultInput): Promise<SendResult> {
    return (
      await this.send('PutJobFailureResult', (abortSignal) =>
        this.client.send(new PutJobFailureResultCommand(input), { abortSignal })
      )
    ).result
  }

  /**
   * The bare AcknowledgeJob call; resolves the job's status. acknowledge() builds
   * on it and also tells a claim whose answer was lost from another worker's.
   */
  async acknowledgeJob(jobId: string, nonce: string): Promise<string | undefined> {
    return (
      await this.send('AcknowledgeJob', (abortSignal) =>
        this.client.send(new AcknowledgeJobCommand({ jobId, nonce }), { abortSignal })
      )
    ).output.status
  }

  async getJobDetails(jobId: string): Promise<JobDetails | undefined> {
    return (
      await this.send('GetJobDetails', (abortSignal) =>
        this.client.send(new GetJobDetailsCommand({ jobId }), { abortSignal })
      )
    ).output.jobDetails
  }

  async pollForJobs(input: PollForJobsInput): Promise<Job[]> {
    return (
      (
        await this.send('PollForJobs', (abortSignal) =>
          this.client.send(new PollForJobsCommand(input), { abortSignal })
        )
      ).output.jobs ?? []
    )
  }

  /** The custom action type with this ID, or undefined when the account has none. */
  async findCustomActionType(id: ActionTypeId): Promise<ActionType | undefined> {
    let nextToken: string | undefined
    do {
      const { output } = await this.send('ListActionTypes', (abortSignal) =>
        this.client.send(new ListActionTypesCommand({ actionOwnerFilter: 'Custom', nextToken }), { abortSignal })
      )
      const found = output.actionTypes?.find(
        (type) =>
          type.id?.category === id.category && type.id?.provider === id.provider && type.id?.version === id.version
      )
      if (found) return found
      nextToken = output.nextToken
    } while (nextToken)
    return undefined
  }

  private async send<Output extends { $metadata: { attempts?: number } }>(
    operation: Operation,
    call: (abortSignal: AbortSignal) => Promise<Output>
  ): Promise<{ output: Output; result: SendResult }> {
    this.attemptErrors.length = 0
    this.log.debug(
      `Calling CodePipeline ${operation} (up to ${this.settings.maxAttempts} attempts, ${this.settings.timeoutSeconds} s)`
    )
    try {
      const output = await call(AbortSignal.timeout(this.settings.timeoutSeconds * 1000))
      return { output, result: { attempts: output.$metadata.attempts ?? 1 } }
    } catch (error) {
      const earlier = this.attemptErrors.filter((seen) => seen !== error)
      for (const seen of earlier) this.log.debug(`${operation}: an earlier attempt failed: ${String(seen)}`)
      this.log.debug(`${operation} failed: ${String(error)}`)
      throw new CodePipelineCallError(operation, error, {
        attempts: Math.max(attemptsOf(error), this.attemptErrors.length),
        earlierAnswerLost: earlier.some(isAnswerLost)
      })
    }
  }
}

/**
 * Whose a job is after acknowledging it: `claimed`, this worker's now, or
 * `taken`, another worker's, as CodePipeline refused the nonce.
 */
export type Acknowledgement =
  | {
      readonly outcome: 'claimed'
      /** The job's status as CodePipeline answered it; `InProgress` means go ahead. Undefined when the answer was lost. */
      readonly status: string | undefined
      /**
       * True when the answer was lost and a retry found the nonce used: most likely by that lost attempt, but
       * another worker given the same job looks the same, so the claim is probable, not confirmed.
       */
      readonly answerLost: boolean
    }
  | {
      readonly outcome: 'taken'
      /** CodePipeline's refusal, to explain with explainCallError. */
      readonly refusal: CodePipelineCallError
    }

/**
 * Acknowledges a job and says whether it is now this worker's or another's.
 * Any other failure is thrown as a CodePipelineCallError: the job may or may
 * not be this worker's then, and what to do about it is the caller's to decide.
 */
export async function acknowledge(
  pipeline: Pick<CodePipeline, 'acknowledgeJob'>,
  jobId: string,
  nonce: string
): Promise<Acknowledgement> {
  try {
    const status = await pipeline.acknowledgeJob(jobId, nonce)
    return { outcome: 'claimed', status, answerLost: false }
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error
    if (error.landedEarlier('InvalidNonceException')) return { outcome: 'claimed', status: undefined, answerLost: true }
    if (errorCode(error.cause) === 'InvalidNonceException') return { outcome: 'taken', refusal: error }
    throw error
  }
}

/** Says, for the log, that a job was claimed. */
export function describeAcknowledgement(
  jobId: string,
  answer: Extract<Acknowledgement, { outcome: 'claimed' }>
): string {
  return `Acknowledged CodePipeline job ${jobId} (${answer.status ?? 'no status'}).`
}

/**
 * The warning for a claim whose first answer was lost: what is known, and
 * `goingOn`, what the step does anyway (`Reporting anyway`).
 */
export function describeUnconfirmedAcknowledgement(jobId: string, goingOn: string): string {
  return `Acknowledging CodePipeline job ${jobId} lost its first answer, and the retry found the nonce already used. Most likely that was this step's own first attempt, but CodePipeline cannot confirm it: another worker given the same nonce would look the same. ${goingOn}, so that the pipeline is not left waiting; the 'confirmed' output is false. If another worker holds the job too, CodePipeline takes the first result and refuses the other.`
}

/** A third of the whole budget, so that at least three attempts fit, within 2 to 30 seconds. */
export function attemptTimeoutMs(timeoutSeconds: number): number {
  return Math.min(30_000, Math.max(2_000, Math.floor((timeoutSeconds * 1000) / 3)))
}

function attemptsOf(error: unknown): number {
  const metadata = (error as { $metadata?: { attempts?: number } } | undefined)?.$metadata
  return metadata?.attempts ?? 1
}
