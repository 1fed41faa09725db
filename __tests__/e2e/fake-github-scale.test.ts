import { createHmac, createSign, timingSafeEqual } from 'node:crypto'
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FakeGitHubActions, repositoryId, TOKEN_ACCOUNT, type FakeRun } from '../../local/fake-github-actions.js'

// The fake GitHub as GitHub behaves at scale, over HTTP: ETags and 304s, a primary rate limit that runs
// down, secondary limits, and signed workflow_run deliveries. Time passes on a clock the tests move.
const START = Date.parse('2026-03-02T10:00:00Z')
const MINUTE = 60_000
const HOUR = 60 * MINUTE
let fakeNow = START
let github: FakeGitHubActions

const TOKEN = 'github_pat_scale0test0token'
/** Another token of the same account: its own ETags, the same rate limit. */
const SAME_ACCOUNT = 'github_pat_scale0test0same0account'
const NO_ACTIONS = 'github_pat_scale0test0no0actions'
const ELSEWHERE = 'github_pat_scale0test0elsewhere'
const OTHER_ACCOUNT = 'github_pat_scale0test0other0account'
const RUNS = '/repos/acme/app/actions/runs'

beforeAll(async () => {
  github = await FakeGitHubActions.start('github.com', () => fakeNow)
})
afterAll(() => github.close())
beforeEach(() => {
  fakeNow = START
  github.reset({ runs: true })
  github.onRequest = undefined
  github.addRepo('acme/app', {
    workflows: [
      { file: 'build.yml', inputs: { 'job-id': { required: true } }, runName: 'CodePipeline ${{ inputs.job-id }}' },
      { file: 'deploy.yml' }
    ]
  })
  github.addRepo('acme/web', { workflows: [{ file: 'build.yml' }] })
  github.addToken(TOKEN)
  github.addToken(SAME_ACCOUNT)
  github.addToken(NO_ACTIONS, { permissions: { metadata: 'read' } })
  github.addToken(ELSEWHERE, { repositories: ['acme/web'] })
  github.addToken(OTHER_ACCOUNT, { account: { login: 'someone-else', id: 5_002 } })
})

interface Answered {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly body?: Record<string, unknown>
}

