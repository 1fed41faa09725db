/**
 * `npm run demo:bridge`: the bridge's whole loop on this machine, with no AWS
 * account. The CodePipeline emulator queues a job and emits its STARTED
 * event; EventBridge's part is played here, delivering the event to the
 * bridge's inline code from dist/bridge/template.yaml, running as Lambda runs
 * it, with moto as DynamoDB, Secrets Manager and EventBridge Scheduler. A
 * fake GitHub "runs" the dispatched workflow by running the bundled job and
 * reporting actions as a runner does.
 *
 * 1. A run that builds and reports: the job succeeds with output variables.
 * 2. A run that fails before its report step: GitHub's signed webhook
 *    delivery tells the bridge the run ended; it reads the run once, and
 *    fails the job with the run's URL at once.
 * 3. Credential-free mode: the run holds no AWS credentials. It calls the
 *    bridge's function URL with its OIDC token (from a fake issuer); the
 *    console links to the run from its first step, and the job succeeds
 *    with output variables.
 */
import { GetScheduleCommand } from '@aws-sdk/client-scheduler'
import type { EmulatedJob } from '../local/emulator/jobs.js'
import { BridgeWorld, TOKEN } from '../local/bridge-world.js'
import { resource, resolve } from '../local/bridge-stack.js'
import type { FakeRun } from '../local/fake-github-actions.js'
import { runStep } from '../local/runner.js'
import { credentialFreeEnvironment, endpointAudience, runClaims } from '../local/credential-free.js'
import { startFakeOidcIssuer } from '../local/fake-oidc-issuer.js'
import { FunctionUrl } from '../local/function-url.js'

// This driver may run on Node 20; the bridge and the actions run on Node 24.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
/** The demo's scheduler runs the sweep this often; EventBridge Scheduler's runs once a minute. */
const SWEEP_EVERY_MS = 2_000
/** The App's webhook secret, beside the token in the credentials secret. */
const WEBHOOK_SECRET = 'demo-webhook-secret-7c1e5a90b2d4'

const [world, issuer] = await Promise.all([BridgeWorld.start(), startFakeOidcIssuer()])
await world.fresh({
  secret: JSON.stringify({ token: TOKEN, webhookSecret: WEBHOOK_SECRET }),
  parameters: { OidcIssuer: issuer.url }
})
// The function URL runs the same function in a container of its own, as Lambda would for a concurrent call.
// GitHub sends it the workflow_run deliveries, and the runs of credential-free mode call it.
const endpoint = await FunctionUrl.start(await world.newContainer())
world.github.webhook = { url: new URL('v1/webhook', endpoint.url).href, secret: WEBHOOK_SECRET }
const started = performance.now()
const say = (actor: string, text: string, at = performance.now()): void => {
  process.stdout.write(`${((at - started) / 1000).toFixed(2).padStart(7)} s  ${actor.padEnd(12)} ${text}\n`)
}

/**
 * Something an actor is doing whose outcome is printed when it ends, such as an
 * invocation or a step. What it causes meanwhile (a dispatch, a pipeline event)
 * is printed as it happens, so the activity's own line, with the time it began,
 * is printed first, when its first effect comes: cause before effect.
 */
interface Activity {
  readonly actor: string
  readonly text: string
  readonly at: number
  shown: boolean
}
const activities = new Set<Activity>()
function begin(actor: string, text: string): Activity {
  const activity = { actor, text, at: performance.now(), shown: false }
  activities.add(activity)
  return activity
}
function end(activity: Activity, outcome?: string): void {
  activities.delete(activity)
  if (outcome !== undefined) say(activity.actor, outcome)
}
/** A line caused by whatever the given actors are doing now. */
function effect(causes: readonly string[], actor: string, text: string): void {
  for (const activity of activities) {
    if (activity.shown || !causes.includes(activity.actor)) continue
    activity.shown = true
    say(activity.actor, activity.text, activity.at)
  }
  say(actor, text)
}

