import { describe, expect, it } from 'vitest'
import { GitHubError, githubRequest } from '../../src/bridge/github-request.js'
import { GitHubApi, type TokenSource } from '../../src/bridge/github.js'
import { Logger } from '../../src/bridge/json-log.js'

/** A clock that stands still and never waits. */
const clock = { now: () => Date.parse('2026-11-25T12:00:00Z'), sleep: () => Promise.resolve() }

const API = 'https://api.github.example'
const answer =
  (status: number, body: unknown = {}, headers: Record<string, string> = {}): typeof fetch =>
  () =>
    Promise.resolve(new Response(status === 204 ? null : JSON.stringify(body), { status, headers }))
const failing =
  (error: unknown): typeof fetch =>
  () =>
    Promise.reject(error instanceof Error ? error : new Error(String(error)))
const networkError = (code: string) =>
  new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) })

async function kindOf(fetcher: typeof fetch): Promise<string> {
  const error = await githubRequest(API, 'GET', '/x', 'Bearer t', undefined, fetcher, clock).catch(
    (caught: unknown) => caught
  )
  return error instanceof GitHubError ? error.kind : 'none'
}

describe('githubRequest', () => {
  it('sends the API version, the token and a user agent, and reads the answer', async () => {
    let seen: RequestInit | undefined
    const fetcher: typeof fetch = (_, init) => {
      seen = init
      return Promise.resolve(new Response('{"default_branch":"main"}', { status: 200 }))
    }
    await expect(githubRequest(API, 'POST', '/x', 'Bearer t', { a: 1 }, fetcher, clock)).resolves.toEqual({
      status: 200,
      body: { default_branch: 'main' }
    })
    expect(seen?.headers).toMatchObject({
      authorization: 'Bearer t',
      'x-github-api-version': '2022-11-28',
      accept: 'application/vnd.github+json',
      'content-type': 'application/json'
    })
    expect(seen?.body).toBe('{"a":1}')
  })

  it('tells what may be tried again, and what may have been carried out', async () => {
    expect(await kindOf(answer(404, { message: 'Not Found' }))).toBe('refused')
    expect(await kindOf(answer(422, { message: 'x' }))).toBe('refused')
    expect(await kindOf(answer(401, { message: 'Bad credentials' }))).toBe('unauthorized')
    expect(await kindOf(answer(403, { message: 'Resource not accessible by integration' }))).toBe('refused')
    expect(await kindOf(answer(403, { message: 'x' }, { 'x-ratelimit-remaining': '0' }))).toBe('throttled')
    expect(await kindOf(answer(403, { message: 'You have exceeded a secondary rate limit' }))).toBe('throttled')
    expect(await kindOf(answer(429, { message: 'x' }))).toBe('throttled')
    expect(await kindOf(answer(502, 'Bad Gateway'))).toBe('unavailable')
    expect(await kindOf(failing(networkError('ECONNREFUSED')))).toBe('unreachable')
    expect(await kindOf(failing(networkError('ENOTFOUND')))).toBe('unreachable')
    expect(await kindOf(failing(networkError('ECONNRESET')))).toBe('lost')
    expect(await kindOf(failing(new DOMException('The operation timed out', 'TimeoutError')))).toBe('lost')
    expect(await kindOf(failing(new TypeError('fetch failed')))).toBe('lost')
  })

  it('keeps the Retry-After hint', async () => {
    const error = (await githubRequest(
      API,
      'GET',
      '/x',
      't',
      undefined,
      answer(429, {}, { 'retry-after': '7' }),
      clock
    ).catch((caught: unknown) => caught)) as GitHubError
    expect(error.retryAfterMs).toBe(7_000)
    expect(error.maybeDone).toBe(false)
  })
})

const tokens: TokenSource = { token: () => Promise.resolve('t'), refresh: () => Promise.resolve(false) }
const quiet = Logger.create('error', clock, () => undefined)
const target = { owner: 'acme', repo: 'app', workflow: 'build.yml' }

