import { runSafetyNet } from './safety-net.js'

await runSafetyNet()
// A retry delay the SDK started before a deadline may still be pending: give it a moment, never the step.
setTimeout(() => process.exit(), 1000).unref()
