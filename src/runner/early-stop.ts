/**
 * The first thing each entry file does, before the rest of the action loads:
 * listen for the runner's stop. A SIGINT or SIGTERM that came while the code
 * was still loading would otherwise kill the step silently, and leave the
 * pipeline waiting on its job. A signal that comes now is held, with its
 * time, for the step's own stop handler to take over once it is listening.
 *
 * This module imports nothing, so that the entry file that loads it is small
 * and runs at once.
 */

export interface HeldStop {
  readonly signal: 'SIGINT' | 'SIGTERM'
  /** When it came, by Date.now(): the grace period counts from then. */
  readonly at: number
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const

let held: HeldStop | undefined
const holders = SIGNALS.map((signal) => [signal, () => void (held ??= { signal, at: Date.now() })] as const)
let holding = false

/** Starts holding stops; the process no longer dies on them. */
export function holdStops(): void {
  if (holding) return
  holding = true
  for (const [signal, hold] of holders) process.on(signal, hold)
}

/**
 * Lets a stop that came while the code loaded reach the holder. Node.js
 * hands a signal to JavaScript only when its event loop next polls, and
 * loading the code does not get there: without this turn of the loop, the
 * step would start its work, and send a result, before it heard of a stop
 * that came first.
 */
export function deliverHeldStops(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * Stops holding, for a stop handler that now listens itself: the first stop
 * that came meanwhile, if any, is for it to act on.
 */
export function releaseStops(): HeldStop | undefined {
  if (holding) for (const [signal, hold] of holders) process.removeListener(signal, hold)
  holding = false
  const first = held
  held = undefined
  return first
}