describe('GitHubApi.dispatch', () => {
  it('returns the run when GitHub returns its details', async () => {
    const api = new GitHubApi(API, tokens, quiet, clock, answer(200, { workflow_run_id: 5, html_url: 'https://x/5' }))
    await expect(api.dispatch(target, 'main', 'job')).resolves.toEqual({ runId: 5, htmlUrl: 'https://x/5' })
  })

  it('falls back once for a server that refuses return_run_details, and remembers', async () => {
    const bodies: unknown[] = []
    const fetcher: typeof fetch = (_, init) => {
      const body = JSON.parse(init?.body as string) as Record<string, unknown>
      bodies.push(body)
      return Promise.resolve(
        'return_run_details' in body
          ? new Response('{"message":"\\"return_run_details\\" is not a permitted key."}', { status: 422 })
          : new Response(null, { status: 204 })
      )
    }
    const api = new GitHubApi(API, tokens, quiet, clock, fetcher)
    await expect(api.dispatch(target, 'main', 'job')).resolves.toEqual({})
    await expect(api.dispatch(target, 'main', 'job')).resolves.toEqual({})
    expect(bodies).toEqual([
      { ref: 'main', inputs: { 'job-id': 'job' }, return_run_details: true },
      { ref: 'main', inputs: { 'job-id': 'job' } },
      { ref: 'main', inputs: { 'job-id': 'job' } }
    ])
  })

  it('never sends a dispatch twice by itself', async () => {
    let calls = 0
    const api = new GitHubApi(API, tokens, quiet, clock, () => {
      calls += 1
      return Promise.resolve(new Response('{}', { status: 503 }))
    })
    await expect(api.dispatch(target, 'main', 'job')).rejects.toMatchObject({ kind: 'unavailable', maybeDone: true })
    expect(calls).toBe(1)
  })

  it('tries a read again within the invocation, up to three times', async () => {
    let calls = 0
    const api = new GitHubApi(API, tokens, quiet, clock, () =>
      Promise.resolve(++calls < 3 ? new Response('{}', { status: 502 }) : new Response('{"default_branch":"trunk"}'))
    )
    await expect(api.defaultBranch('acme', 'app')).resolves.toBe('trunk')
    expect(calls).toBe(3)
  })
})

describe('GitHubApi.recentRuns', () => {
  const since = clock.now() - 60 * 60_000
  const run = (id: number, minutesAgo: number) => ({
    id,
    status: 'queued',
    conclusion: null,
    html_url: `https://github.example/acme/app/actions/runs/${id}`,
    created_at: new Date(clock.now() - minutesAgo * 60_000).toISOString()
  })
  /** Pages of runs, newest first, each linking to the next as GitHub does; the URLs asked for. */
  function pages(runs: ReturnType<typeof run>[][], next: (page: number) => string) {
    const asked: string[] = []
    const fetcher: typeof fetch = (input) => {
      const url = input instanceof Request ? input.url : input.toString()
      asked.push(url)
      const page = Number(/[?&]page=(\d+)/.exec(url)?.[1] ?? 1)
      const link =
        page < runs.length ? { link: `<${next(page + 1)}>; rel="next", <${next(runs.length)}>; rel="last"` } : {}
      return Promise.resolve(
        new Response(JSON.stringify({ workflow_runs: runs[page - 1] }), { status: 200, headers: link })
      )
    }
    return { asked, fetcher }
  }
  const onApi = (page: number) =>
    `${API}/repos/acme/app/actions/workflows/build.yml/runs?event=workflow_dispatch&per_page=100&page=${page}`

  it('follows rel="next" until a page reaches back past the time asked for', async () => {
    const { asked, fetcher } = pages([[run(9, 1), run(8, 2)], [run(7, 30), run(6, 61)], [run(5, 90)]], onApi)
    const runs = await new GitHubApi(API, tokens, quiet, clock, fetcher).recentRuns(target, since)
    expect(runs.map((found) => found.id)).toEqual([9, 8, 7, 6])
    expect(asked).toHaveLength(2)
    expect(asked[1]).toBe(onApi(2))
  })

  it('reads at most ten pages', async () => {
    const many = Array.from({ length: 30 }, (_, page) => [run(1000 - page, 1)])
    const { asked, fetcher } = pages(many, onApi)
    const runs = await new GitHubApi(API, tokens, quiet, clock, fetcher).recentRuns(target, since)
    expect(runs).toHaveLength(10)
    expect(asked).toHaveLength(10)
  })

  it('never follows a link to another host, which would carry the token there', async () => {
    const { asked, fetcher } = pages([[run(9, 1)], [run(8, 2)]], (page) => `https://evil.example/runs?page=${page}`)
    const runs = await new GitHubApi(API, tokens, quiet, clock, fetcher).recentRuns(target, since)
    expect(runs.map((found) => found.id)).toEqual([9])
    expect(asked).toHaveLength(1)
  })
})

