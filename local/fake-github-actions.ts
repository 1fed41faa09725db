import {
  createHash,
  createHmac,
  createPublicKey,
  createVerify,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject
} from 'node:crypto'
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse
} from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'

/** A workflow file in a fake repository. */
export interface FakeWorkflow {
  readonly file: string
  /** Declared workflow_dispatch inputs; `required` ones must be given. */
  readonly inputs?: Readonly<Record<string, { required?: boolean }>>
  /** False for a workflow without an `on: workflow_dispatch` trigger. */
  readonly dispatchable?: boolean
  enabled?: boolean
  /** The workflow's `run-name`, with `${{ inputs.NAME }}` filled in; without it, runs are named after the file. */
  readonly runName?: string
}

export interface FakeRun {
  readonly id: number
  readonly repository: string
  readonly workflow: string
  readonly ref: string
  readonly inputs: Readonly<Record<string, string>>
  /** Who dispatched it. */
  readonly actor: Account
  /** 1, and one more with each re-run. */
  run_attempt: number
  status: 'queued' | 'in_progress' | 'completed' | 'waiting'
  conclusion: string | null
  display_title: string
  created_at: string
  /** Moves with every change of status, conclusion or attempt. */
  updated_at: string
  readonly html_url: string
}

/** What a workflow_run delivery announces. */
export type WorkflowRunAction = 'requested' | 'in_progress' | 'completed'

/** Where the fake sends workflow_run deliveries, as an App's webhook. */
export interface FakeWebhook {
  readonly url: string
  readonly secret: string
  /** True for a delivery that GitHub never sends. */
  readonly lose?: (delivery: { action: string; runId: number }) => boolean
}

export interface RecordedDelivery {
  readonly deliveryId: string
  readonly action: string
  readonly runId: number
  /** The receiver's HTTP status; 'lost' when never sent, 'failed' when no answer came. */
  status: number | 'lost' | 'failed'
  ms?: number
  /** The exact bytes sent (or that would have been), to replay. */
  readonly body: string
}

export interface DeliveryOptions {
  /** The webhook's URL and secret unless given. */
  readonly url?: string
  readonly secret?: string
  /** The whole `x-hub-signature-256` value, to send a forged one; '' sends none. */
  readonly signature?: string
  /** A fresh UUID unless given; a redelivery keeps the first one. */
  readonly deliveryId?: string
  readonly event?: string
}

export interface DeliveryAnswer {
  readonly status: number
  readonly body: string
  readonly ms: number
  readonly deliveryId: string
}

/** Calls made of the fake, for a benchmark to weigh. */
export interface GitHubTally {
  /** Requests the App made with its JWT. */
  app: number
  /** Dispatches that made a run. */
  dispatches: number
  cancels: number
  /** Requests counted against a primary rate limit. */
  counted: number
  /** GET requests counted against a primary rate limit. */
  reads: number
  /** 304 answers, which cost nothing. */
  notModified: number
  secondaryRefusals: number
}

/** GitHub's secondary limits, per installation or account; Infinity turns one off. */
export interface SecondaryLimits {
  /** Requests in flight at once. */
  concurrent: number
  /** Dispatches and cancels within any 60 seconds. */
  contentPerMinute: number
  /** Dispatches and cancels within any hour. */
  contentPerHour: number
}

export interface RecordedGitHubRequest {
  readonly method: string
  readonly path: string
  readonly body: unknown
  readonly authorization?: string
  /** The HTTP status answered, or 'dropped'. */
  status?: number | 'dropped'
}

/** A misbehaviour for the next requests that match. */
export type GitHubFault =
  | {
      readonly kind: 'status'
      readonly status: number
      readonly message?: string
      readonly headers?: Record<string, string>
    }
  /** Carries the request out, then closes the connection: the answer is lost. */
  | { readonly kind: 'drop-after' }
  /** Closes the connection without doing anything. */
  | { readonly kind: 'drop-before' }

interface Token {
  readonly repositories?: readonly string[]
  readonly permissions: Readonly<Record<string, string>>
  expiresAt?: number
  /** Whose token it is: the account a dispatch made with it names as the run's actor. */
  readonly account: Account
  /** The installation an installation token was minted for: its requests count against the installation. */
  readonly installation?: number
}

/** The rate limits' state for one installation or account. */
interface Bucket {
  readonly owner: { readonly kind: 'installation' | 'user'; readonly id: number }
  /** Requests arrived and not yet answered, whatever their token's state now. */
  inFlight: number
  /** When the primary window began: at the first request counted in it. */
  windowStart?: number
  used: number
  /** When each dispatch or cancel let through within the last hour was made, oldest first. */
  content: number[]
}

