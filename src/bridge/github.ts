import type { Clock } from './clock.js'
import { GitHubError, githubRequest, type RateLeft, type RawResponse } from './github-request.js'
import { agentFetch } from './http.js'
import type { Logger } from './json-log.js'
import type { WorkflowTarget } from './target.js'

/** Read requests are tried this many times within one invocation; starting a run, once. */
const READ_ATTEMPTS = 3
/** Pages of 100 runs read at most when looking for a run, newest first. */
const RUN_PAGES = 10
/** Reads kept for asking again with If-None-Match; GitHub ties an ETag to the token that read it. */
const KEPT_READS = 1_000
/** Watching leaves this share of the rate limit to dispatches and the runs' own calls. */
const WATCH_RESERVE = 0.1
/** GitHub requests one container has in flight at once, well within GitHub's limit of 100. */
const MAX_IN_FLIGHT = 20

/** A workflow run, as far as the bridge reads it. */
export interface WorkflowRun {
  readonly id: number
  /** queued, in_progress, completed, waiting, requested or pending. */
  readonly status: string
  /** success, failure, cancelled, timed_out, startup_failure, …; null until completed. */
  readonly conclusion: string | null
  readonly html_url: string
  /** The run's name, which the workflow's `run-name` sets. */
  readonly display_title?: string
  readonly created_at: string
  readonly updated_at?: string
  /** Read only to bind a run's token to it (run-binding.ts checks each one's type). */
  readonly run_attempt?: unknown
  readonly event?: unknown
  readonly path?: unknown
  readonly head_branch?: unknown
  readonly repository?: { readonly id?: unknown }
  readonly actor?: { readonly id?: unknown; readonly login?: unknown }
}

/**
 * The fields of a run the bridge reads, when GitHub's answer is a run with
 * them of the types it reads them as; undefined otherwise. Only these are
 * kept: a run as GitHub gives it weighs kilobytes of links.
 */
function readRun(value: unknown): WorkflowRun | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const run = value as Record<string, unknown>
  const { id, status, conclusion, html_url, display_title, created_at, updated_at } = run
  const fits =
    typeof id === 'number' &&
    typeof status === 'string' &&
    (typeof conclusion === 'string' || conclusion === null || conclusion === undefined) &&
    typeof html_url === 'string' &&
    (typeof display_title === 'string' || display_title === undefined) &&
    typeof created_at === 'string' &&
    !Number.isNaN(Date.parse(created_at))
  if (!fits) return undefined
  const { run_attempt, event, path, head_branch } = run as Partial<WorkflowRun>
  // Null, a number, anything: only an object is read further.
  const object = (field: unknown): Record<string, unknown> | undefined =>
    typeof field === 'object' && field !== null ? (field as Record<string, unknown>) : undefined
  const repository = object(run.repository)
  const actor = object(run.actor)
  return {
    id,
    status,
    conclusion: conclusion ?? null,
    html_url,
    display_title,
    created_at,
    updated_at: typeof updated_at === 'string' ? updated_at : undefined,
    run_attempt,
    event,
    path,
    head_branch,
    ...(repository !== undefined && { repository: { id: repository.id } }),
    ...(actor !== undefined && { actor: { id: actor.id, login: actor.login } })
  }
}

/** The runs of a list answer, each as readRun keeps it; an entry that is not a run is passed over. */
function readRuns(body: unknown): WorkflowRun[] {
  const listed = (body as { workflow_runs?: unknown } | undefined)?.workflow_runs
  return Array.isArray(listed) ? listed.flatMap((entry) => readRun(entry) ?? []) : []
}

/** Where tokens come from: a fine-grained token, or a GitHub App's installation tokens. */
export interface TokenSource {
  /** A token that may start workflows in this repository. */
  token(owner: string, repo: string): Promise<string>
  /** The App's bot account, once known; undefined for a fine-grained token. */
  appAccount?(): string | undefined
  /** After GitHub refused `failed`: forget it; true when a different token is now worth a try. */
  refresh(owner: string, repo: string, failed: string): Promise<boolean>
}