describe('answers that are not runs', () => {
  const answering =
    (body: string): typeof fetch =>
    () =>
      Promise.resolve(new Response(body, { status: 200, headers: { 'content-type': 'text/html' } }))

  it.each([
    ['an empty body', ''],
    ["a proxy's login page", '<html><body>Sign in to continue</body></html>'],
    ['a run without its creation time', '{"id":7,"status":"queued","html_url":"https://x","created_at":"soon"}'],
    ['null', 'null']
  ])('reads %s for a run as GitHub being unavailable, so the run is read again within its bound', async (_, body) => {
    const api = new GitHubApi(API, tokens, quiet, clock, answering(body))
    await expect(api.run('acme', 'app', 7)).rejects.toMatchObject({ kind: 'unavailable', retryable: true })
  })

  it('passes over list entries that are not runs, and keeps the ones that are', async () => {
    const run = {
      id: 9,
      status: 'queued',
      conclusion: null,
      html_url: 'https://github.example/acme/app/actions/runs/9',
      display_title: 'CodePipeline job',
      created_at: new Date(clock.now()).toISOString()
    }
    const api = new GitHubApi(
      API,
      tokens,
      quiet,
      clock,
      answering(JSON.stringify({ workflow_runs: [null, 'x', { id: '8' }, run] }))
    )
    await expect(api.recentRuns(target, clock.now() - 60_000)).resolves.toEqual([run])
  })
})

