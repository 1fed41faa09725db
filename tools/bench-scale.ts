/**
 * The bridge at scale: section 9 of `npm run bench` (alone: `npx tsx tools/bench-scale.ts`).
 *
 * The workload of a busy GitHub App installation: open jobs spread over 20
 * repositories of one installation with 5,000 calls an hour, runs of 5 to
 * 90 minutes, a new job for every run that ends, and one run in ten ending
 * without reporting. The template's code runs in Lambda-like containers on
 * a simulated clock, against the emulator, moto and the fake GitHub, which
 * ties ETags to tokens, answers 304s for free, and runs its rate limits
 * down as GitHub does. Each size is measured over 30 simulated minutes once
 * every job has started, and printed per hour:
 *
 * - the calls that watch runs, per open job, with webhook deliveries and
 *   without; the App's own calls, dispatches and cancels apart;
 * - how long a run that ended without reporting waits for its job's failure;
 * - the same workload for the bridge as it was before lists and deliveries
 *   (each run read by itself), from git, when git has it;
 * - the calls of the hour after the last job ends.
 *
 * BENCH_SCALE_SIZES=10,100 measures fewer sizes.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { BridgeWorld, RUN_NAME } from '../local/bridge-world.js'
import type { EmulatedJob } from '../local/emulator/jobs.js'
import type { FakeRun } from '../local/fake-github-actions.js'
import { FunctionUrl } from '../local/function-url.js'
import { LambdaContainer } from '../local/lambda.js'
import { median } from './bench-bridge.js'

const MINUTE = 60_000
const REPOSITORIES = 20
const MEASURED_MINUTES = Number(process.env.BENCH_SCALE_MINUTES ?? 30)
const UNREPORTED_SHARE = 0.1
const SIZES = (process.env.BENCH_SCALE_SIZES ?? '10,100,1000').split(',').map(Number)
/** The last commit whose bridge read each open run by itself, every minute while young. */
const BEFORE_COMMIT = '2c02f72'
const WEBHOOK_SECRET = 'bench-webhook-secret-5d1c0a7e9b3f'
const TARGETS = { pushed: 0.5, unpushed: 2.5 }
/** BENCH_SCALE_ONLY=deliveries or lists measures one of the two, to run them side by side. */
const ONLY = process.env.BENCH_SCALE_ONLY
/** The figures of a scenario left out. */
const EMPTY: Figures = {
  openJobs: Number.NaN,
  watching: Number.NaN,
  notModified: Number.NaN,
  app: Number.NaN,
  dispatches: Number.NaN,
  cancels: Number.NaN,
  otherReads: Number.NaN,
  refused: Number.NaN,
  failedAfterMs: [],
  deliveryMs: [],
  jobsFailed: 0
}
/** The bridge before is measured up to this many open jobs: it asks for the same per job at any size. */
const BEFORE_UP_TO = 100

/** One scenario's figures, per hour of the measured window. */
interface Figures {
  readonly openJobs: number
  readonly watching: number
  readonly notModified: number
  readonly app: number
  readonly dispatches: number
  readonly cancels: number
  readonly otherReads: number
  readonly refused: number
  /** Simulated ms from a run's end without a report to its job's failure. */
  readonly failedAfterMs: number[]
  /** Real ms for a delivery of such a run's end to be answered, the job failed by then. */
  readonly deliveryMs: number[]
  readonly jobsFailed: number
}

interface Plan {
  readonly job: EmulatedJob
  readonly lengthMs: number
  readonly reports: boolean
  run?: FakeRun
  endsAt?: number
  endedAt?: number
}

/** A small deterministic generator, so that every scenario meets the same runs. */
function seeded(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state / 2 ** 31
  }
}

/** The bridge's bundle at BEFORE_COMMIT, when git has it. */
function bundleBefore(): string | undefined {
  try {
    const root = fileURLToPath(new URL('..', import.meta.url))
    return execFileSync('git', ['show', `${BEFORE_COMMIT}:dist/bridge/index.js`], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 16 * 1024 * 1024
    })
  } catch {
    return undefined
  }
}

