import {
  CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
  type PutJobFailureResultInput,
  type PutJobSuccessResultInput
} from '@aws-sdk/client-codepipeline'
import * as core from '@actions/core'
import type { AwsSettings } from './inputs.js'
import { isAnswerLost } from './aws-errors.js'
import { ACTION_NAME, ACTION_VERSION } from './version.js'

export type JobResultOperation = 'PutJobSuccessResult' | 'PutJobFailureResult'

export interface SendResult {
  /** How many attempts the SDK made, retries included. */
  readonly attempts: number
}

/** Raised when a call finally fails; keeps what the attempts before it saw. */
export class CodePipelineCallError extends Error {
  constructor(
    readonly operation: JobResultOperation,
    override readonly cause: unknown,
    readonly attempts: number,
    /** True when an earlier attempt may have reached CodePipeline but its answer never came back. */
    readonly earlierAnswerLost: boolean
  ) {
    super(cause instanceof Error ? cause.message : String(cause))
    this.name = 'CodePipelineCallError'
  }
}

/**
 * The one door to CodePipeline. Retries throttling, 5xx and network errors
 * with the SDK's standard backoff, bounded by `timeout-seconds` overall.
 */
export class CodePipeline {
  private readonly client: CodePipelineClient
  private readonly attemptErrors: unknown[] = []

  constructor(private readonly settings: AwsSettings) {
    this.client = new CodePipelineClient({
      region: settings.region,
      maxAttempts: settings.maxAttempts,
      retryMode: 'standard',
      customUserAgent: [[ACTION_NAME, ACTION_VERSION]],
      // Per attempt: a hung connection must leave time for the retries.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 }
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

  putJobSuccessResult(input: PutJobSuccessResultInput): Promise<SendResult> {
    return this.send('PutJobSuccessResult', () =>
      this.client.send(new PutJobSuccessResultCommand(input), { abortSignal: this.deadline() })
    )
  }

  putJobFailureResult(input: PutJobFailureResultInput): Promise<SendResult> {
    return this.send('PutJobFailureResult', () =>
      this.client.send(new PutJobFailureResultCommand(input), { abortSignal: this.deadline() })
    )
  }

  private deadline(): AbortSignal {
    return AbortSignal.timeout(this.settings.timeoutSeconds * 1000)
  }

  private async send(
    operation: JobResultOperation,
    call: () => Promise<{ $metadata: { attempts?: number } }>
  ): Promise<SendResult> {
    this.attemptErrors.length = 0
    core.debug(
      `Calling CodePipeline ${operation} (up to ${this.settings.maxAttempts} attempts, ${this.settings.timeoutSeconds} s)`
    )
    try {
      const output = await call()
      return { attempts: output.$metadata.attempts ?? 1 }
    } catch (error) {
      const earlier = this.attemptErrors.filter((seen) => seen !== error)
      for (const seen of earlier) core.debug(`${operation}: an earlier attempt failed: ${String(seen)}`)
      throw new CodePipelineCallError(
        operation,
        error,
        Math.max(attemptsOf(error), this.attemptErrors.length),
        earlier.some(isAnswerLost)
      )
    }
  }
}

function attemptsOf(error: unknown): number {
  const metadata = (error as { $metadata?: { attempts?: number } } | undefined)?.$metadata
  return metadata?.attempts ?? 1
}