async function call(
  method: 'GET' | 'POST',
  path: string,
  { token = TOKEN, body, headers = {} }: { token?: string; body?: unknown; headers?: Record<string, string> } = {}
): Promise<Answered> {
  const response = await fetch(path.startsWith('http') ? path : `${github.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers
    },
    ...(body !== undefined && { body: JSON.stringify(body) })
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    text,
    ...(text !== '' && { body: JSON.parse(text) as Record<string, unknown> })
  }
}

function dispatchRequest(token = TOKEN, workflow = 'build.yml'): Promise<Answered> {
  const inputs = workflow === 'build.yml' ? { 'job-id': 'job' } : {}
  return call('POST', `/repos/acme/app/actions/workflows/${workflow}/dispatches`, {
    token,
    body: { ref: 'main', inputs, return_run_details: true }
  })
}

/** A new run, made through the dispatch endpoint. */
async function dispatch(workflow = 'build.yml'): Promise<FakeRun> {
  const answer = await dispatchRequest(TOKEN, workflow)
  expect(answer.status).toBe(200)
  const run = github.runs.find((candidate) => candidate.id === answer.body?.workflow_run_id)
  if (!run) throw new Error('the dispatch made no run')
  return run
}

const cancel = (run: FakeRun): Promise<Answered> => call('POST', `${RUNS}/${run.id}/cancel`)

const listedIds = (answer: Answered): number[] =>
  (answer.body?.workflow_runs as { id: number }[] | undefined)?.map((run) => run.id) ?? []

function rate(headers: Headers): Record<string, string | null> {
  return Object.fromEntries(
    ['limit', 'remaining', 'used', 'reset', 'resource'].map((name) => [name, headers.get(`x-ratelimit-${name}`)])
  )
}

/** Epoch seconds, as x-ratelimit-reset gives them. */
const seconds = (ms: number): string => String(Math.ceil(ms / 1000))

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('gave up waiting')
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

describe('runs', () => {
  it('carry a name, and an updated_at that every change of the run moves', async () => {
    const run = await dispatch()
    expect([run.created_at, run.updated_at]).toEqual(['2026-03-02T10:00:00Z', '2026-03-02T10:00:00Z'])

    fakeNow += 5_000
    github.setRun(run, 'in_progress')
    expect(run.updated_at).toBe('2026-03-02T10:00:05Z')
    fakeNow += 5_000
    expect((await cancel(run)).status).toBe(202)
    expect(run.updated_at).toBe('2026-03-02T10:00:10Z')
    fakeNow += 5_000
    github.rerun(run)
    expect(run.updated_at).toBe('2026-03-02T10:00:15Z')

    const answer = await call('GET', `${RUNS}/${run.id}`)
    expect(answer.body).toMatchObject({
      id: run.id,
      name: 'build',
      run_attempt: 2,
      status: 'queued',
      created_at: '2026-03-02T10:00:00Z',
      updated_at: '2026-03-02T10:00:15Z'
    })
  })
})

describe("a repository's run list", () => {
  it("lists every workflow's runs newest first, filtered by event, status and created", async () => {
    const first = await dispatch()
    fakeNow += MINUTE
    const second = await dispatch('deploy.yml')
    fakeNow += MINUTE
    const third = await dispatch()
    github.setRun(third, 'completed', 'success')

    const all = await call('GET', RUNS)
    expect(all.body?.total_count).toBe(3)
    expect(listedIds(all)).toEqual([third.id, second.id, first.id])
    expect(listedIds(await call('GET', `${RUNS}?event=workflow_dispatch`))).toHaveLength(3)
    expect((await call('GET', `${RUNS}?event=push`)).body).toEqual({ total_count: 0, workflow_runs: [] })
    expect(listedIds(await call('GET', `${RUNS}?status=completed`))).toEqual([third.id])
    expect(listedIds(await call('GET', `${RUNS}?status=success`))).toEqual([third.id])
    expect(listedIds(await call('GET', `${RUNS}?status=queued`))).toEqual([second.id, first.id])
    const since = encodeURIComponent('>=2026-03-02T10:01:00Z')
    expect(listedIds(await call('GET', `${RUNS}?created=${since}`))).toEqual([third.id, second.id])
    // The workflow's own list still holds only its runs.
    expect(listedIds(await call('GET', '/repos/acme/app/actions/workflows/build.yml/runs'))).toEqual([
      third.id,
      first.id
    ])
  })

  it('asks for Actions: read, and hides the repository from a token that cannot see it', async () => {
    await dispatch()
    expect((await call('GET', RUNS, { token: NO_ACTIONS })).body).toEqual({
      message: 'Resource not accessible by integration'
    })
    expect((await call('GET', RUNS, { token: ELSEWHERE })).status).toBe(404)
    expect((await call('GET', RUNS, { token: 'github_pat_nobody' })).status).toBe(401)
  })

  it('pages 250 runs by 100, each page linking to the next, the last to none', async () => {
    github.secondaryLimits.contentPerMinute = Infinity
    for (let index = 0; index < 250; index++) await dispatch(index % 2 === 0 ? 'build.yml' : 'deploy.yml')

    const pages: number[][] = []
    let next: string | undefined = `${RUNS}?per_page=100`
    while (next !== undefined) {
      const page = await call('GET', next)
      expect(page.body?.total_count).toBe(250)
      pages.push(listedIds(page))
      next = /<([^>]+)>;\s*rel="next"/.exec(page.headers.get('link') ?? '')?.[1]
    }
    expect(pages.map((page) => page.length)).toEqual([100, 100, 50])
    expect(pages.flat()).toEqual(github.runs.map((run) => run.id).sort((a, b) => b - a))

    const unasked = await call('GET', RUNS)
    expect(listedIds(unasked)).toHaveLength(30)
    expect(unasked.headers.get('link')).toBe(`<${github.url}${RUNS}?page=2>; rel="next"`)
    expect(listedIds(await call('GET', `${RUNS}?per_page=500`))).toHaveLength(100)
  })
})

describe('ETags', () => {
  it('are given per token, and a matching If-None-Match is answered 304 at no cost', async () => {
    const run = await dispatch()
    const mine = await call('GET', RUNS)
    const theirs = await call('GET', RUNS, { token: SAME_ACCOUNT })
    expect(theirs.text).toBe(mine.text)
    expect(mine.headers.get('etag')).toMatch(/^W\/"[0-9a-f]{64}"$/)
    expect(theirs.headers.get('etag')).toMatch(/^W\/"[0-9a-f]{64}"$/)
    expect(theirs.headers.get('etag')).not.toBe(mine.headers.get('etag'))
    for (const path of ['/repos/acme/app', `${RUNS}/${run.id}`, '/repos/acme/app/actions/workflows/build.yml/runs'])
      expect((await call('GET', path)).headers.get('etag')).toMatch(/^W\/"/)
    expect((await call('GET', `${RUNS}/1`)).headers.get('etag')).toBeNull()

    const before = github.remaining(TOKEN)
    const counted = github.tally.counted
    const notModified = await call('GET', RUNS, { headers: { 'if-none-match': mine.headers.get('etag')! } })
    expect(notModified.status).toBe(304)
    expect(notModified.text).toBe('')
    expect(notModified.headers.get('etag')).toBe(mine.headers.get('etag'))
    expect(rate(notModified.headers)).toMatchObject({ limit: '5000', remaining: String(before), resource: 'core' })
    expect(github.remaining(TOKEN)).toBe(before)
    expect(github.tally.counted).toBe(counted)
    expect(github.tally.notModified).toBe(1)
    expect(github.requestsTo('GET', /\/actions\/runs$/).map((request) => request.status)).toEqual([200, 200, 304])

    // Another token's ETag is no match for ours.
    const crossed = await call('GET', RUNS, { headers: { 'if-none-match': theirs.headers.get('etag')! } })
    expect(crossed.status).toBe(200)
  })

  it("change a list's ETag whenever a run on the page changes", async () => {
    const run = await dispatch()
    const first = (await call('GET', RUNS)).headers.get('etag')!
    expect((await call('GET', RUNS, { headers: { 'if-none-match': first } })).status).toBe(304)

    github.setRun(run, 'in_progress')
    const changed = await call('GET', RUNS, { headers: { 'if-none-match': first } })
    expect(changed.status).toBe(200)
    const second = changed.headers.get('etag')!
    expect(second).not.toBe(first)
    expect((await call('GET', RUNS, { headers: { 'if-none-match': `W/"other", ${second}` } })).status).toBe(304)

    // A run on another workflow is on the repository's page too.
    await dispatch('deploy.yml')
    expect((await call('GET', RUNS, { headers: { 'if-none-match': second } })).status).toBe(200)
  })
})

describe('the primary rate limit', () => {
  it('runs down with every answer to a token, 403, 404 and 422 included, and refuses at zero until the reset', async () => {
    github.rateLimit = 5
    const reset = seconds(START + HOUR)
    const first = await call('GET', '/repos/acme/app')
    expect(rate(first.headers)).toEqual({ limit: '5', remaining: '4', used: '1', reset, resource: 'core' })

    // The window began at the first request: later ones do not move its end.
    fakeNow += 10 * MINUTE
    const notFound = await call('GET', `${RUNS}/1`)
    expect([notFound.status, rate(notFound.headers).remaining, rate(notFound.headers).reset]).toEqual([404, '3', reset])
    const forbidden = await call('GET', RUNS, { token: NO_ACTIONS })
    expect([forbidden.status, rate(forbidden.headers).remaining]).toEqual([403, '2'])
    const refused = await call('POST', '/repos/acme/app/actions/workflows/build.yml/dispatches', {
      body: { ref: 'main' }
    })
    expect([refused.status, rate(refused.headers).remaining]).toEqual([422, '1'])
    const stranger = await call('GET', RUNS, { token: 'github_pat_nobody' })
    expect([stranger.status, stranger.headers.get('x-ratelimit-remaining')]).toEqual([401, null])
    expect(github.remaining(TOKEN)).toBe(1)
    expect(github.remaining('github_pat_nobody')).toBeUndefined()

    expect(rate((await call('GET', RUNS)).headers).remaining).toBe('0')
    const exhausted = await dispatchRequest()
    expect(exhausted.status).toBe(403)
    expect(exhausted.body).toEqual({ message: `API rate limit exceeded for user ID ${TOKEN_ACCOUNT.id}.` })
    expect(rate(exhausted.headers)).toMatchObject({ limit: '5', remaining: '0', reset })
    expect(github.runs).toEqual([])
    expect(github.tally).toMatchObject({ counted: 5, reads: 4, dispatches: 0 })
    // Another account has its own limit.
    expect(rate((await call('GET', RUNS, { token: OTHER_ACCOUNT })).headers).remaining).toBe('4')

    fakeNow = START + HOUR
    const renewed = await call('GET', RUNS)
    expect(renewed.status).toBe(200)
    expect(rate(renewed.headers)).toMatchObject({ remaining: '4', used: '1', reset: seconds(START + 2 * HOUR) })
  })

  it("counts an installation's tokens against the installation, and the App's own JWT requests against neither", async () => {
    const { appId, privateKey } = github.createApp({ 'acme/app': 77 })
    const jwt = appJwt(appId, privateKey)
    const installation = await call('GET', '/repos/acme/app/installation', { token: jwt })
    expect(installation.body).toMatchObject({ id: 77 })
    expect(installation.headers.get('x-ratelimit-limit')).toBeNull()
    const mint = async (): Promise<string> =>
      (await call('POST', '/app/installations/77/access_tokens', { token: jwt })).body?.token as string
    const token = await mint()
    expect(github.tally.app).toBe(2)
    expect(github.remaining(token)).toBe(5_000)

    github.rateLimit = 2
    expect(rate((await call('GET', RUNS, { token })).headers).remaining).toBe('1')
    expect(github.remaining(TOKEN)).toBe(2)
    // Every token of the installation draws on the same limit.
    expect(rate((await call('GET', RUNS, { token: await mint() })).headers).remaining).toBe('0')
    const exhausted = await call('GET', RUNS, { token })
    expect([exhausted.status, exhausted.body]).toEqual([
      403,
      { message: 'API rate limit exceeded for installation ID 77.' }
    ])
    expect(github.tally).toMatchObject({ app: 3, counted: 2 })
  })
})

describe('secondary limits', () => {
  it('refuses a request beyond 100 in flight at once for an account, and carries it not out', async () => {
    expect(github.secondaryLimits).toEqual({ concurrent: 100, contentPerMinute: 80, contentPerHour: 500 })
    let release = (): void => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    let held = 0
    github.onRequest = () => {
      if (held === 100) return undefined
      held += 1
      return gate
    }
    const slow = Array.from({ length: 100 }, () => call('GET', '/repos/acme/app'))
    await until(() => held === 100)

    const extra = await dispatchRequest()
    expect(extra.status).toBe(403)
    expect(extra.body).toEqual({
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'
    })
    expect(extra.headers.get('retry-after')).toBe('60')
    expect(github.runs).toEqual([])
    // Another account's requests are its own.
    expect((await call('GET', '/repos/acme/app', { token: OTHER_ACCOUNT })).status).toBe(200)

    release()
    expect((await Promise.all(slow)).map((answer) => answer.status)).toEqual(Array(100).fill(200))
    expect((await dispatchRequest()).status).toBe(200)
    expect(github.tally).toMatchObject({ secondaryRefusals: 1, counted: 102, dispatches: 1 })
    expect(github.requestsTo('POST', /\/dispatches$/).map((request) => request.status)).toEqual([403, 200])
  })

  it('refuses the 81st dispatch or cancel within a minute, until the oldest leaves the window', async () => {
    const runs: FakeRun[] = []
    for (let index = 0; index < 75; index++) {
      fakeNow = START + index * 100
      runs.push(await dispatch())
    }
    for (const run of runs.slice(0, 5)) expect((await cancel(run)).status).toBe(202)
    expect(github.tally).toMatchObject({ dispatches: 75, cancels: 5 })

    fakeNow = START + 8_000
    const refused = await dispatchRequest()
    expect(refused.status).toBe(403)
    expect(refused.body?.message).toMatch(/secondary rate limit/)
    // The first dispatch, made at START, leaves the window a minute later.
    expect(refused.headers.get('retry-after')).toBe('52')
    expect((await cancel(runs[10]!)).status).toBe(403)
    expect(runs[10]!.status).toBe('queued')
    expect(github.runs).toHaveLength(75)
    // Reads are no content.
    expect((await call('GET', RUNS)).status).toBe(200)

    fakeNow = START + MINUTE - 1
    expect((await dispatchRequest()).headers.get('retry-after')).toBe('1')
    fakeNow = START + MINUTE
    expect((await dispatchRequest()).status).toBe(200)
    const next = await dispatchRequest()
    expect([next.status, next.headers.get('retry-after')]).toEqual([403, '1'])
    expect(github.tally.secondaryRefusals).toBe(4)
  })

  it('refuses content beyond the hourly allowance, which refused requests do not use up', async () => {
    github.secondaryLimits.contentPerHour = 10
    for (let index = 0; index < 10; index++) {
      fakeNow = START + index * 5 * MINUTE
      await dispatch()
    }
    fakeNow = START + 50 * MINUTE
    const refused = await dispatchRequest()
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([403, '600'])

    fakeNow = START + HOUR
    expect((await dispatchRequest()).status).toBe(200)
    expect((await dispatchRequest()).headers.get('retry-after')).toBe('300')
    // Had the refusals counted, the window would still be full.
    fakeNow = START + 65 * MINUTE
    expect((await dispatchRequest()).status).toBe(200)
  })
})

describe('workflow_run deliveries', () => {
  const SECRET = 'webhook-secret-for-the-fake'
  interface Received {
    readonly headers: IncomingHttpHeaders
    readonly body: Buffer
  }
  let receiver: { server: Server; url: string }
  let received: Received[]
  /** How the receiver answers a delivery whose signature holds. */
  let respond: (response: ServerResponse) => void | Promise<void>

  function signedBySecret(header: string | string[] | undefined, body: Buffer): boolean {
    const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`)
    const given = Buffer.from(typeof header === 'string' ? header : '')
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  async function receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    received.push({ headers: request.headers, body })
    if (!signedBySecret(request.headers['x-hub-signature-256'], body)) response.writeHead(401).end()
    else await respond(response)
  }

  beforeAll(async () => {
    const server = createServer((request, response) => {
      receive(request, response).catch(() => response.destroy())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    receiver = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks` }
  })
  afterAll(async () => {
    receiver.server.closeAllConnections()
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()))
  })
  beforeEach(() => {
    received = []
    respond = (response) => void response.writeHead(204).end()
    github.webhook = { url: receiver.url, secret: SECRET }
  })

  it('signs each as GitHub does, and sends them one at a time in the order of the events, the lost ones not', async () => {
    github.createApp({ 'acme/app': 77 })
    github.webhook = { ...github.webhook!, lose: ({ action }) => action === 'in_progress' }
    let open = 0
    let mostOpen = 0
    respond = async (response) => {
      open += 1
      mostOpen = Math.max(mostOpen, open)
      await new Promise((resolve) => setTimeout(resolve, 5))
      open -= 1
      response.writeHead(204).end()
    }
    const first = await dispatch()
    github.setRun(first, 'in_progress')
    fakeNow += 2_000
    github.setRun(first, 'completed', 'success')
    const second = await dispatch()
    expect((await cancel(second)).status).toBe(202)
    await github.deliveriesSettled()

    expect(github.deliveries.map(({ action, runId, status }) => [action, runId, status])).toEqual([
      ['requested', first.id, 204],
      ['in_progress', first.id, 'lost'],
      ['completed', first.id, 204],
      ['requested', second.id, 204],
      ['completed', second.id, 204]
    ])
    const sent = github.deliveries.filter((delivery) => delivery.status !== 'lost')
    expect(received.map((delivery) => delivery.headers['x-github-delivery'])).toEqual(
      sent.map((delivery) => delivery.deliveryId)
    )
    expect(received.map((delivery) => delivery.body.toString('utf8'))).toEqual(sent.map((delivery) => delivery.body))
    expect(received.every((delivery) => signedBySecret(delivery.headers['x-hub-signature-256'], delivery.body))).toBe(
      true
    )
    expect(sent.every((delivery) => typeof delivery.ms === 'number')).toBe(true)
    expect(mostOpen).toBe(1)
    expect(received[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/fake',
      'x-github-event': 'workflow_run',
      'x-github-hook-id': '1',
      'x-github-hook-installation-target-type': 'integration',
      'x-github-delivery': expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
      ) as unknown
    })

    const completed = JSON.parse(received[1]!.body.toString('utf8')) as Record<string, unknown>
    expect(completed).toEqual({
      action: 'completed',
      workflow_run: {
        id: first.id,
        name: 'build',
        display_title: 'CodePipeline job',
        event: 'workflow_dispatch',
        status: 'completed',
        conclusion: 'success',
        html_url: first.html_url,
        run_attempt: 1,
        created_at: '2026-03-02T10:00:00Z',
        updated_at: '2026-03-02T10:00:02Z',
        head_branch: 'main',
        path: '.github/workflows/build.yml',
        repository: { id: repositoryId('acme/app'), full_name: 'acme/app' },
        actor: TOKEN_ACCOUNT
      },
      repository: { id: repositoryId('acme/app'), full_name: 'acme/app', name: 'app', owner: { login: 'acme' } },
      installation: { id: 77 },
      sender: TOKEN_ACCOUNT
    })
    // The same values as the API gives for the run.
    expect((await call('GET', `${RUNS}/${first.id}`)).body).toMatchObject(
      completed.workflow_run as Record<string, unknown>
    )
  })

  it('never holds up the API, retries no failed delivery, and forgets those of the world before a reset', async () => {
    let release = (): void => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    respond = async (response) => {
      await gate
      response.writeHead(204).end()
    }
    const run = await dispatch()
    await until(() => received.length === 1)
    expect(github.deliveries).toEqual([])
    release()
    await github.deliveriesSettled()
    expect(github.deliveries.map((delivery) => delivery.status)).toEqual([204])

    respond = (response) => void response.socket?.destroy()
    github.setRun(run, 'in_progress')
    await github.deliveriesSettled()
    expect(github.deliveries.map((delivery) => delivery.status)).toEqual([204, 'failed'])
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(received).toHaveLength(2)

    // No App covers acme/web: no installation in its payload.
    const web = await call('POST', '/repos/acme/web/actions/workflows/build.yml/dispatches', { body: { ref: 'main' } })
    expect(web.status).toBe(204)
    await github.deliveriesSettled()
    expect(JSON.parse(github.deliveries[2]!.body)).not.toHaveProperty('installation')

    let later = (): void => undefined
    respond = (response) =>
      new Promise<void>((resolve) => (later = resolve)).then(() => void response.writeHead(204).end())
    await dispatch()
    await until(() => received.length === 4)
    github.reset({ runs: true })
    expect(github.webhook).toBeUndefined()
    later()
    await github.deliveriesSettled()
    expect(github.deliveries).toEqual([])
  })

  it('sends any delivery by hand: a replay keeps its ID and bytes, a forged signature is refused', async () => {
    const run = await dispatch()
    await github.deliveriesSettled()
    const original = github.deliveries[0]!

    const replay = await github.deliver(original.body, { deliveryId: original.deliveryId })
    expect([replay.status, replay.deliveryId]).toEqual([204, original.deliveryId])
    expect(received[1]!.headers['x-github-delivery']).toBe(original.deliveryId)
    expect(received[1]!.body.equals(received[0]!.body)).toBe(true)

    const forged = await github.deliver(original.body, { signature: `sha256=${'0'.repeat(64)}` })
    expect(forged.status).toBe(401)
    expect((await github.deliver(original.body, { secret: 'another secret' })).status).toBe(401)

    // Late and out of order, and for a repository the receiver may not expect: signed all the same.
    github.setRun(run, 'completed', 'success')
    await github.deliveriesSettled()
    const stale = { ...github.workflowRunPayload(run, 'requested'), repository: { full_name: 'evil/app' } }
    const late = await github.deliver(stale, { event: 'workflow_run' })
    expect(late.status).toBe(204)
    expect(received.at(-1)!.headers['x-github-delivery']).toBe(late.deliveryId)
    expect(JSON.parse(received.at(-1)!.body.toString('utf8'))).toEqual(stale)
    expect((await github.deliver({ zen: 'Keep it logically awesome.' }, { event: 'ping' })).status).toBe(204)
    expect(received.at(-1)!.headers['x-github-event']).toBe('ping')
  })
})

/** A GitHub App JWT for the fake, signed with the App's key. */
function appJwt(appId: string, privateKey: string): string {
  const now = Math.floor(fakeNow / 1000)
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: now - 30, exp: now + 540, iss: appId })}`
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey, 'base64url')}`
}
