/**
 * The bridge's part of `npm run bench` (also on its own: `npx tsx tools/bench-bridge.ts`).
 * The handler runs from the template's inline code in Lambda-like containers on
 * Node 24, against the emulator, moto and the fake GitHub on loopback. A
 * preloaded probe times every HTTP round trip the handler makes, so that
 * its own work shows apart from the APIs it waits for.
 *
 * 1. From a STARTED event to the dispatch request reaching GitHub: in a cold
 *    container (process start included, against a bare `node` start) and a warm one.
 * 2. 35 jobs queued at once, a minute's worth of dispatches: one invocation dispatches them all; the time a
 *    job against a lone warm event-to-dispatch.
 * 3. API calls per idle hour.
 * 4. The template's size, against CloudFormation's limit.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { BRIDGE_BUNDLE_PATH, BRIDGE_TEMPLATE_PATH } from '../local/bridge-stack.js'
import { BridgeWorld } from '../local/bridge-world.js'
import { LambdaContainer } from '../local/lambda.js'
import { DISPATCHES_PER_MINUTE } from '../src/bridge/record.js'
import { LEASE_MS } from '../src/bridge/sweep-schedule.js'

/** Preloaded into the container: writes `#rt <start> <end> <service call>` for every HTTP exchange. */
const PROBE = `
const http = require('node:http')
const now = () => performance.timeOrigin + performance.now()
const emit = (start, what) => process.stderr.write('#rt ' + start + ' ' + now() + ' ' + what + '\\n')
const request = http.request
http.request = function (...args) {
  const start = now()
  const sent = request.apply(this, args)
  const options = args.find((arg) => arg && typeof arg === 'object' && !(arg instanceof URL)) || {}
  const url = args.find((arg) => arg instanceof URL)
  const headers = options.headers || {}
  const path = url ? url.pathname : String(options.path).split('?')[0]
  const api = headers['x-github-api-version'] ? 'GitHub ' : ''
  const what = headers['x-amz-target'] || headers['X-Amz-Target'] || api + (options.method || 'GET') + ' ' + path
  sent.on('response', (response) => response.on('end', () => emit(start, what)))
  return sent
}
`

interface RoundTrip {
  readonly start: number
  readonly end: number
  readonly what: string
}

/** The jobs of section 5: as many as the bridge starts in a minute. */
const BATCH = DISPATCHES_PER_MINUTE

const clock = (): number => performance.timeOrigin + performance.now()
export const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN
const ms = (value: number): string => `${value.toFixed(1)} ms`

function roundTrips(output: string): RoundTrip[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('#rt '))
    .map((line) => {
      const [, start = '0', end = '0', ...what] = line.split(' ')
      return { start: Number(start), end: Number(end), what: what.join(' ') }
    })
}

/** Which API a round trip went to. */
function service(what: string): string {
  if (what.startsWith('CodePipeline_')) return 'CodePipeline'
  if (what.startsWith('DynamoDB_')) return 'DynamoDB'
  if (what.startsWith('secretsmanager.')) return 'Secrets Manager'
  if (what.startsWith('GitHub ')) return 'GitHub'
  if (what.includes('/schedules/')) return 'Scheduler'
  return what
}