interface Answer {
  readonly status: number
  /** The JSON text, exactly as sent: ETags hash it. */
  readonly text: string
  readonly headers: Record<string, string>
}

export interface Account {
  readonly login: string
  readonly id: number
}

/** The account fine-grained tokens belong to, unless a test names another. */
export const TOKEN_ACCOUNT: Account = { login: 'release-bot', id: 5_001 }
/** The fake App's slug, and the bot account its installation tokens act as. */
export const APP_SLUG = 'pipeline-bridge'
export const APP_ACCOUNT: Account = { login: `${APP_SLUG}[bot]`, id: 4_001 }

/** A repository's ID, fixed by its name. */
export function repositoryId(fullName: string): number {
  let id = 7
  for (const char of fullName.toLowerCase()) id = (id * 31 + char.charCodeAt(0)) % 1_000_000_007
  return id
}

interface App {
  readonly id: string
  readonly publicKey: KeyObject
  readonly installations: Map<string, number>
  readonly permissions: Readonly<Record<string, string>>
}

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
/** GitHub gives up on a webhook receiver after 10 seconds, and never retries by itself. */
const DELIVERY_TIMEOUT_MS = 10_000
const DEFAULT_RATE_LIMIT = 5_000
const defaultSecondaryLimits = (): SecondaryLimits => ({ concurrent: 100, contentPerMinute: 80, contentPerHour: 500 })
const emptyTally = (): GitHubTally => ({
  app: 0,
  dispatches: 0,
  cancels: 0,
  counted: 0,
  reads: 0,
  notModified: 0,
  secondaryRefusals: 0
})
const SECONDARY_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'
/** Content creation, which GitHub's secondary limits weigh apart from reads. */
const CONTENT_PATH = /^\/repos\/[^/]+\/[^/]+\/actions\/(workflows\/[^/]+\/dispatches|runs\/\d+\/cancel)$/
/** The App's own requests, made with its JWT rather than a token. */
const APP_PATH = /^\/(repos\/[^/]+\/[^/]+\/installation|app\/installations\/\d+\/access_tokens)$/
/** The fields of a run that a workflow_run payload carries. */
const WORKFLOW_RUN_FIELDS = [
  'id',
  'name',
  'display_title',
  'event',
  'status',
  'conclusion',
  'html_url',
  'run_attempt',
  'created_at',
  'updated_at',
  'head_branch',
  'path',
  'repository',
  'actor'
] as const

/** A time as GitHub writes it: to the second. */
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
const workflowName = (file: string): string => file.replace(/\.ya?ml$/, '')
const bearer = (authorization: string): string => authorization.replace(/^(Bearer|token) /, '')

/** `github.com`: dispatch can return the run. `ghes-3.20`: the body field is refused and dispatch answers 204. */
export type Flavour = 'github.com' | 'ghes-3.20'

/** Whether an If-None-Match header names this ETag. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  return (ifNoneMatch ?? '').split(',').some((candidate) => candidate.trim() === etag)
}

/** POSTs a body over node:http(s), as GitHub's hookshot does: its answer, or a rejection after the timeout. */
function post(url: string, body: string, headers: OutgoingHttpHeaders): Promise<{ status: number; body: string }> {
  const target = new URL(url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const outgoing = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS)
      },
      (incoming) => {
        const chunks: Buffer[] = []
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
        incoming.on('error', reject)
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })
        )
      }
    )
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

/**
 * A stand-in for GitHub's REST API as the bridge uses it: repositories,
 * workflow dispatch, runs, cancelling, and GitHub App authentication with
 * real RS256 JWT checks. Runs only change when a test (or the demo) moves them.
 * As GitHub at scale, it gives ETags and answers 304s, keeps primary and
 * secondary rate limits per installation or account, and sends signed
 * workflow_run deliveries to a webhook.
 */