async function scenario(
  world: BridgeWorld,
  openJobs: number,
  options: { push: boolean; code?: string }
): Promise<Figures> {
  const { appId, privateKey } = world.github.createApp(
    Object.fromEntries(Array.from({ length: REPOSITORIES }, (_, at) => [`acme/svc-${at}`, 77]))
  )
  await world.fresh({
    secret: JSON.stringify({ appId, privateKey, ...(options.push && { webhookSecret: WEBHOOK_SECRET }) }),
    // The first jobs all arrive at once, and start 35 a minute: none of them is to time out meanwhile.
    parameters: { AllowedRepos: 'acme/*', QueueTimeoutMinutes: '180' },
    environment: { LOG_LEVEL: 'warn' }
  })
  const github = world.github
  github.rateLimit = 5_000
  // Whether a dispatch counts against GitHub's 500 created an hour is for a real account to say; a thousand
  // open jobs start more runs than that, so the hour's count is left out here. The bridge before paced
  // nothing, and the minute's is left out for it too, so that it reaches the workload at all.
  github.secondaryLimits = {
    concurrent: 100,
    contentPerMinute: options.code === undefined ? 80 : Infinity,
    contentPerHour: Infinity
  }
  const container =
    options.code === undefined
      ? world.container
      : await LambdaContainer.start(world.stack.environment, options.code, world.clock)
  const endpoint = options.push ? await FunctionUrl.start(await world.newContainer()) : undefined
  if (endpoint) github.webhook = { url: new URL('v1/webhook', endpoint.url).href, secret: WEBHOOK_SECRET }
  const random = seeded(openJobs)
  const plans = new Map<string, Plan>()
  let turn = 0
  const queue = (remainingOnly: boolean): EmulatedJob => {
    const job = world.queueJob({ Repo: `svc-${turn++ % Math.min(REPOSITORIES, openJobs)}` })
    const lengthMs = (5 + random() * 85) * MINUTE
    // The first jobs are taken part-way through their runs, so that the run ages are spread from the start.
    plans.set(job.id, {
      job,
      lengthMs: remainingOnly ? random() * lengthMs : lengthMs,
      reports: random() >= UNREPORTED_SHARE
    })
    return job
  }
  github.onDispatch = (run) => {
    const plan = plans.get(run.inputs['job-id'] ?? '')
    if (plan) Object.assign(plan, { run, endsAt: world.clock.now() + plan.lengthMs })
  }

  const first = Array.from({ length: openJobs }, () => queue(true))
  await world.invoke(world.event(first[0]!), container)
  let measuringFrom: number | undefined
  let requestsFrom = 0
  let deliveriesFrom = 0
  const failedAfterMs: number[] = []
  const openCounts: number[] = []
  for (let minute = 0; minute < 400; minute++) {
    const stepEnd = world.clock.now() + MINUTE
    const ending = [...plans.values()]
      .filter((plan) => plan.endsAt !== undefined && plan.endedAt === undefined && plan.endsAt <= stepEnd)
      .sort((a, b) => a.endsAt! - b.endsAt!)
    for (const plan of ending) {
      world.clock.advance(Math.max(0, plan.endsAt! - world.clock.now()))
      plan.endedAt = world.clock.now()
      if (plan.reports) {
        world.emulator.finish({ jobId: plan.job.id }, 'PutJobSuccessResult', 'Succeeded')
        await world.invoke(world.event(plan.job, 'SUCCEEDED'), container)
      }
      github.setRun(plan.run!, 'completed', plan.reports ? 'success' : 'failure')
      await github.deliveriesSettled()
      if (!plan.reports && world.failure(plan.job) && measuringFrom !== undefined) failedAfterMs.push(0)
      await world.invoke(world.event(queue(false)), container)
    }
    world.clock.advance(Math.max(0, stepEnd - world.clock.now()))
    for (const plan of plans.values())
      if (plan.run?.status === 'queued' && plan.endedAt === undefined) github.setRun(plan.run, 'in_progress')
    await github.deliveriesSettled()
    const failedBefore = new Set([...plans.values()].filter((plan) => world.failure(plan.job)).map((plan) => plan))
    await world.sweep(container)
    for (const plan of plans.values())
      if (
        !failedBefore.has(plan) &&
        world.failure(plan.job) &&
        plan.endedAt !== undefined &&
        measuringFrom !== undefined
      )
        failedAfterMs.push(world.clock.now() - plan.endedAt)
    const started = [...plans.values()].filter((plan) => plan.run !== undefined)
    if (measuringFrom === undefined) {
      // Measured once every job of the first batch has its run.
      if (process.env.BENCH_SCALE_PROGRESS && minute % 5 === 0)
        process.stderr.write(`   (warming up: minute ${minute}, ${started.length} started)\n`)
      if (first.every((job) => plans.get(job.id)?.run !== undefined || world.failure(job))) {
        measuringFrom = world.clock.now()
        requestsFrom = github.requests.length
        deliveriesFrom = github.deliveries.length
      }
      continue
    }
    openCounts.push(started.filter((plan) => plan.endedAt === undefined).length)
    if (process.env.BENCH_SCALE_PROGRESS && openCounts.length % 5 === 0)
      process.stderr.write(`   (${openCounts.length} minutes measured, ${openCounts.at(-1)} open)\n`)
    if (world.clock.now() - measuringFrom >= MEASURED_MINUTES * MINUTE) break
  }
  const requests = github.requests.slice(requestsFrom)
  const hours = MEASURED_MINUTES / 60
  const count = (test: (path: string, method: string) => boolean, status?: (status: unknown) => boolean) =>
    requests.filter(
      (request) => test(request.path, request.method) && (status ?? ((given) => given !== 304))(request.status)
    ).length / hours
  const isApp = (path: string) => /\/installation$|\/access_tokens$/.test(path)
  const isWatching = (path: string, method: string) => method === 'GET' && /\/actions\/runs(\/\d+)?$/.test(path)
  const deliveryMs = github.deliveries
    .slice(deliveriesFrom)
    .filter((delivery) => delivery.action === 'completed' && typeof delivery.ms === 'number')
    .filter((delivery) => {
      const plan = [...plans.values()].find((candidate) => candidate.run?.id === delivery.runId)
      return plan !== undefined && !plan.reports
    })
    .map((delivery) => delivery.ms!)
  const figures: Figures = {
    openJobs: openCounts.reduce((total, open) => total + open, 0) / Math.max(1, openCounts.length),
    watching: count(isWatching),
    notModified: count(isWatching, (status) => status === 304),
    app: count(isApp),
    dispatches: count((path, method) => method === 'POST' && path.endsWith('/dispatches')),
    cancels: count((path, method) => method === 'POST' && path.endsWith('/cancel')),
    otherReads: count((path, method) => method === 'GET' && !isWatching(path, method) && !isApp(path)),
    refused: requests.filter((request) => request.status === 403).length / hours,
    failedAfterMs,
    deliveryMs,
    jobsFailed: [...plans.values()].filter((plan) => plan.reports && world.failure(plan.job)).length
  }
  github.webhook = undefined
  github.onDispatch = undefined
  await endpoint?.close()
  if (container !== world.container) await container.close()
  return figures
}