/** The few Actions endpoints the bridge needs, each authorized for its repository. */
export class GitHubApi {
  private readonly defaultBranches = new Map<string, { branch: Promise<string>; until: number }>()
  /** Whether the server returns the run of a dispatch; false once it refused to. */
  private runDetails = true
  private tokenAccount?: Promise<string>
  /** Answers to reads, by token and URL, with their ETags: an unchanged answer then costs no rate limit. */
  private readonly kept = new Map<string, RawResponse>()
  /** Per account (an App installation is one): the rate limit GitHub last reported, and a pause it asked for. */
  private readonly budgets = new Map<string, { rate?: RateLeft; pausedUntil?: number }>()
  private inFlight = 0
  private readonly waiting: (() => void)[] = []

  constructor(
    private readonly baseUrl: string,
    private readonly tokens: TokenSource,
    private readonly log: Logger,
    private readonly clock: Pick<Clock, 'now' | 'sleep'>,
    private readonly fetcher: typeof fetch = agentFetch()
  ) {}

  /** Gets a token for the repository ready, so that a request that follows cannot fail for want of one. */
  async authorize(owner: string, repo: string): Promise<void> {
    await this.tokens.token(owner, repo)
  }

  /**
   * The account the bridge's dispatches come from: the App's bot, or the
   * fine-grained token's owner (one request, kept for the container's life).
   */
  async identity(owner: string, repo: string): Promise<string> {
    await this.tokens.token(owner, repo)
    const account = this.tokens.appAccount?.()
    if (account !== undefined) return account
    this.tokenAccount ??= this.read(owner, repo, '/user').then(({ body }) => {
      const login = (body as { login?: unknown } | undefined)?.login
      if (typeof login !== 'string') throw new GitHubError('refused', 'GET /user', 'the answer has no login')
      return login
    })
    // A failed read is not kept.
    void this.tokenAccount.catch(() => (this.tokenAccount = undefined))
    return this.tokenAccount
  }

  /** The repository's default branch, kept for five minutes; jobs asking together share one request. */
  async defaultBranch(owner: string, repo: string): Promise<string> {
    const key = `${owner}/${repo}`.toLowerCase()
    const known = this.defaultBranches.get(key)
    if (known && known.until > this.clock.now()) return known.branch
    const branch = this.readDefaultBranch(owner, repo)
    this.defaultBranches.set(key, { branch, until: this.clock.now() + 5 * 60_000 })
    // A failed read is not kept.
    void branch.catch(() => this.defaultBranches.delete(key))
    return branch
  }

  private async readDefaultBranch(owner: string, repo: string): Promise<string> {
    const { body } = await this.read(owner, repo, `/repos/${path(owner)}/${path(repo)}`)
    const branch = (body as { default_branch?: unknown } | undefined)?.default_branch
    if (typeof branch !== 'string' || branch === '')
      throw new GitHubError('refused', `GET /repos/${owner}/${repo}`, 'the answer has no default_branch')
    return branch
  }

  /**
   * Starts a run of the workflow with the job's ID as its `job-id` input,
   * asking for the run's ID and URL. GitHub Enterprise Server up to 3.20
   * refuses to be asked, and has nothing started: from then on this
   * container dispatches without asking, and the run is found by its name.
   */
  async dispatch(target: WorkflowTarget, ref: string, jobId: string): Promise<{ runId?: number; htmlUrl?: string }> {
    if (this.runDetails) {
      try {
        return await this.dispatchOnce(target, ref, jobId, true)
      } catch (error) {
        if (!(
          error instanceof GitHubError &&
          error.kind === 'refused' &&
          /return_run_details/.test(error.githubMessage)
        ))
          throw error
        this.runDetails = false
        this.log.info(
          'GitHub does not return the run of a dispatch (GitHub Enterprise Server 3.20 or older): runs are found by their name'
        )
      }
    }
    return this.dispatchOnce(target, ref, jobId, false)
  }