// One container, one invocation at a time, as Lambda gives a warm container its events.
let invocations: Promise<unknown> = Promise.resolve()
function invoke(event: unknown, why: string): void {
  invocations = invocations.then(async () => {
    const activity = begin('bridge', `${why}: invoked`)
    const { result: summary, error } = await world.invoke(event)
    const did = [
      summary?.dispatched.length && `dispatched ${summary.dispatched.length} job(s)`,
      summary?.failed.map((failed) => `failed job ${failed.jobId.slice(0, 8)} with ${failed.type}`).join(', '),
      summary?.closed && `closed ${summary.closed} record(s)`
    ].filter(Boolean)
    if (error) end(activity, `${why}: error ${error.message}`)
    else if (did.length > 0 || why !== 'sweep' || activity.shown)
      end(activity, `${why}: ${did.join('; ') || 'nothing to do'}`)
    else end(activity)
  })
}

// EventBridge: the rule's pattern, from the template, decides which events reach the function.
const pattern = resolve(resource(world.stack.template, 'Events').Properties.EventPattern!, world.stack.values)
world.emulator.onEvent = (event) => {
  const detail = event.detail as { state: string; 'action-execution-id': string }
  if (!matches(pattern, event)) return
  // Delivered a moment later, as EventBridge does.
  queueMicrotask(() => {
    effect(
      ['bridge', 'runner'],
      'CodePipeline',
      `${detail.state} event for action execution ${detail['action-execution-id'].slice(0, 8)}`
    )
    invoke(event, `${detail.state} event`)
  })
}

// EventBridge Scheduler: the sweep, while its schedule is enabled and before its end date.
let stopping = false
const scheduler = setInterval(() => {
  void world.stack.scheduler.send(new GetScheduleCommand({ Name: world.stack.scheduleName })).then((schedule) => {
    if (!stopping && schedule.State === 'ENABLED' && (schedule.EndDate?.getTime() ?? 0) > Date.now())
      invoke({ bridge: 'sweep' }, 'sweep')
  })
}, SWEEP_EVERY_MS)

/** What the workflow does in each scenario. */
let scenario: 'reports' | 'fails before reporting' | 'credential-free' = 'reports'
world.github.onDispatch = (run) => {
  effect(['bridge'], 'GitHub', `workflow_dispatch of build.yml: run ${run.id} "${run.display_title}" queued`)
  // The run goes on after GitHub has answered the dispatch.
  setTimeout(() => void runWorkflow(run), 300)
}

async function runWorkflow(run: FakeRun): Promise<void> {
  if (scenario === 'credential-free') return runWithoutCredentials(run)
  const jobId = run.inputs['job-id'] ?? ''
  world.github.setRun(run, 'in_progress')
  say('runner', `run ${run.id} in progress`)
  const env = { GITHUB_RUN_ID: String(run.id), GITHUB_EVENT_NAME: 'workflow_dispatch' }
  const job = await runStep({ endpoint: world.emulator.url, action: 'job', inputs: { 'job-id': jobId }, env })
  say(
    'runner',
    `job action: pipeline ${job.outputs['pipeline-name']}, revision ${job.outputs['input-revision']?.slice(0, 12)}`
  )
  if (scenario === 'fails before reporting') {
    say('runner', `build step fails; the run ends before its report step`)
    world.github.setRun(run, 'completed', 'failure')
    await world.github.deliveriesSettled()
    const delivery = world.github.deliveries.findLast((sent) => sent.runId === run.id && sent.action === 'completed')
    say(
      'GitHub',
      `signed workflow_run "completed" delivery to the bridge's webhook: answered ${delivery?.status} in ${delivery?.ms?.toFixed(0)} ms`
    )
    return
  }
  say('runner', 'build step: image 1.4.2 pushed')
  const reporting = begin('runner', 'reporting action: sending the result')
  const report = await runStep({
    endpoint: world.emulator.url,
    inputs: {
      'job-id': jobId,
      revision: job.outputs['input-revision'] ?? '',
      'output-variables': JSON.stringify({ IMAGE_TAG: '1.4.2', RUN_ID: String(run.id) })
    },
    env
  })
  end(reporting, `reporting action: ${report.outputs.reported ?? `exit code ${report.code}`}`)
  world.github.setRun(run, 'completed', 'success')
  say('runner', `run ${run.id} completed: success`)
}

