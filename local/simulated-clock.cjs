// Preloaded (`node --require`) into a process that shares a SimulatedClock
// (local/clock.ts) with the test process: the Lambda containers of the bridge's
// end-to-end tests. The code it runs is left as it ships. It reads the time
// through Date and waits through require('node:timers/promises').setTimeout;
// here Date.now(), `new Date()` and `Date()` read the shared clock, and a wait
// moves the shared clock forward by its length and returns at once, so that a
// lease, a retry window or a grace period passes without sleeping.
// The global setTimeout is left alone: the AWS SDK and the HTTP client bound
// their requests with it, and a request takes the time it takes.
'use strict'
const { readFileSync, renameSync, writeFileSync } = require('node:fs')
const process = require('node:process')
const { setImmediate } = require('node:timers')
const timers = require('node:timers/promises')

const file = process.env.SIMULATED_CLOCK_FILE
if (!file) throw new Error('SIMULATED_CLOCK_FILE names no clock file')
// The code under test has no business with it.
delete process.env.SIMULATED_CLOCK_FILE

const RealDate = Date
/** The file holds how far the shared clock is ahead of the real one, in milliseconds. */
const offset = () => Number(readFileSync(file, 'utf8')) || 0
const now = () => RealDate.now() + offset()

/** Moves the shared clock to `time`, unless it is there already. */
function advanceTo(time) {
  const ahead = time - RealDate.now()
  if (ahead <= offset()) return
  const next = `${file}.${process.pid}`
  writeFileSync(next, String(ahead))
  renameSync(next, file)
}

globalThis.Date = new Proxy(RealDate, {
  construct: (target, args, newTarget) => Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget),
  apply: () => new RealDate(now()).toString(),
  get: (target, key, receiver) => (key === 'now' ? now : Reflect.get(target, key, receiver))
})

timers.setTimeout = async (delay, value, options) => {
  options?.signal?.throwIfAborted()
  advanceTo(now() + Math.max(0, Number(delay) || 0))
  // Still a wait: whatever else is ready runs first.
  await new Promise((resolve) => setImmediate(resolve))
  options?.signal?.throwIfAborted()
  return value
}
