// The job action's post step. It holds the runner's stop before anything else loads, and never
// lets go: stopped or not, the safety net goes on failing the job nobody answered, until the kill.
import { holdStops } from '../runner/early-stop.js'

holdStops()
const { run } = await import('./safety-net.js')
await run()
// A retry delay the SDK started before a deadline may still be pending: give it a moment, never the step.
setTimeout(() => process.exit(), 1000).unref()
