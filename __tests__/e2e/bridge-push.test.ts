import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BridgeWorld, TOKEN } from '../../local/bridge-world.js'
import type { EmulatedJob } from '../../local/emulator/jobs.js'
import type { FakeRun } from '../../local/fake-github-actions.js'
import { FunctionUrl } from '../../local/function-url.js'

// GitHub's webhook deliveries and the sweep's run lists, end to end: the template's code in Lambda-like
// containers, deliveries signed by the fake GitHub to a function URL, and sweeps on a simulated clock.
const SECRET = 'whsec-0f1e2d3c4b5a69788796a5b4c3d2e1f0'
const PREVIOUS = 'whsec-previous-6a5b4c3d2e1f00f1e2d3c4b5'
const MINUTE = 60_000
let world: BridgeWorld
let endpoint: FunctionUrl

beforeAll(async () => {
  world = await BridgeWorld.start({ simulatedTime: true })
})
afterAll(async () => {
  await world.close()
})
beforeEach(async () => {
  await world.fresh({ secret: JSON.stringify({ token: TOKEN, webhookSecret: SECRET }) })
  // Deliveries come to a container of their own, as Lambda runs concurrent invocations.
  endpoint = await FunctionUrl.start(await world.newContainer())
  world.github.webhook = { url: webhookUrl(), secret: SECRET }
})
afterEach(async () => {
  await world.github.deliveriesSettled()
  await endpoint.close()
})

function webhookUrl(): string {
  return new URL('v1/webhook', endpoint.url).href
}

/** A queued job the bridge has dispatched, its run started on a runner. */
async function running(configuration: Record<string, string> = {}): Promise<{ job: EmulatedJob; run: FakeRun }> {
  const job = world.queueJob(configuration)
  await world.invoke(world.event(job))
  const run = world.github.runs.find((candidate) => candidate.inputs['job-id'] === job.id)
  if (run === undefined) throw new Error('the bridge started no run')
  world.github.setRun(run, 'in_progress')
  return { job, run }
}

/** GitHub's reads of one run, by the bridge. */
function runReads(run: FakeRun): number {
  return world.github.requestsTo('GET', new RegExp(`/actions/runs/${run.id}$`)).length
}

/** The sweep's list requests, and how many of them GitHub answered 304. */
function lists(): { asked: number; unchanged: number } {
  const asked = world.github.requestsTo('GET', /\/repos\/[^/]+\/[^/]+\/actions\/runs$/)
  return { asked: asked.length, unchanged: asked.filter((request) => request.status === 304).length }
}

/** A sweep a minute after the last. */
async function sweepAfter(ms = MINUTE) {
  world.clock.advance(ms)
  return world.sweep()
}

