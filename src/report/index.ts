import { run } from './main.js'

await run()
// A retry the SDK scheduled before a call gave up may keep a timer running; it must not hold the step open.
setTimeout(() => process.exit(), 1000).unref()
