/**
 * Ending hard. The runner stops a step with SIGINT (a cancelled run, a
 * step's or job's timeout-minutes, a runner going away), sends SIGTERM
 * 7.5 s later and kills the process 2.5 s after that. Node's default is to
 * die on the first signal, which would leave a pipeline waiting on a job.
 */

import { releaseStops, type HeldStop } from './early-stop.js'

export type StopSignal = HeldStop['signal']

/** What a step may spend, after the first signal, before it must be done: within the 10 s before the kill. */
export const STOP_BUDGET_MS = 8_000

/** Of that, what an upload cut short may spend aborting itself, so that no parts are left billed. */
export const STOP_CLEANUP_MS = 5_000

/** The process events onStop listens to, injectable for tests. */
export interface SignalSource {
  once(signal: StopSignal, listener: () => void): unknown
  removeListener(signal: StopSignal, listener: () => void): unknown
  exit(code?: number): never
}

/**
 * Runs `handle` once, on the first SIGINT or SIGTERM, with the time it came,
 * then ends the process with the exit code the step set. Signals that follow
 * are ignored, so that the handler can use the whole grace period. A stop
 * that the entry file held while the code loaded is handled at once.
 * Returns a function that stops listening, for when the step ended on its own.
 */
export function onStop(
  handle: (signal: StopSignal, stoppedAt: number) => Promise<void>,
  source: SignalSource = process
): () => void {
  let stopping = false
  const ignore = (): void => {}
  const start = (signal: StopSignal, stoppedAt: number): void => {
    if (stopping) return
    stopping = true
    void handle(signal, stoppedAt).finally(() => source.exit())
  }
  const listeners = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const listener = (): void => {
      // The listener was taken by `once`; a later signal must not kill the process while the handler works.
      source.once(signal, ignore)
      start(signal, Date.now())
    }
    source.once(signal, listener)
    return [signal, listener] as const
  })
  // Listening now, the entry file lets go of what it held; a stop it held is this handler's.
  const held = releaseStops()
  if (held) start(held.signal, held.at)
  return () => {
    for (const [signal, listener] of listeners) source.removeListener(signal, listener)
  }
}

/** Describes a stop for the log and for CodePipeline. */
export function describeStop(signal: StopSignal): string {
  return `The runner stopped the step (${signal}): the run was cancelled, reached its timeout-minutes, or lost its runner`
}

/** True when `work` settled within `ms`. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true
      ),
      timeout
    ])
  } finally {
    clearTimeout(timer)
  }
}