export async function benchBridge(rounds = Number(process.env.BENCH_ROUNDS ?? 25)): Promise<void> {
  const line = (text: string): boolean => process.stdout.write(`${text}\n`)
  const world = await BridgeWorld.start()
  await world.fresh()
  const dir = mkdtempSync(join(tmpdir(), 'bench-bridge-'))
  const probe = join(dir, 'probe.cjs')
  writeFileSync(probe, PROBE)
  const environment = {
    ...world.stack.environment,
    NODE_OPTIONS: `--require ${probe}`,
    NODE_PATH: fileURLToPath(new URL('../node_modules', import.meta.url))
  }
  let dispatchedAt = 0
  world.github.onRequest = (request) => {
    if (request.method === 'POST' && request.path.endsWith('/dispatches')) dispatchedAt = clock()
  }

  /** One STARTED event; the time to the dispatch request, and the round trips before it. */
  async function eventToDispatch(container: LambdaContainer, from: number) {
    const invocation = await world.invoke(world.event(world.queueJob()), container)
    if (invocation.result?.dispatched.length !== 1) throw new Error(`no dispatch:\n${invocation.output}`)
    const before = roundTrips(invocation.output).filter((trip) => trip.end <= dispatchedAt)
    const apiMs = before.reduce((total, trip) => total + trip.end - trip.start, 0)
    return { totalMs: dispatchedAt - from, apiMs, trips: before.length }
  }

  /** The same container, whose handler only loads the four SDK clients, as the Lambda runtime must too. */
  const sdkOnly = `for (const name of ['dynamodb', 'scheduler', 'secrets-manager', 'codepipeline']) require('@aws-sdk/client-' + name)
exports.handler = async () => ({})`
  const bareStart = async (): Promise<number> => {
    const started = clock()
    const container = await LambdaContainer.start(environment, sdkOnly)
    const loadMs = clock() - started
    await container.close()
    return loadMs
  }

  // 1. Cold and warm.
  const cold: { totalMs: number; apiMs: number; loadMs: number; trips: number }[] = []
  const warm: { totalMs: number; apiMs: number; trips: number }[] = []
  const bare: number[] = []
  await bareStart()
  for (let round = 0; round < rounds; round++) {
    bare.push(await bareStart())
    const started = clock()
    world.clock.advance(60_000)
    const container = await LambdaContainer.start(environment, undefined, world.clock)
    const loadMs = clock() - started
    cold.push({ ...(await eventToDispatch(container, started)), loadMs })
    const again = clock()
    warm.push(await eventToDispatch(container, again))
    await container.close()
  }
  const bareMs = median(bare)
  const coldTotal = median(cold.map((run) => run.totalMs))
  const coldLoad = median(cold.map((run) => run.loadMs))
  const coldApi = median(cold.map((run) => run.apiMs))
  const coldOwn = median(cold.map((run) => run.totalMs - run.loadMs - run.apiMs))
  const warmTotal = median(warm.map((run) => run.totalMs))
  const warmApi = median(warm.map((run) => run.apiMs))
  const warmOwn = median(warm.map((run) => run.totalMs - run.apiMs))
  line(`\n4. The bridge: from a STARTED event to the dispatch request reaching GitHub, ${rounds} rounds, medians`)
  line(`   cold container: ${ms(coldTotal)}`)
  line(
    `     process start and loading the handler: ${ms(coldLoad)}  ${(coldLoad / bareMs).toFixed(2)}x a container whose handler only loads the four SDK clients (${ms(bareMs)})`
  )
  line(`     ${cold[0]?.trips ?? '?'} API round trips (state, schedule, queue, secret, GitHub): ${ms(coldApi)}`)
  line(`     the handler's own work beyond them: ${ms(coldOwn)}`)
  line(`   warm container: ${ms(warmTotal)}`)
  line(`     ${warm[0]?.trips ?? '?'} API round trips: ${ms(warmApi)}`)
  line(
    `     the handler's own work beyond them: ${ms(warmOwn)}  ${(warmTotal / warmApi).toFixed(2)}x the round trips alone`
  )

  // 2. A minute's worth of jobs at once, against one after the other. The bridge starts at most 35 runs a minute: the
  // containers' clock moves on a minute between rounds, and before the batch.
  const container = await LambdaContainer.start(environment, undefined, world.clock)
  await eventToDispatch(container, clock())
  const single: number[] = []
  for (let round = 0; round < Math.min(rounds, 10); round++)
    single.push((await eventToDispatch(container, clock())).totalMs)
  world.clock.advance(60_000)
  const jobs = Array.from({ length: BATCH }, () => world.queueJob())
  const startedAll = clock()
  const all = await world.invoke(world.event(jobs[0]!), container)
  const allMs = clock() - startedAll
  if (all.result?.dispatched.length !== BATCH)
    throw new Error(`dispatched ${all.result?.dispatched.length}, not ${BATCH}`)
  const singleMs = median(single)
  line(
    `\n5. The bridge: ${BATCH} jobs queued at once, a minute's worth, one invocation polling 10 at a time and dispatching each batch together`
  )
  line(
    `   all ${BATCH} dispatched in ${ms(allMs)}: ${ms(allMs / BATCH)} a job, ${(allMs / BATCH / singleMs).toFixed(2)}x a lone warm event-to-dispatch (${ms(singleMs)})`
  )
  line('   (the loopback stand-ins, moto above all, serve concurrent calls little faster than one by one)')

  // 3. Idle: every job closed; what a sweep costs, and how long sweeps go on.
  for (const run of world.github.runs) world.github.setRun(run, 'completed', 'success')
  for (const job of world.emulator.jobs.all())
    if (job.state === 'InProgress') world.emulator.finish({ jobId: job.id }, 'PutJobSuccessResult', 'Succeeded')
  for (const event of world.emulator.events.filter(
    (event) => (event.detail as { state: string }).state === 'SUCCEEDED'
  ))
    await world.invoke(event, container)
  const drain = await world.sweep(container)
  if (drain.result?.open !== 0) throw new Error(`${drain.result?.open} records still open`)
  const idle = await world.sweep(container)
  const calls = new Map<string, number>()
  for (const trip of roundTrips(idle.output)) calls.set(service(trip.what), (calls.get(service(trip.what)) ?? 0) + 1)
  const sweepsLeft = LEASE_MS / 60_000
  line('\n6. The bridge while idle')
  line(
    `   one sweep with nothing open: ${[...calls].map(([name, count]) => `${count} ${name}`).join(', ') || 'no calls'}; CodePipeline ${calls.get('CodePipeline') ?? 0}, GitHub ${calls.get('GitHub') ?? 0}`
  )
  line(
    `   sweeps run only under a lease of ${sweepsLeft} minutes from the last open work, then the schedule ends by itself:`
  )
  line(
    `   per idle hour: 0 CodePipeline and 0 GitHub calls; ${sweepsLeft * (calls.get('DynamoDB') ?? 0)} DynamoDB reads in the first idle hour at most, none after (goal 0)`
  )

  const template = statSync(BRIDGE_TEMPLATE_PATH).size
  line('\n7. The bridge template')
  line(
    `   dist/bridge/index.js ${(statSync(BRIDGE_BUNDLE_PATH).size / 1024).toFixed(0)} KiB, inline in dist/bridge/template.yaml brotli-compressed: ${template} bytes, ${((template / 51_200) * 100).toFixed(0)}% of CloudFormation's 51,200-byte TemplateBody limit`
  )

  await container.close()
  await world.close()
  rmSync(dir, { recursive: true, force: true })
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  await benchBridge()
}