/** After the last job: the sweep's lease runs out, and nothing calls GitHub. */
async function idleHour(world: BridgeWorld): Promise<{ github: number; sweeps: number }> {
  for (const run of world.github.runs) if (run.status !== 'completed') world.github.setRun(run, 'completed', 'success')
  for (const job of world.emulator.jobs.all())
    if (!['Succeeded', 'Failed', 'TimedOut'].includes(job.state)) {
      world.emulator.finish({ jobId: job.id }, 'PutJobSuccessResult', 'Succeeded')
      await world.invoke(world.event(job, 'SUCCEEDED'))
    }
  const from = world.github.requests.length
  let sweeps = 0
  for (let minute = 0; minute < 60; minute++) {
    world.clock.advance(MINUTE)
    const schedule = await world.stack.schedule()
    // The schedule invokes the sweep only while it is enabled and its lease has not ended.
    if (schedule.state !== 'ENABLED' || (schedule.endDate?.getTime() ?? 0) <= world.clock.now()) continue
    sweeps += 1
    await world.sweep()
  }
  return { github: world.github.requests.length - from, sweeps }
}

/** A delivery to a container that has just started: what a cold function adds. */
async function freshDelivery(world: BridgeWorld): Promise<number> {
  const { appId, privateKey } = world.github.createApp({ 'acme/svc-0': 77 })
  await world.fresh({
    secret: JSON.stringify({ appId, privateKey, webhookSecret: WEBHOOK_SECRET }),
    parameters: { AllowedRepos: 'acme/*' },
    environment: { LOG_LEVEL: 'warn' }
  })
  const job = world.queueJob({ Repo: 'svc-0' })
  await world.invoke(world.event(job))
  const run = world.github.runs.find((candidate) => candidate.inputs['job-id'] === job.id)!
  world.github.setRun(run, 'completed', 'failure')
  const endpoint = await FunctionUrl.start(await world.newContainer())
  const answer = await world.github.deliver(world.github.workflowRunPayload(run, 'completed'), {
    url: new URL('v1/webhook', endpoint.url).href,
    secret: WEBHOOK_SECRET
  })
  await endpoint.close()
  if (!world.failure(job)) throw new Error(`the fresh container did not fail the job: ${answer.status} ${answer.body}`)
  return answer.ms
}

