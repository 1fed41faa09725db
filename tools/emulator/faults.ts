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

  /** Takes the faults due for this request, in the order they were added. */
  take(operation: string): Fault[] {
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
