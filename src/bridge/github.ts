import type { Clock } from './clock.js'
import { GitHubError, githubRequest, type RawResponse } from './github-request.js'
import { agentFetch } from './http.js'
import type { Logger } from './json-log.js'
import type { WorkflowTarget } from './target.js'

/** Read requests are tried this many times within one invocation; starting a run, once. */
const READ_ATTEMPTS = 3
/** Pages of 100 runs read at most when looking for a run, newest first. */
const RUN_PAGES = 10

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
  /** Read only to bind a run's token to it (run-binding.ts checks each one's type). */
  readonly run_attempt?: unknown
  readonly event?: unknown
  readonly path?: unknown
  readonly head_branch?: unknown
  readonly repository?: { readonly id?: unknown }
  readonly actor?: { readonly id?: unknown; readonly login?: unknown }
}

/** True for what GitHub answers for a run: the fields the bridge reads, of the types it reads them as. */
function isWorkflowRun(value: unknown): value is WorkflowRun {
  if (typeof value !== 'object' || value === null) return false
  const run = value as Record<string, unknown>
  return (
    typeof run.id === 'number' &&
    typeof run.status === 'string' &&
    (typeof run.conclusion === 'string' || run.conclusion === null || run.conclusion === undefined) &&
    typeof run.html_url === 'string' &&
    (typeof run.display_title === 'string' || run.display_title === undefined) &&
    typeof run.created_at === 'string' &&
    !Number.isNaN(Date.parse(run.created_at))
  )
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
    const created = new Date(since).toISOString().replace(/\.\d{3}Z$/, 'Z')
    const query = `event=workflow_dispatch&per_page=100&created=${encodeURIComponent(`>=${created}`)}`
    const runs: WorkflowRun[] = []
    let url: string | undefined = `${workflowPath(target)}/runs?${query}`
    for (let page = 0; url !== undefined && page < RUN_PAGES; page++) {
      const { body, next }: RawResponse = await this.read(target.owner, target.repo, url)
      const listed = (body as { workflow_runs?: unknown } | undefined)?.workflow_runs
      // A list entry that is not a run is passed over: it names no job, and the rest still may.
      const page = Array.isArray(listed) ? listed.filter(isWorkflowRun) : []
      if (page.length === 0) break
      runs.push(...page)
      const oldest = Date.parse(page.at(-1)?.created_at ?? '')
      url = oldest >= since ? next : undefined
    }
    return runs
  }

  async run(owner: string, repo: string, runId: number): Promise<WorkflowRun> {
    const request = `/repos/${path(owner)}/${path(repo)}/actions/runs/${runId}`
    const { body } = await this.read(owner, repo, request)
    // A 200 that is not a run (an empty body, a proxy's login page) is read as GitHub being unavailable:
    // the run is read again, backing off, within the bound that leaves the pipeline time.
    if (!isWorkflowRun(body)) throw new GitHubError('unavailable', `GET ${request}`, 'the answer is not a workflow run')
    return body
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

  /** A read, tried again within the invocation on a passing failure. */
  private async read(owner: string, repo: string, url: string): Promise<RawResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(owner, repo, 'GET', url)
      } catch (error) {
        if (!(error instanceof GitHubError) || !error.retryable || attempt >= READ_ATTEMPTS) throw error
        const delay = Math.min(error.retryAfterMs ?? 500 * 2 ** attempt, 5_000)
        this.log.debug(`GitHub: ${error.message}; trying again in ${delay} ms`)
        await this.clock.sleep(delay)
      }
    }
  }

  /** One request with the repository's token; after a 401, once more with a fresh one. */
  private async send(
    owner: string,
    repo: string,
    method: 'GET' | 'POST',
    url: string,
    body?: unknown
  ): Promise<RawResponse> {
    const sendWith = (token: string) =>
      githubRequest(this.baseUrl, method, url, `Bearer ${token}`, body, this.fetcher, this.clock)
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