describe('watching within the rate limit', () => {
  const run = (id: number, status = 'in_progress') => ({
    id,
    status,
    conclusion: null,
    html_url: `https://github.example/acme/app/actions/runs/${id}`,
    created_at: '2026-11-25T11:50:00Z',
    updated_at: '2026-11-25T11:55:00Z'
  })
  const rate = (remaining: number) => ({
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-limit': '5000',
    'x-ratelimit-reset': String(Date.parse('2026-11-25T12:30:00Z') / 1000)
  })

  it('asks again with the ETag of the answer it keeps, and a 304 stands for that answer', async () => {
    const seen: (string | undefined)[] = []
    let list = [run(2), run(1)]
    const fetcher: typeof fetch = (_, init) => {
      const etag = `W/"${list.map((entry) => entry.status).join()}"`
      const asked = (init?.headers as Record<string, string>)['if-none-match']
      seen.push(asked)
      if (asked === etag) return Promise.resolve(new Response(null, { status: 304, headers: { etag, ...rate(10) } }))
      const body = JSON.stringify({ workflow_runs: list })
      return Promise.resolve(new Response(body, { status: 200, headers: { etag, ...rate(4_000) } }))
    }
    const api = new GitHubApi(API, tokens, quiet, clock, fetcher)
    const since = Date.parse('2026-11-25T11:00:00Z')
    const first = await api.repositoryRuns('acme', 'app', since, new Set([1]))
    const second = await api.repositoryRuns('acme', 'app', since, new Set([1]))
    expect(second).toEqual(first)
    expect(first.map((entry) => entry.id)).toEqual([2, 1])
    list = [run(2, 'completed'), run(1)]
    const third = await api.repositoryRuns('acme', 'app', since, new Set([1]))
    expect(third[0]?.status).toBe('completed')
    expect(seen).toEqual([undefined, 'W/"in_progress,in_progress"', 'W/"in_progress,in_progress"'])
  })

  it('asks again, plainly, after a 304 for an answer it no longer keeps', async () => {
    const asked: (string | undefined)[] = []
    let answers = 0
    const fetcher: typeof fetch = (_, init) => {
      asked.push((init?.headers as Record<string, string>)['if-none-match'])
      // The second answer is a 304 whatever is asked: as if the kept answer had been dropped meanwhile.
      if (++answers === 2) return Promise.resolve(new Response(null, { status: 304, headers: { etag: 'W/"x"' } }))
      return Promise.resolve(new Response(JSON.stringify(run(7)), { status: 200, headers: { etag: 'W/"x"' } }))
    }
    const api = new GitHubApi(API, tokens, quiet, clock, fetcher)
    await api.run('acme', 'other', 7)
    // A run of another repository: nothing kept for it, yet GitHub answers 304.
    await expect(api.run('acme', 'app', 7)).resolves.toMatchObject({ id: 7 })
    expect(asked).toEqual([undefined, undefined, undefined])
  })

  it('reads a listed run whose actor or repository is null, or not an object', async () => {
    const odd = [
      { ...run(3), actor: null, repository: null },
      { ...run(4), actor: 'octocat', repository: 5 }
    ]
    const fetcher = answer(200, { workflow_runs: odd })
    const api = new GitHubApi(API, tokens, quiet, clock, fetcher)
    const runs = await api.repositoryRuns('acme', 'app', Date.parse('2026-11-25T11:00:00Z'), new Set([3]))
    expect(runs.map((listed) => [listed.id, listed.actor, listed.repository])).toEqual([
      [3, undefined, undefined],
      [4, undefined, undefined]
    ])
  })

  it('reads a further page of the list only while a run it watches is still to be seen', async () => {
    const asked: string[] = []
    const fetcher: typeof fetch = (url) => {
      const href = typeof url === 'string' ? url : url instanceof URL ? url.href : url.url
      asked.push(href)
      const second = href.includes('page=2')
      const body = JSON.stringify({ workflow_runs: second ? [run(2), run(1)] : [run(4), run(3)] })
      const link = second ? {} : { link: `<${API}/repos/acme/app/actions/runs?page=2>; rel="next"` }
      return Promise.resolve(new Response(body, { status: 200, headers: link }))
    }
    const since = Date.parse('2026-11-25T11:00:00Z')
    const api = new GitHubApi(API, tokens, quiet, clock, fetcher)
    expect((await api.repositoryRuns('acme', 'app', since, new Set([3]))).map((listed) => listed.id)).toEqual([4, 3])
    expect(asked).toHaveLength(1)
    const more = await api.repositoryRuns('acme', 'app', since, new Set([3, 1]))
    expect(more.map((listed) => listed.id)).toEqual([4, 3, 2, 1])
    expect(asked).toHaveLength(3)
  })

  it('keeps an ETag to the token that read it', async () => {
    const asked: (string | undefined)[] = []
    let token = 'first'
    const source: TokenSource = { token: () => Promise.resolve(token), refresh: () => Promise.resolve(false) }
    const fetcher: typeof fetch = (_, init) => {
      asked.push((init?.headers as Record<string, string>)['if-none-match'])
      return Promise.resolve(new Response(JSON.stringify(run(7)), { status: 200, headers: { etag: 'W/"x"' } }))
    }
    const api = new GitHubApi(API, source, quiet, clock, fetcher)
    await api.run('acme', 'app', 7)
    token = 'second'
    await api.run('acme', 'app', 7)
    await api.run('acme', 'app', 7)
    expect(asked).toEqual([undefined, undefined, 'W/"x"'])
  })

  it('stops watching when a tenth of the rate limit is left, until it resets', async () => {
    let remaining = 600
    const fetcher: typeof fetch = () =>
      Promise.resolve(new Response(JSON.stringify(run(7)), { status: 200, headers: rate(remaining) }))
    const api = new GitHubApi(API, tokens, quiet, clock, fetcher)
    expect(api.mayWatch('acme')).toBe(true)
    await api.run('acme', 'app', 7)
    expect(api.mayWatch('acme')).toBe(true)
    remaining = 500
    await api.run('acme', 'app', 7)
    expect(api.mayWatch('ACME')).toBe(false)
    expect(api.mayWatch('other')).toBe(true)
    const later = { ...clock, now: () => Date.parse('2026-11-25T12:31:00Z') }
    const afterReset = new GitHubApi(API, tokens, quiet, later, fetcher)
    await afterReset.run('acme', 'app', 7)
    expect(afterReset.mayWatch('acme')).toBe(true)
  })

  it('sends nothing for the account while GitHub asked it to wait, and says how long is left', async () => {
    let sent = 0
    const fetcher: typeof fetch = () => {
      sent += 1
      const body = JSON.stringify({ message: 'You have exceeded a secondary rate limit.' })
      return Promise.resolve(new Response(body, { status: 403, headers: { 'retry-after': '60' } }))
    }
    let now = clock.now()
    const api = new GitHubApi(API, tokens, quiet, { ...clock, now: () => now }, fetcher)
    await expect(api.cancel('acme', 'app', 7)).rejects.toMatchObject({ kind: 'throttled', retryAfterMs: 60_000 })
    now += 20_000
    await expect(api.run('acme', 'app', 7)).rejects.toMatchObject({ kind: 'throttled', retryAfterMs: 40_000 })
    expect(sent).toBe(1)
    expect(api.mayWatch('acme')).toBe(false)
    now += 41_000
    await expect(api.run('acme', 'app', 7)).rejects.toMatchObject({ kind: 'throttled' })
    expect(sent).toBe(2)
  })

  it('waits a minute after a secondary limit that names no time', async () => {
    const body = { message: 'You have exceeded a secondary rate limit. Please wait a few minutes.' }
    const error = (await githubRequest(API, 'POST', '/x', 't', {}, answer(403, body), clock).catch(
      (caught: unknown) => caught
    )) as GitHubError
    expect(error).toMatchObject({ kind: 'throttled', retryAfterMs: 60_000 })
  })

  it('has at most 20 requests in flight from one container', async () => {
    let inFlight = 0
    let most = 0
    const fetcher: typeof fetch = async () => {
      most = Math.max(most, ++inFlight)
      await new Promise((resolve) => setTimeout(resolve, 5))
      inFlight -= 1
      return new Response(JSON.stringify(run(7)), { status: 200 })
    }
    const api = new GitHubApi(API, tokens, quiet, clock, fetcher)
    await Promise.all(Array.from({ length: 60 }, () => api.run('acme', 'app', 7)))
    expect(most).toBe(20)
  })
})