  private async dispatchOnce(
    target: WorkflowTarget,
    ref: string,
    jobId: string,
    withRunDetails: boolean
  ): Promise<{ runId?: number; htmlUrl?: string }> {
    const { status, body } = await this.send(target.owner, target.repo, 'POST', `${workflowPath(target)}/dispatches`, {
      ref,
      inputs: { 'job-id': jobId },
      ...(withRunDetails && { return_run_details: true })
    })
    const details = body as { workflow_run_id?: unknown; html_url?: unknown } | undefined
    if (status === 200 && typeof details?.workflow_run_id === 'number') {
      return {
        runId: details.workflow_run_id,
        ...(typeof details.html_url === 'string' && { htmlUrl: details.html_url })
      }
    }
    return {}
  }

  /**
   * The workflow's dispatched runs created since `since`, newest first:
   * page after page until one reaches back past `since`, at most RUN_PAGES.
   */
  async recentRuns(target: WorkflowTarget, since: number): Promise<WorkflowRun[]> {
    return this.dispatchedRuns(target.owner, target.repo, `${workflowPath(target)}/runs`, since)
  }

  /**
   * The repository's dispatched runs created since `since`, as recentRuns
   * reads them: the sweep's one look at all of a repository's runs. A
   * further page is read only while some of the `wanted` runs are still
   * to be seen, and watching may still spend.
   */
  async repositoryRuns(
    owner: string,
    repo: string,
    since: number,
    wanted: ReadonlySet<number>
  ): Promise<WorkflowRun[]> {
    return this.dispatchedRuns(owner, repo, `/repos/${path(owner)}/${path(repo)}/actions/runs`, since, (runs) => {
      const seen = new Set(runs.map((run) => run.id))
      return [...wanted].some((id) => !seen.has(id)) && this.mayWatch(owner)
    })
  }

  private async dispatchedRuns(
    owner: string,
    repo: string,
    list: string,
    since: number,
    mayGoOn: (runs: readonly WorkflowRun[]) => boolean = () => true
  ): Promise<WorkflowRun[]> {
    const created = new Date(since).toISOString().replace(/\.\d{3}Z$/, 'Z')
    const query = `event=workflow_dispatch&per_page=100&created=${encodeURIComponent(`>=${created}`)}`
    const runs: WorkflowRun[] = []
    let url: string | undefined = `${list}?${query}`
    for (let page = 0; page < RUN_PAGES; page++) {
      const { body, next }: RawResponse = await this.read(owner, repo, url, readRuns)
      const listed = body as WorkflowRun[]
      runs.push(...listed)
      if (next === undefined || !(Date.parse(listed.at(-1)?.created_at ?? '') >= since) || !mayGoOn(runs)) break
      url = next
    }
    return runs
  }

  /** False while watching should wait: GitHub asked for a pause, or little is left of the rate limit. */
  mayWatch(owner: string): boolean {
    const { rate, pausedUntil = 0 } = this.budgets.get(owner.toLowerCase()) ?? {}
    const now = this.clock.now()
    return (
      pausedUntil <= now && (rate === undefined || rate.resetAt <= now || rate.remaining > rate.limit * WATCH_RESERVE)
    )
  }

  async run(owner: string, repo: string, runId: number): Promise<WorkflowRun> {
    const request = `/repos/${path(owner)}/${path(repo)}/actions/runs/${runId}`
    const { body } = await this.read(owner, repo, request, readRun)
    // A 200 that is not a run (an empty body, a proxy's login page) is read as GitHub being unavailable:
    // the run is read again, backing off, within the bound that leaves the pipeline time.
    if (body === undefined) throw new GitHubError('unavailable', `GET ${request}`, 'the answer is not a workflow run')
    return body as WorkflowRun
  }

  /** Asks GitHub to cancel the run; false when it has already finished (409). */
  async cancel(owner: string, repo: string, runId: number): Promise<boolean> {
    try {
      await this.send(owner, repo, 'POST', `/repos/${path(owner)}/${path(repo)}/actions/runs/${runId}/cancel`)
      return true
    } catch (error) {
      if (error instanceof GitHubError && error.status === 409) return false
      throw error
    }
  }