describe('a webhook delivery', () => {
  it('gets the job of a run that ended without reporting failed at once, with one read of the run', async () => {
    const { job, run } = await running()
    await world.github.deliveriesSettled()
    const before = runReads(run)
    world.github.setRun(run, 'completed', 'failure')
    await world.github.deliveriesSettled()
    const delivery = world.github.deliveries.at(-1)
    expect(delivery).toMatchObject({ action: 'completed', runId: run.id, status: 202 })
    expect(world.failure(job)).toMatchObject({ type: 'JobFailed', externalExecutionId: String(run.id) })
    expect(world.failure(job)?.message).toMatch(/failure/)
    expect(runReads(run) - before).toBe(1)
    // The requested and in_progress deliveries were dropped before any read.
    expect(world.github.deliveries.map((sent) => [sent.action, sent.status])).toEqual([
      ['requested', 202],
      ['in_progress', 202],
      ['completed', 202]
    ])
    expect(endpoint.log).toMatch(/A delivery says the run ended: reading it/)
  })

  it('costs no GitHub call for a run that reported itself', async () => {
    const { job, run } = await running()
    world.emulator.finish({ jobId: job.id }, 'PutJobSuccessResult', 'Succeeded')
    await world.invoke(world.event(job, 'SUCCEEDED'))
    await world.github.deliveriesSettled()
    const before = world.github.requests.length
    world.github.setRun(run, 'completed', 'success')
    await world.github.deliveriesSettled()
    expect(world.github.deliveries.at(-1)?.status).toBe(202)
    expect(world.github.requests.length).toBe(before)
    expect(job.result?.operation).toBe('PutJobSuccessResult')
  })

  it('is refused, with no other effect, unsigned, forged, or signed with another secret', async () => {
    const { job, run } = await running()
    await world.github.deliveriesSettled()
    const payload = world.github.workflowRunPayload({ ...run, status: 'completed', conclusion: 'failure' }, 'completed')
    const before = world.github.requests.length
    const forged = [
      await world.github.deliver(payload, { url: webhookUrl(), signature: '' }),
      await world.github.deliver(payload, { url: webhookUrl(), signature: `sha256=${'0'.repeat(64)}` }),
      await world.github.deliver(payload, { url: webhookUrl(), secret: 'not-the-secret' })
    ]
    expect(forged.map((answer) => answer.status)).toEqual([401, 401, 401])
    expect(world.github.requests.length).toBe(before)
    expect(job.result).toBeUndefined()
    expect(endpoint.log).toMatch(/Refused a webhook delivery whose signature none of the webhook secrets made/)
    expect(endpoint.log).not.toContain(SECRET)
  })

  it('is refused, saying why in the log, when signed but not JSON, as a webhook sending form data would', async () => {
    const answer = await world.github.deliver('payload=%7B%22action%22%3A%22completed%22%7D', { url: webhookUrl() })
    expect(answer.status).toBe(400)
    expect(endpoint.log).toMatch(/set the webhook's content type to application\/json/)
  })

  it('is refused before anything is read when it is not a POST, or larger than any delivery', async () => {
    const get = await fetch(webhookUrl())
    expect(get.status).toBe(401)
    const huge = await world.github.deliver({ padding: 'x'.repeat(1024 * 1024) }, { url: webhookUrl() })
    expect(huge.status).toBe(413)
  })

  it('is a hint: a completed delivery for a run GitHub says is still going changes nothing', async () => {
    const { job, run } = await running()
    await world.github.deliveriesSettled()
    const early = world.github.workflowRunPayload({ ...run, status: 'completed', conclusion: 'failure' }, 'completed')
    const answer = await world.github.deliver(early, { url: webhookUrl() })
    expect(answer.status).toBe(202)
    expect(job.result).toBeUndefined()
    expect((await world.record(job))?.phase).toBe('running')
  })

  it('is harmless replayed, repeated or late: the run is read, and the job failed once', async () => {
    const { job, run } = await running()
    world.github.setRun(run, 'completed', 'failure')
    await world.github.deliveriesSettled()
    const completed = world.github.deliveries.find((sent) => sent.action === 'completed')
    expect(world.failure(job)).toBeDefined()
    const reads = runReads(run)
    const again = await world.github.deliver(completed!.body, { url: webhookUrl(), deliveryId: completed!.deliveryId })
    const late = await world.github.deliver(world.github.workflowRunPayload(run, 'in_progress'), { url: webhookUrl() })
    expect([again.status, late.status]).toEqual([202, 202])
    expect(runReads(run)).toBe(reads)
    expect(world.emulator.operations().filter((operation) => operation === 'PutJobFailureResult')).toHaveLength(1)
  })

  it('is dropped before any read for a repository outside AllowedRepos, another event, or a run not dispatched', async () => {
    const { run } = await running()
    await world.github.deliveriesSettled()
    const ended = { ...run, status: 'completed' as const, conclusion: 'failure' }
    const outside = world.github.workflowRunPayload({ ...ended, repository: 'acme/private' }, 'completed')
    const pushed = world.github.workflowRunPayload(ended, 'completed')
    ;(pushed.workflow_run as Record<string, unknown>).event = 'push'
    const before = world.github.requests.length
    const answers = [
      await world.github.deliver(outside, { url: webhookUrl() }),
      await world.github.deliver(pushed, { url: webhookUrl() }),
      await world.github.deliver({ zen: 'Design for failure.' }, { url: webhookUrl(), event: 'ping' })
    ]
    expect(answers.map((answer) => [answer.status, JSON.parse(answer.body) as unknown])).toEqual([
      [202, { ignored: 'a repository outside AllowedRepos' }],
      [202, { ignored: 'not a dispatched run' }],
      [202, { ignored: 'not a workflow_run event' }]
    ])
    expect(world.github.requests.length).toBe(before)
  })

  it('is accepted signed with the previous secret during a rotation, and with a new one once the secret holds it', async () => {
    const { job, run } = await running()
    await world.stack.rotateSecret(
      JSON.stringify({ token: TOKEN, webhookSecret: 'whsec-next-5a4b3c2d1e0f', previousWebhookSecret: SECRET })
    )
    world.clock.advance(2 * MINUTE)
    world.github.webhook = { url: webhookUrl(), secret: 'whsec-next-5a4b3c2d1e0f' }
    world.github.setRun(run, 'completed', 'failure')
    await world.github.deliveriesSettled()
    expect(world.github.deliveries.at(-1)?.status).toBe(202)
    expect(world.failure(job)).toBeDefined()
    const payload = world.github.workflowRunPayload(run, 'completed')
    expect((await world.github.deliver(payload, { url: webhookUrl(), secret: SECRET })).status).toBe(202)
    expect((await world.github.deliver(payload, { url: webhookUrl(), secret: PREVIOUS })).status).toBe(401)
  })
})

describe('the sweep, watching runs by repository', () => {
  it('lists each repository once a sweep without deliveries, gets 304s while nothing changes, and never reads a run by itself', async () => {
    world.github.webhook = undefined
    const first = await running()
    const second = await running()
    const third = await running({ Repo: 'web' })
    world.github.reset()
    await sweepAfter()
    expect(lists()).toEqual({ asked: 2, unchanged: 0 })
    await sweepAfter()
    expect(lists()).toEqual({ asked: 4, unchanged: 2 })
    expect(world.github.tally.notModified).toBe(2)
    for (const { run } of [first, second, third]) expect(runReads(run)).toBe(0)
    // A run ends without reporting: the next list shows it, within a minute.
    world.github.setRun(second.run, 'completed', 'failure')
    await sweepAfter()
    expect(world.failure(second.job)).toMatchObject({ type: 'JobFailed' })
    expect(world.failure(first.job)).toBeUndefined()
    expect(runReads(second.run)).toBe(0)
  })

  it('lists every five minutes while deliveries arrive, and every minute once one went missing', async () => {
    const { run } = await running()
    const quiet = await running()
    // A delivery arrives: from now on deliveries are counted on.
    world.github.setRun(run, 'completed', 'failure')
    await world.github.deliveriesSettled()
    world.github.reset()
    const listedAt: number[] = []
    for (let minute = 1; minute <= 5; minute++) {
      const before = lists().asked
      await sweepAfter()
      if (lists().asked > before) listedAt.push(minute)
    }
    expect(listedAt).toEqual([1])
    // A delivery is lost: the next list finds the run ended, fails its job, and lists every minute after.
    world.github.webhook = { url: webhookUrl(), secret: SECRET, lose: () => true }
    world.github.setRun(quiet.run, 'completed', 'failure')
    world.clock.advance(2 * MINUTE)
    let failedAfter = 0
    for (let minute = 1; minute <= 6 && !world.failure(quiet.job); minute++) {
      await sweepAfter()
      failedAfter = minute
    }
    expect(world.failure(quiet.job)).toMatchObject({ type: 'JobFailed' })
    expect(failedAfter).toBeLessThanOrEqual(6)
    expect(world.container.log).toMatch(/no webhook delivery told the bridge: listing runs at every sweep/)
    const another = await running()
    const before = lists().asked
    await sweepAfter()
    await sweepAfter()
    expect(lists().asked - before).toBe(2)
    expect(world.failure(another.job)).toBeUndefined()
  })

  it('still fails the job of an ended run when the credentials secret is broken', async () => {
    const { job, run } = await running()
    await world.stack.rotateSecret(JSON.stringify({ token: TOKEN, webhookSecret: 42 }))
    world.github.setRun(run, 'completed', 'failure')
    // The secret is read again after 15 minutes; from then on no call to GitHub can be made, and the job says why.
    const { result } = await sweepAfter(16 * MINUTE)
    expect(result?.failed).toEqual([{ jobId: job.id, type: 'ConfigurationError' }])
    expect(world.failure(job)?.message).toMatch(/"webhookSecret" in the GitHub credentials secret must be/)
  })

  it('leaves watching for later when a tenth of the rate limit is left, and still dispatches', async () => {
    world.github.webhook = undefined
    const { job: watched } = await running()
    world.github.rateLimit = 100
    // Calls elsewhere on the installation's budget leave less than a tenth.
    for (let call = 0; call < 91; call++)
      await fetch(`${world.github.url}/repos/acme/app`, { headers: { authorization: `Bearer ${TOKEN}` } })
    world.github.reset()
    // The sweep's list tells the bridge how little is left; the next sweep lists nothing.
    await sweepAfter()
    expect(lists().asked).toBe(1)
    await sweepAfter()
    expect(lists().asked).toBe(1)
    const { job: fresh } = await running()
    expect(world.github.dispatches).toHaveLength(1)
    expect(fresh.state).toBe('InProgress')
    expect(watched.result?.operation).not.toBe('PutJobFailureResult')
  })
})