/** The run of scenario 3: no AWS credentials, only an OIDC token for the bridge's endpoint. */
async function runWithoutCredentials(run: FakeRun): Promise<void> {
  const jobId = run.inputs['job-id'] ?? ''
  world.github.setRun(run, 'in_progress')
  say('runner', `run ${run.id} in progress, with no AWS credentials`)
  issuer.runClaims = runClaims(run, endpointAudience(endpoint.url))
  const env = {
    GITHUB_RUN_ID: String(run.id),
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    ...credentialFreeEnvironment(issuer)
  }
  const inputs = { 'job-id': jobId, 'bridge-url': endpoint.url }
  const job = await runStep({ endpoint: 'http://127.0.0.1:9', action: 'job', inputs, env })
  say('runner', `job action, through the bridge: pipeline ${job.outputs['pipeline-name']}`)
  const held = world.emulator.jobs.get(jobId)?.result?.body.executionDetails as
    { externalExecutionId?: string } | undefined
  if (held?.externalExecutionId)
    say('CodePipeline', `the action links to https://github.com/acme/app/actions/runs/${held.externalExecutionId}`)
  say('runner', 'build step: image 1.5.0 pushed')
  const reporting = begin('runner', 'reporting action: sending the result to the bridge')
  const report = await runStep({
    endpoint: 'http://127.0.0.1:9',
    inputs: { ...inputs, 'output-variables': JSON.stringify({ IMAGE_TAG: '1.5.0' }) },
    env
  })
  end(
    reporting,
    `reporting action: ${report.outputs.reported ?? `exit code ${report.code}`}, confirmed ${report.outputs.confirmed}`
  )
  world.github.setRun(run, 'completed', 'success')
  say('runner', `run ${run.id} completed: success`)
}

/** The job that holds the action's result: the last one its continuations led to. */
function currentJob(first: EmulatedJob): EmulatedJob {
  const key = first.data.pipelineContext.action.actionExecutionId
  return (
    world.emulator.jobs
      .all()
      .filter((job) => job.data.pipelineContext.action.actionExecutionId === key)
      .at(-1) ?? first
  )
}

async function until(job: EmulatedJob): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!['Succeeded', 'Failed'].includes(job.state) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100))
  await new Promise((resolve) => setTimeout(resolve, 1_000))
}

const line = '─'.repeat(88)
try {
  process.stdout.write(
    `${line}\n1. The pipeline reaches the GitHubWorkflow action; the run builds and reports\n${line}\n`
  )
  const first = world.queueJob()
  say('CodePipeline', `job ${first.id.slice(0, 8)} queued for Owner=acme Repo=app Workflow=build.yml`)
  await until(first)
  process.stdout.write(
    `\nJob ${first.id}: ${first.state}, output variables ${JSON.stringify(first.result?.body.outputVariables)}\n\n`
  )

  scenario = 'fails before reporting'
  process.stdout.write(`${line}\n2. The run fails before its report step\n${line}\n`)
  const second = world.queueJob()
  say('CodePipeline', `job ${second.id.slice(0, 8)} queued`)
  await until(second)
  const failure = world.failure(second)
  process.stdout.write(`\nJob ${second.id}: ${second.state}, ${failure?.type}:\n  ${failure?.message}\n`)

  scenario = 'credential-free'
  process.stdout.write(
    `\n${line}\n3. Credential-free mode: the run answers through the bridge, with its OIDC token\n${line}\n`
  )
  const third = world.queueJob()
  say('CodePipeline', `job ${third.id.slice(0, 8)} queued`)
  await until(third)
  await new Promise((resolve) => setTimeout(resolve, SWEEP_EVERY_MS * 2))
  const final = currentJob(third)
  await until(final)
  process.stdout.write(
    `\nJob ${final.id} (continuing ${third.id.slice(0, 8)}): ${final.state}, output variables ${JSON.stringify(final.result?.body.outputVariables)}\n`
  )
  process.stdout.write(
    `\nThe sweep ran every ${SWEEP_EVERY_MS / 1000} s here, and runs every minute on AWS, only while work is open.\n`
  )
} finally {
  // A schedule read still on its way when the demo ends starts no sweep.
  stopping = true
  clearInterval(scheduler)
  await invocations
  await endpoint.close()
  await Promise.all([world.close(), issuer.close()])
}

/** An EventBridge pattern: every field listed must hold one of its values; nested objects match alike. */
function matches(wanted: unknown, event: unknown): boolean {
  if (Array.isArray(wanted)) return wanted.includes(event)
  if (typeof wanted !== 'object' || wanted === null) return false
  const given = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>
  return Object.entries(wanted).every(([name, inner]) => matches(inner, given[name]))
}