export async function benchScale(): Promise<void> {
  const line = (text: string): boolean => process.stdout.write(`${text}\n`)
  // CodePipeline hands an unacknowledged job out again after a while it does not document; a job waiting
  // its turn to be started is the bridge's either way, so the emulator waits long before handing it out again.
  const world = await BridgeWorld.start({ simulatedTime: true, dispatchTimeoutMs: 15 * MINUTE })
  const jobId = { 'job-id': { required: true } }
  for (let at = 0; at < REPOSITORIES; at++)
    world.github.addRepo(`acme/svc-${at}`, { workflows: [{ file: 'build.yml', inputs: jobId, runName: RUN_NAME }] })
  const before = bundleBefore()
  const rows: { size: number; pushed: Figures; unpushed: Figures; before?: Figures }[] = []
  const progress = (text: string): boolean => process.stderr.write(`   (${text})\n`)
  for (const size of SIZES) {
    progress(`${size} open jobs, with deliveries`)
    const pushed = ONLY === 'lists' ? EMPTY : await scenario(world, size, { push: true })
    progress(`${size} open jobs, without`)
    const unpushed = ONLY === 'deliveries' ? EMPTY : await scenario(world, size, { push: false })
    // Each run read by itself costs the same per job at any size; past 100 jobs it only runs into the limit.
    const measureBefore = before !== undefined && size <= BEFORE_UP_TO
    if (measureBefore) progress(`${size} open jobs, the bridge before`)
    const earlier = measureBefore ? await scenario(world, size, { push: false, code: before }) : undefined
    rows.push({ size, pushed, unpushed, before: earlier })
  }
  await scenario(world, 10, { push: true })
  const idle = await idleHour(world)
  const coldMs = await freshDelivery(world)
  await world.close()

  const perJob = (figures: Figures) => (figures.watching / figures.openJobs).toFixed(2)
  const cells = (value: (row: (typeof rows)[number]) => string) => rows.map((row) => value(row).padStart(10)).join('')
  const seconds = (values: number[]) => (values.length === 0 ? '-' : `${(Math.max(...values) / 1000).toFixed(0)} s`)
  line(
    `\n9. The bridge at scale: one App installation (5,000 calls an hour), ${REPOSITORIES} repositories, runs of 5 to 90 minutes, a new job as each ends, one run in ten ending without reporting; ${MEASURED_MINUTES} simulated minutes once every job has started, per hour`
  )
  line(`   open jobs (average)                              ${cells((row) => row.pushed.openJobs.toFixed(0))}`)
  line(
    `   watching calls a job an hour, with deliveries    ${cells((row) => perJob(row.pushed))}   target at 1,000: at most ${TARGETS.pushed}`
  )
  line(
    `   watching calls a job an hour, without            ${cells((row) => perJob(row.unpushed))}   target at 1,000: at most ${TARGETS.unpushed}`
  )
  if (before !== undefined) {
    const measured = rows.filter((row) => row.before)
    const perJobBefore = measured.at(-1)?.before
    line(
      `   before (${BEFORE_COMMIT}: each run read by itself)   ${cells((row) => (row.before ? perJob(row.before) : '-'))}   asked; beyond ${BEFORE_UP_TO} jobs the same per job`
    )
    if (perJobBefore)
      line(
        `     at 1,000 open jobs that is ${((perJobBefore.watching / perJobBefore.openJobs) * 1000).toFixed(0)} calls an hour against the 5,000 the installation has`
      )
  } else line(`   before: git has no ${BEFORE_COMMIT} here, so the earlier bridge was not measured`)
  line(
    `   free 304s an hour, with deliveries / without     ${cells((row) => `${row.pushed.notModified.toFixed(0)}/${row.unpushed.notModified.toFixed(0)}`)}`
  )
  line(
    `   the App's own calls an hour (with / without)     ${cells((row) => `${row.pushed.app.toFixed(0)}/${row.unpushed.app.toFixed(0)}`)}`
  )
  line(`   dispatches an hour                               ${cells((row) => row.pushed.dispatches.toFixed(0))}`)
  line(`   cancels an hour                                  ${cells((row) => row.pushed.cancels.toFixed(0))}`)
  line(`   other reads an hour (default branches)           ${cells((row) => row.pushed.otherReads.toFixed(0))}`)
  line(
    `   an unreported end to its job's failure, with deliveries: delivery answered in ${cells((row) => (row.pushed.deliveryMs.length ? `${median(row.pushed.deliveryMs).toFixed(0)} ms` : '-'))} (median; max ${Math.max(...rows.flatMap((row) => row.pushed.deliveryMs)).toFixed(0)} ms; target 5 s), ${coldMs.toFixed(0)} ms to a container that has just started`
  )
  line(
    `   an unreported end to its job's failure, without deliveries, at most: ${cells((row) => seconds(row.unpushed.failedAfterMs))} (target 2 minutes)`
  )
  line(
    `   jobs whose runs reported yet failed: ${rows.map((row) => row.pushed.jobsFailed + row.unpushed.jobsFailed).join(', ')} (goal 0)`
  )
  line(
    `   the idle hour after the last job: ${idle.github} GitHub calls, ${idle.sweeps} sweeps before the lease ran out (target 0 calls)`
  )
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  await benchScale()
}