export class FakeGitHubActions {
  readonly runs: FakeRun[] = []
  readonly requests: RecordedGitHubRequest[] = []
  /** Installation tokens handed out, and what they were narrowed to. */
  readonly issued: {
    token: string
    installation: number
    repositories?: string[]
    permissions?: Record<string, string>
  }[] = []
  /** Called once a dispatch has made a run, before the answer goes back. */
  onDispatch?: (run: FakeRun) => void | Promise<void>
  /** Called with each request before it is handled. */
  onRequest?: (request: RecordedGitHubRequest) => void | Promise<void>
  private readonly repos = new Map<
    string,
    { defaultBranch: string; branches: Set<string>; workflows: FakeWorkflow[] }
  >()
  private readonly tokens = new Map<string, Token>()
  private readonly faults: { method?: string; path?: RegExp; fault: GitHubFault; times: number }[] = []
  private app?: App
  private nextRunId = 9_100_000_001
  /** How long installation tokens last. */
  tokenLifetimeMs = 60 * 60_000
  /** How long a new run stays out of the run list, as when GitHub is degraded. */
  runListLagMs = 0
  /** Requests an hour, per installation or account. */
  rateLimit = DEFAULT_RATE_LIMIT
  secondaryLimits: SecondaryLimits = defaultSecondaryLimits()
  readonly tally: GitHubTally = emptyTally()
  /** Where workflow_run deliveries go; none are sent without it. */
  webhook?: FakeWebhook
  /** Every workflow_run delivery the fake made or lost, in the order of the events. */
  readonly deliveries: RecordedDelivery[] = []
  private readonly buckets = new Map<string, Bucket>()
  /** Deliveries go out one after another, in the order of the events. */
  private deliveryQueue: Promise<void> = Promise.resolve()
  /** Deliveries queued before the last reset of the runs are never sent. */
  private deliveryGeneration = 0

  private constructor(
    private readonly server: Server,
    readonly flavour: Flavour,
    private readonly now: () => number
  ) {}