  /**
   * A read, tried again within the invocation on a passing failure. Asked
   * with the ETag of the answer kept for the same token and URL, which a
   * 304 then stands for; `shape` makes what is kept of the body.
   */
  private async read(
    owner: string,
    repo: string,
    url: string,
    shape: (body: unknown) => unknown = (body) => body
  ): Promise<RawResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        // What the ETag sent stands for, taken before the request: the cache may drop it meanwhile.
        let asked: RawResponse | undefined
        const { token, ...response } = await this.send(owner, repo, 'GET', url, undefined, (token) => {
          asked = this.kept.get(`${token} ${url}`)
          return asked
        })
        const key = `${token} ${url}`
        this.kept.delete(key)
        if (response.status === 304) {
          // A 304 for what was not asked about is asked again, plainly.
          if (asked === undefined) throw new GitHubError('unavailable', `GET ${url}`, 'a 304 for nothing asked about')
          this.kept.set(key, asked)
          return asked
        }
        const shaped = { ...response, body: shape(response.body) }
        if (shaped.etag !== undefined) this.kept.set(key, shaped)
        // The oldest goes first: tokens rotate, and their reads are asked again with the next one.
        if (this.kept.size > KEPT_READS) this.kept.delete(this.kept.keys().next().value ?? '')
        return shaped
      } catch (error) {
        // A wait longer than a few seconds is left to a later invocation.
        if (!(error instanceof GitHubError) || !error.retryable || attempt >= READ_ATTEMPTS) throw error
        if ((error.retryAfterMs ?? 0) > 5_000) throw error
        const delay = error.retryAfterMs ?? 500 * 2 ** attempt
        this.log.debug(`GitHub: ${error.message}; trying again in ${delay} ms`)
        await this.clock.sleep(delay)
      }
    }
  }

  /**
   * One request with the repository's token; after a 401, once more with a
   * fresh one. While GitHub has asked the account to wait, nothing is sent.
   */
  private async send(
    owner: string,
    repo: string,
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    keptFor?: (token: string) => RawResponse | undefined
  ): Promise<RawResponse & { token: string }> {
    const budget = this.budgets.get(owner.toLowerCase()) ?? {}
    this.budgets.set(owner.toLowerCase(), budget)
    const wait = (budget.pausedUntil ?? 0) - this.clock.now()
    if (wait > 0) throw new GitHubError('throttled', `${method} ${url}`, 'GitHub asked to wait', undefined, wait)
    const sendWith = async (token: string) => {
      while (this.inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => this.waiting.push(resolve))
      this.inFlight += 1
      try {
        const etag = keptFor?.(token)?.etag
        const response = await githubRequest(
          this.baseUrl,
          method,
          url,
          `Bearer ${token}`,
          body,
          this.fetcher,
          this.clock,
          etag
        )
        if (response.rate) budget.rate = response.rate
        return { ...response, token }
      } catch (error) {
        if (error instanceof GitHubError && error.kind === 'throttled' && error.retryAfterMs)
          budget.pausedUntil = this.clock.now() + error.retryAfterMs
        throw error
      } finally {
        this.inFlight -= 1
        this.waiting.shift()?.()
      }
    }
    const token = await this.tokens.token(owner, repo)
    try {
      return await sendWith(token)
    } catch (error) {
      // A 401 changed nothing on GitHub's side, so asking again is safe.
      if (!(error instanceof GitHubError && error.kind === 'unauthorized')) throw error
      if (!(await this.tokens.refresh(owner, repo, token))) throw error
      this.log.info('GitHub refused the token; trying once more with a fresh one', { repository: `${owner}/${repo}` })
      return sendWith(await this.tokens.token(owner, repo))
    }
  }
}

function path(segment: string): string {
  return encodeURIComponent(segment)
}

function workflowPath(target: WorkflowTarget): string {
  return `/repos/${path(target.owner)}/${path(target.repo)}/actions/workflows/${path(target.workflow)}`
}
