// The file action.yml runs. It holds the runner's stop before anything else loads, so that a
// stop during loading still reaches the step's own handler, which answers the job.
import { deliverHeldStops, holdStops } from '../runner/early-stop.js'

holdStops()
const { run } = await import('./main.js')
await deliverHeldStops()
await run()
// A retry the SDK scheduled before a call gave up may keep a timer running; it must not hold the step open.
setTimeout(() => process.exit(), 1000).unref()