  /** `now` is the time runs, tokens and JWTs are judged by: Date.now, or a clock shared with the bridge (local/clock.ts). */
  static async start(flavour: Flavour = 'github.com', now: () => number = Date.now): Promise<FakeGitHubActions> {
    const server = createServer()
    const api = new FakeGitHubActions(server, flavour, now)
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      api.handle(request, response).catch((error: unknown) => {
        if (response.headersSent) return
        response.writeHead(500, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ message: String(error) }))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return api
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  addRepo(fullName: string, options: { defaultBranch?: string; branches?: string[]; workflows: FakeWorkflow[] }): void {
    const defaultBranch = options.defaultBranch ?? 'main'
    this.repos.set(fullName.toLowerCase(), {
      defaultBranch,
      branches: new Set([defaultBranch, ...(options.branches ?? [])]),
      workflows: options.workflows
    })
  }

  /** A fine-grained token; without `repositories`, it reaches every repository. */
  addToken(
    token: string,
    options: { repositories?: string[]; permissions?: Record<string, string>; account?: Account } = {}
  ): void {
    this.tokens.set(token, {
      repositories: options.repositories?.map((name) => name.toLowerCase()),
      permissions: options.permissions ?? { actions: 'write', metadata: 'read' },
      account: options.account ?? TOKEN_ACCOUNT
    })
  }

  /** Runs the run again, as its Re-run button does: the next attempt, queued, and requested anew. */
  rerun(run: FakeRun): void {
    run.run_attempt += 1
    this.setRun(run, 'queued', null)
    this.announce(run, 'requested')
  }

  revoke(token: string): void {
    this.tokens.delete(token)
  }

  /** Makes a GitHub App installed on these repositories; its private key goes in the secret. */
  createApp(
    installations: Record<string, number>,
    permissions: Record<string, string> = { actions: 'write', metadata: 'read', contents: 'read' }
  ): { appId: string; privateKey: string } {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
    this.app = {
      id: '424242',
      publicKey: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })),
      installations: new Map(Object.entries(installations).map(([name, id]) => [name.toLowerCase(), id])),
      permissions
    }
    return { appId: this.app.id, privateKey: privateKeyPem }
  }

  /** Ends every installation token handed out so far, as an expiry or a revocation would. */
  expireInstallationTokens(): void {
    for (const { token } of this.issued) this.tokens.delete(token)
  }

  inject(fault: GitHubFault, options: { method?: string; path?: RegExp; times?: number } = {}): void {
    this.faults.push({ fault, method: options.method, path: options.path, times: options.times ?? 1 })
  }

  workflow(fullName: string, file: string): FakeWorkflow | undefined {
    return this.repos.get(fullName.toLowerCase())?.workflows.find((workflow) => workflow.file === file)
  }

  /** Moves a run on, as a runner would. */
  setRun(run: FakeRun, status: FakeRun['status'], conclusion: string | null = null): void {
    const was = run.status
    run.status = status
    run.conclusion = conclusion
    run.updated_at = isoSeconds(this.now())
    if (status !== was && (status === 'in_progress' || status === 'completed')) this.announce(run, status)
  }

  /** What is left of the primary rate limit of the token's installation or account. */
  remaining(token: string): number | undefined {
    const found = this.tokens.get(token)
    return found && this.rateWindow(this.bucketOf(found)).remaining
  }

  /** The `workflow_run` event's payload as GitHub sends it, with the values the API gives for the run. */
  workflowRunPayload(run: FakeRun, action: WorkflowRunAction): Record<string, unknown> {
    const fields = runJson(run)
    const [owner = '', name = ''] = run.repository.split('/')
    const installation = this.app?.installations.get(run.repository.toLowerCase())
    return {
      action,
      workflow_run: Object.fromEntries(WORKFLOW_RUN_FIELDS.map((field) => [field, fields[field]])),
      repository: { id: repositoryId(run.repository), full_name: run.repository, name, owner: { login: owner } },
      ...(installation !== undefined && { installation: { id: installation } }),
      sender: { login: run.actor.login, id: run.actor.id }
    }
  }

  /** Sends one delivery, signed with the secret unless `signature` is given; for forged, repeated or stray ones. */
  async deliver(body: string | Record<string, unknown>, options: DeliveryOptions = {}): Promise<DeliveryAnswer> {
    const url = options.url ?? this.webhook?.url
    if (url === undefined) throw new Error('No webhook to deliver to: set `webhook` or give a url')
    const secret = options.secret ?? this.webhook?.secret
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    const deliveryId = options.deliveryId ?? randomUUID()
    const signature =
      options.signature ??
      (secret === undefined ? undefined : `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`)
    const started = performance.now()
    const answer = await post(url, text, {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/fake',
      'x-github-event': options.event ?? 'workflow_run',
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '1',
      'x-github-hook-installation-target-type': 'integration',
      ...(signature && { 'x-hub-signature-256': signature })
    })
    return { ...answer, ms: performance.now() - started, deliveryId }
  }

  /** Resolves once every delivery queued so far, and any queued meanwhile, has been answered or given up. */
  async deliveriesSettled(): Promise<void> {
    let tail: Promise<void>
    do {
      tail = this.deliveryQueue
      await tail
    } while (tail !== this.deliveryQueue)
  }

  requestsTo(method: string, path: RegExp): RecordedGitHubRequest[] {
    return this.requests.filter((request) => request.method === method && path.test(request.path))
  }

  /** Dispatch requests that made a run. */
  get dispatches(): RecordedGitHubRequest[] {
    return this.requestsTo('POST', /\/dispatches$/).filter(
      (request) => request.status === 200 || request.status === 204
    )
  }

  /**
   * Forgets requests, faults and the tally. With `runs`, also the runs, issued tokens, deliveries,
   * the webhook and what the rate limits have counted, and puts the limits back to GitHub's.
   */
  reset({ runs = false } = {}): void {
    this.requests.length = 0
    this.faults.length = 0
    Object.assign(this.tally, emptyTally())
    if (runs) {
      // Requests still in flight stay counted as such: their answers are yet to be written.
      for (const bucket of this.buckets.values()) {
        bucket.windowStart = undefined
        bucket.used = 0
        bucket.content = []
      }
      this.runs.length = 0
      this.issued.length = 0
      this.tokenLifetimeMs = 60 * 60_000
      this.runListLagMs = 0
      this.rateLimit = DEFAULT_RATE_LIMIT
      this.secondaryLimits = defaultSecondaryLimits()
      this.webhook = undefined
      this.deliveries.length = 0
      this.deliveryGeneration += 1
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // In flight from arrival until the answer is written (or the connection ends), whatever happens meanwhile.
    const arriving = this.tokens.get(bearer(request.headers.authorization ?? ''))
    if (arriving) {
      const bucket = this.bucketOf(arriving)
      bucket.inFlight += 1
      response.once('close', () => (bucket.inFlight -= 1))
    }
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const body: unknown = text === '' ? undefined : JSON.parse(text)
    const url = new URL(request.url ?? '/', 'http://fake')
    const method = request.method ?? 'GET'
    const recorded: RecordedGitHubRequest = {
      method,
      path: url.pathname,
      body,
      authorization: request.headers.authorization
    }
    this.requests.push(recorded)
    await this.onRequest?.(recorded)
    const fault = this.takeFault(method, url.pathname)
    if (fault?.kind === 'drop-before') {
      recorded.status = 'dropped'
      request.socket.destroy()
      return
    }
    if (fault?.kind === 'status') {
      recorded.status = fault.status
      response.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers })
      response.end(JSON.stringify({ message: fault.message ?? 'Server Error' }))
      return
    }
    const answer = await this.answer(method, url, body, request.headers)
    if (fault?.kind === 'drop-after') {
      recorded.status = 'dropped'
      request.socket.destroy()
      return
    }
    recorded.status = answer.status
    response.writeHead(answer.status, {
      ...answer.headers,
      ...(answer.status !== 304 && { 'content-type': 'application/json' }),
      ...(answer.text && { 'content-length': Buffer.byteLength(answer.text) })
    })
    response.end(answer.text)
  }

  /**
   * The answer to a request the fault rules let through, after GitHub's rate limits. A token's
   * request counts one against its installation or account, unless it is refused by a limit or
   * answered 304; the App's JWT requests count against neither.
   */
  private async answer(method: string, url: URL, body: unknown, headers: IncomingHttpHeaders): Promise<Answer> {
    const credential = bearer(headers.authorization ?? '')
    const token = this.tokens.get(credential)
    const live = token && (token.expiresAt === undefined || token.expiresAt >= this.now())
    if (APP_PATH.test(url.pathname)) this.tally.app += 1
    // A read changes nothing, so it may be worked out before the limits are judged.
    const read =
      method === 'GET' ? this.withEtag(url, credential, await this.routed(method, url, body, headers)) : undefined
    // From here to the count, nothing waits: requests that run side by side are counted one by one.
    const bucket = live ? this.bucketOf(token) : undefined
    if (bucket && bucket.inFlight > this.secondaryLimits.concurrent) return this.secondaryRefusal(bucket, 60)
    if (bucket && this.rateWindow(bucket).remaining === 0) {
      const { kind, id } = bucket.owner
      return {
        status: 403,
        text: JSON.stringify({ message: `API rate limit exceeded for ${kind} ID ${id}.` }),
        headers: this.rateHeaders(bucket)
      }
    }
    if (read?.headers.etag !== undefined && matches(headers['if-none-match'], read.headers.etag)) {
      this.tally.notModified += 1
      return { status: 304, text: '', headers: { ...read.headers, ...(bucket && this.rateHeaders(bucket)) } }
    }
    if (!bucket) return read ?? (await this.routed(method, url, body, headers))
    const content = method === 'POST' && CONTENT_PATH.test(url.pathname)
    if (content) {
      const waitMs = this.contentWaitMs(bucket)
      if (waitMs > 0) return this.secondaryRefusal(bucket, Math.max(1, Math.ceil(waitMs / 1000)))
      bucket.content.push(this.now())
    }
    this.count(bucket, method)
    const answer = read ?? (await this.routed(method, url, body, headers))
    if (content && url.pathname.endsWith('/cancel')) this.tally.cancels += 1
    if (content && url.pathname.endsWith('/dispatches') && answer.status >= 200 && answer.status < 300)
      this.tally.dispatches += 1
    // The count's headers as they stand once the request is answered.
    return { ...answer, headers: { ...answer.headers, ...this.rateHeaders(bucket) } }
  }

  private async routed(method: string, url: URL, body: unknown, headers: IncomingHttpHeaders): Promise<Answer> {
    const [status, answer, extra] = await this.route(method, url, body, headers.authorization ?? '')
    return { status, text: answer === undefined ? '' : JSON.stringify(answer), headers: extra ?? {} }
  }

  /** A read's answer with its ETag: per token, so that one token's cached answer is never another's. */
  private withEtag(url: URL, credential: string, answer: Answer): Answer {
    if (answer.status !== 200 || !url.pathname.startsWith('/repos/')) return answer
    const hash = createHash('sha256').update(credential).update('\0').update(answer.text).digest('hex')
    return { ...answer, headers: { ...answer.headers, etag: `W/"${hash}"` } }
  }

  private secondaryRefusal(bucket: Bucket, retryAfterSeconds: number): Answer {
    this.tally.secondaryRefusals += 1
    return {
      status: 403,
      text: JSON.stringify({ message: SECONDARY_LIMIT_MESSAGE }),
      headers: { 'retry-after': String(retryAfterSeconds), ...this.rateHeaders(bucket) }
    }
  }

  /** How long until one more dispatch or cancel fits in both content windows; 0 when it fits now. */
  private contentWaitMs(bucket: Bucket): number {
    const now = this.now()
    bucket.content = bucket.content.filter((at) => at > now - HOUR_MS)
    const { contentPerMinute, contentPerHour } = this.secondaryLimits
    const waits = (
      [
        [MINUTE_MS, contentPerMinute],
        [HOUR_MS, contentPerHour]
      ] as const
    ).map(([spanMs, limit]) => {
      const within = bucket.content.filter((at) => at > now - spanMs)
      // The one whose leaving makes room: the oldest, unless the limit was lowered under the count.
      return within.length >= limit ? (within[within.length - limit] ?? now) + spanMs - now : 0
    })
    return Math.max(...waits)
  }

  private count(bucket: Bucket, method: string): void {
    this.rateWindow(bucket)
    bucket.windowStart ??= this.now()
    bucket.used += 1
    this.tally.counted += 1
    if (method === 'GET') this.tally.reads += 1
  }

  /** The primary window as it stands now: a window an hour old has ended, and the next begins at the next count. */
  private rateWindow(bucket: Bucket): { remaining: number; resetsAt: number } {
    const now = this.now()
    if (bucket.windowStart !== undefined && now >= bucket.windowStart + HOUR_MS) {
      bucket.windowStart = undefined
      bucket.used = 0
    }
    return {
      remaining: Math.max(0, this.rateLimit - bucket.used),
      resetsAt: (bucket.windowStart ?? now) + HOUR_MS
    }
  }

  private rateHeaders(bucket: Bucket): Record<string, string> {
    const { remaining, resetsAt } = this.rateWindow(bucket)
    return {
      'x-ratelimit-limit': String(this.rateLimit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-used': String(bucket.used),
      'x-ratelimit-reset': String(Math.ceil(resetsAt / 1000)),
      'x-ratelimit-resource': 'core'
    }
  }

  /** Installation tokens count against their installation; fine-grained tokens against their account. */
  private bucketOf(token: Token): Bucket {
    const owner =
      token.installation === undefined
        ? { kind: 'user' as const, id: token.account.id }
        : { kind: 'installation' as const, id: token.installation }
    const key = `${owner.kind} ${owner.id}`
    let bucket = this.buckets.get(key)
    if (!bucket) {
      bucket = { owner, inFlight: 0, used: 0, content: [] }
      this.buckets.set(key, bucket)
    }
    return bucket
  }

  /** Queues a workflow_run delivery of the run as it is now, when there is a webhook. */
  private announce(run: FakeRun, action: WorkflowRunAction): void {
    const webhook = this.webhook
    if (!webhook) return
    const body = JSON.stringify(this.workflowRunPayload(run, action))
    const lost = webhook.lose?.({ action, runId: run.id }) ?? false
    const generation = this.deliveryGeneration
    const delivery: RecordedDelivery = { deliveryId: randomUUID(), action, runId: run.id, status: 'lost', body }
    this.deliveryQueue = this.deliveryQueue.then(async () => {
      if (generation !== this.deliveryGeneration) return
      if (!lost) {
        try {
          const answer = await this.deliver(body, {
            url: webhook.url,
            secret: webhook.secret,
            deliveryId: delivery.deliveryId
          })
          delivery.status = answer.status
          delivery.ms = answer.ms
        } catch {
          delivery.status = 'failed'
        }
      }
      // A delivery still under way when the runs were reset belongs to the world before.
      if (generation === this.deliveryGeneration) this.deliveries.push(delivery)
    })
  }

  private takeFault(method: string, path: string): GitHubFault | undefined {
    const rule = this.faults.find(
      (candidate) =>
        candidate.times > 0 && (candidate.method ?? method) === method && (candidate.path?.test(path) ?? true)
    )
    if (!rule) return undefined
    rule.times -= 1
    return rule.fault
  }

  private async route(
    method: string,
    url: URL,
    body: unknown,
    authorization: string
  ): Promise<[number, unknown?, Record<string, string>?]> {
    const path = url.pathname
    let match: RegExpExecArray | null
    if ((match = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(path)) && method === 'GET') {
      const app = this.verifyJwt(authorization)
      if (typeof app === 'string') return [401, { message: app }]
      const id = app.installations.get(
        `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`.toLowerCase()
      )
      return id === undefined
        ? [404, { message: 'Not Found' }]
        : [200, { id, app_id: Number(app.id), app_slug: APP_SLUG }]
    }
    if ((match = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path)) && method === 'POST') {
      const app = this.verifyJwt(authorization)
      if (typeof app === 'string') return [401, { message: app }]
      const installation = Number(match[1])
      const repos = [...app.installations].filter(([, id]) => id === installation).map(([name]) => name)
      if (repos.length === 0) return [404, { message: 'Not Found' }]
      const wanted = body as { repositories?: string[]; permissions?: Record<string, string> } | undefined
      for (const [name, level] of Object.entries(wanted?.permissions ?? {})) {
        const granted = app.permissions[name]
        if (granted === undefined || (granted === 'read' && level === 'write'))
          return [422, { message: 'The permissions requested are not granted to this installation.' }]
      }
      const owner = repos[0]!.split('/')[0]!
      const repositories = (wanted?.repositories ?? repos.map((name) => name.split('/')[1]!)).map((name) =>
        `${owner}/${name}`.toLowerCase()
      )
      const token = `ghs_${randomBytes(18).toString('hex')}`
      const expiresAt = this.now() + this.tokenLifetimeMs
      this.tokens.set(token, {
        repositories,
        permissions: wanted?.permissions ?? app.permissions,
        expiresAt,
        account: APP_ACCOUNT,
        installation
      })
      this.issued.push({ token, installation, repositories: wanted?.repositories, permissions: wanted?.permissions })
      return [
        201,
        { token, expires_at: new Date(expiresAt).toISOString(), permissions: wanted?.permissions ?? app.permissions }
      ]
    }
    if (path === '/user' && method === 'GET') {
      const caller = this.tokens.get(bearer(authorization))
      // An installation token has no user to be: GitHub refuses it here.
      if (!caller || caller.account === APP_ACCOUNT)
        return [caller ? 403 : 401, { message: 'Resource not accessible by integration' }]
      return [200, caller.account]
    }
    if (!(match = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path))) return [404, { message: 'Not Found' }]
    const fullName = `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`
    const rest = match[3] ?? ''
    const token = this.tokens.get(bearer(authorization))
    if (!token || (token.expiresAt !== undefined && token.expiresAt < this.now()))
      return [401, { message: 'Bad credentials' }]
    const repo = this.repos.get(fullName.toLowerCase())
    // GitHub hides what a token cannot see.
    if (!repo || (token.repositories && !token.repositories.includes(fullName.toLowerCase())))
      return [404, { message: 'Not Found' }]
    const may = (permission: string, level: 'read' | 'write'): boolean =>
      token.permissions[permission] === 'write' || (level === 'read' && token.permissions[permission] === 'read')
    if (rest === '' && method === 'GET') return [200, { full_name: fullName, default_branch: repo.defaultBranch }]
    if ((match = /^\/actions\/workflows\/([^/]+)\/dispatches$/.exec(rest)) && method === 'POST') {
      if (!may('actions', 'write')) return [403, { message: 'Resource not accessible by integration' }]
      const workflow = repo.workflows.find((candidate) => candidate.file === decodeURIComponent(match![1]!))
      if (!workflow) return [404, { message: 'Not Found' }]
      return this.dispatch(fullName, repo.branches, workflow, body as Record<string, unknown>, token.account)
    }
    if ((match = /^\/actions(?:\/workflows\/([^/]+))?\/runs$/.exec(rest)) && method === 'GET') {
      if (!may('actions', 'read')) return [403, { message: 'Resource not accessible by integration' }]
      const file = match[1] === undefined ? undefined : decodeURIComponent(match[1])
      return this.runList(url, (run) => run.repository === fullName && (file === undefined || run.workflow === file))
    }
    if ((match = /^\/actions\/runs\/(\d+)(\/cancel)?$/.exec(rest))) {
      if (!may('actions', match[2] ? 'write' : 'read'))
        return [403, { message: 'Resource not accessible by integration' }]
      const run = this.runs.find((candidate) => candidate.id === Number(match![1]) && candidate.repository === fullName)
      if (!run) return [404, { message: 'Not Found' }]
      if (!match[2] && method === 'GET') return [200, runJson(run)]
      if (match[2] && method === 'POST') {
        if (run.status === 'completed') return [409, { message: 'Cannot cancel a workflow run that is completed.' }]
        this.setRun(run, 'completed', 'cancelled')
        return [202, {}]
      }
    }
    return [404, { message: 'Not Found' }]
  }

  /** A page of runs, newest first, filtered and paged as GitHub's run lists are. */
  private runList(url: URL, listed: (run: FakeRun) => boolean): [number, unknown, Record<string, string>?] {
    const query = url.searchParams
    const created = /^>=(.+)$/.exec(query.get('created') ?? '')?.[1]
    const event = query.get('event')
    // A status or a conclusion, as GitHub takes either.
    const status = query.get('status')
    const listedFrom = isoSeconds(this.now() - this.runListLagMs)
    // Every fake run was dispatched: no other event lists any.
    const runs = (event === null || event === 'workflow_dispatch' ? this.runs : [])
      .filter(listed)
      .filter((run) => status === null || run.status === status || run.conclusion === status)
      .filter((run) => created === undefined || run.created_at >= created)
      .filter((run) => this.runListLagMs === 0 || run.created_at <= listedFrom)
      .sort((a, b) => b.id - a.id)
    // Pages as GitHub gives them: per_page (30 unless asked, 100 at most), and a link to the next.
    const perPage = Math.min(Number(query.get('per_page') ?? 30), 100)
    const page = Number(query.get('page') ?? 1)
    const next = new URL(`${this.url}${url.pathname}${url.search}`)
    next.searchParams.set('page', String(page + 1))
    const link = runs.length > page * perPage ? { link: `<${next.href}>; rel="next"` } : undefined
    return [
      200,
      { total_count: runs.length, workflow_runs: runs.slice((page - 1) * perPage, page * perPage).map(runJson) },
      link
    ]
  }

  private async dispatch(
    fullName: string,
    branches: ReadonlySet<string>,
    workflow: FakeWorkflow,
    body: Record<string, unknown>,
    actor: Account
  ): Promise<[number, unknown?]> {
    const allowed = this.flavour === 'github.com' ? ['ref', 'inputs', 'return_run_details'] : ['ref', 'inputs']
    const unknown = Object.keys(body).find((key) => !allowed.includes(key))
    if (unknown) return [422, { message: `"${unknown}" is not a permitted key.` }]
    const ref = typeof body.ref === 'string' ? body.ref : ''
    if (!branches.has(ref)) return [422, { message: `No ref found for: ${ref}` }]
    if (workflow.enabled === false)
      return [422, { message: "Cannot trigger a 'workflow_dispatch' on a disabled workflow" }]
    if (workflow.dispatchable === false) return [422, { message: "Workflow does not have 'workflow_dispatch' trigger" }]
    const inputs = (body.inputs ?? {}) as Record<string, string>
    const declared = workflow.inputs ?? {}
    const unexpected = Object.keys(inputs).filter((name) => !(name in declared))
    if (unexpected.length > 0) return [422, { message: `Unexpected inputs provided: ${JSON.stringify(unexpected)}` }]
    const missing = Object.entries(declared).find(([name, input]) => input.required && !(name in inputs))
    if (missing) return [422, { message: `Required input '${missing[0]}' not provided` }]
    const id = this.nextRunId++
    const run: FakeRun = {
      id,
      repository: fullName,
      workflow: workflow.file,
      ref,
      inputs,
      actor,
      run_attempt: 1,
      status: 'queued',
      conclusion: null,
      display_title: workflow.runName
        ? workflow.runName.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, name: string) => inputs[name] ?? '')
        : workflowName(workflow.file),
      created_at: isoSeconds(this.now()),
      updated_at: isoSeconds(this.now()),
      html_url: `https://github.com/${fullName}/actions/runs/${id}`
    }
    this.runs.push(run)
    // Before onDispatch, which may move the run on: the request comes first.
    this.announce(run, 'requested')
    await this.onDispatch?.(run)
    if (body.return_run_details === true)
      return [
        200,
        { workflow_run_id: id, run_url: `${this.url}/repos/${fullName}/actions/runs/${id}`, html_url: run.html_url }
      ]
    return [204]
  }

  /** The App, when the JWT is good; otherwise GitHub's complaint. */
  private verifyJwt(authorization: string): App | string {
    const app = this.app
    if (!app) return 'A JSON web token could not be decoded'
    const [header, payload, signature] = authorization.replace(/^Bearer /, '').split('.')
    if (!header || !payload || !signature) return 'A JSON web token could not be decoded'
    const verified = createVerify('RSA-SHA256')
      .update(`${header}.${payload}`)
      .verify(app.publicKey, signature, 'base64url')
    if (!verified) return "'Issuer' claim ('iss') must be an Integer"
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iat: number; exp: number; iss: string }
    const now = this.now() / 1000
    if (claims.iss !== app.id) return "'Issuer' claim ('iss') must be an Integer"
    if (claims.exp < now || claims.iat > now + 60 || claims.exp - claims.iat > 600)
      return "'Expiration time' claim ('exp') is too far in the future"
    return app
  }
}

/** A run as GitHub's API answers it. */
function runJson(run: FakeRun): Record<string, unknown> {
  const { repository, workflow, ref, ...fields } = run
  return {
    ...fields,
    // A dispatch's inputs are not in GitHub's answer for a run.
    inputs: undefined,
    name: workflowName(workflow),
    event: 'workflow_dispatch',
    path: `.github/workflows/${workflow}`,
    head_branch: ref,
    repository: { id: repositoryId(repository), full_name: repository },
    triggering_actor: run.actor
  }
}
