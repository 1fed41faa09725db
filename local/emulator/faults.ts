import { ServiceError } from './operations.js'

/** A misbehaviour the emulator can put on its next matching requests. */
export type Fault =
  /** Answers 400 ThrottlingException. */
  | { readonly kind: 'throttle' }
  /** Answers 500 InternalFailure, or another 5xx. */
  | { readonly kind: 'server-error'; readonly status?: number }
  /** Closes the connection without reading on: the request is not processed. */
  | { readonly kind: 'drop-before' }
  /** Processes the request, then closes the connection: the answer is lost. */
  | { readonly kind: 'drop-after' }
  /** Waits before handling the request. */
  | { readonly kind: 'latency'; readonly ms: number }
  /** Answers with a given error, such as AccessDeniedException or ExpiredTokenException. */
  | { readonly kind: 'error'; readonly type: string; readonly message?: string; readonly status?: number }

export interface FaultRule {
  readonly fault: Fault
  /** Only requests for this operation; all when unset. */
  readonly operation?: string
  /** How many requests it applies to; Infinity for all of them. */
  times: number
}

export class FaultPlan {
  private rules: FaultRule[] = []

  add(fault: Fault, options: { operation?: string; times?: number } = {}): void {
    this.rules.push({ fault, operation: options.operation, times: options.times ?? 1 })
  }

  clear(): void {
    this.rules = []
  }

  /**
   * Takes the faults due for a request to `operation`, waits out their latency,
   * and says what else they do to it.
   */
  async applyTo(operation: string): Promise<FaultEffect> {
    const due = this.take(operation)
    const delayMs = due.reduce((total, fault) => total + (fault.kind === 'latency' ? fault.ms : 0), 0)
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
    const fault = due.find((candidate) => candidate.kind !== 'latency')
    return {
      dropRequest: fault?.kind === 'drop-before',
      error: fault && answerFor(fault),
      dropAnswer: fault?.kind === 'drop-after'
    }
  }

  /** Takes the faults due for this request, in the order they were added. */
  private take(operation: string): Fault[] {
    const due: Fault[] = []
    for (const rule of this.rules) {
      if (rule.times > 0 && (rule.operation === undefined || rule.operation === operation)) {
        // Latency stacks with whatever else applies; the first other fault decides the answer.
        if (rule.fault.kind !== 'latency' && due.some((fault) => fault.kind !== 'latency')) continue
        rule.times -= 1
        due.push(rule.fault)
      }
    }
    this.rules = this.rules.filter((rule) => rule.times > 0)
    return due
  }
}

/** What the faults due for one request do to it, beyond their latency. */
export interface FaultEffect {
  /** Close the connection without handling the request. */
  readonly dropRequest: boolean
  /** Answer with this error instead of handling the request. */
  readonly error?: ServiceError
  /** Handle the request, then close the connection: the answer is lost. */
  readonly dropAnswer: boolean
}

function answerFor(fault: Fault): ServiceError | undefined {
  switch (fault.kind) {
    case 'throttle':
      return new ServiceError('ThrottlingException', 'Rate exceeded')
    case 'server-error':
      return new ServiceError('InternalFailure', 'Internal service error', fault.status ?? 500)
    case 'error':
      return new ServiceError(fault.type, fault.message ?? fault.type, fault.status ?? 400)
    default:
      return undefined
  }
}
