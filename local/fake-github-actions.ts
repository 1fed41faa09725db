import { createPublicKey, createVerify, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
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
  readonly html_url: string
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

/** `github.com`: dispatch can return the run. `ghes-3.20`: the body field is refused and dispatch answers 204. */
export type Flavour = 'github.com' | 'ghes-3.20'

const json = (response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
  const text = body === undefined ? '' : JSON.stringify(body)
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    ...(text && { 'content-length': Buffer.byteLength(text) })
  })
  response.end(text)
}

/**
 * A stand-in for GitHub's REST API as the bridge uses it: repositories,
 * workflow dispatch, runs, cancelling, and GitHub App authentication with
 * real RS256 JWT checks. Runs only change when a test (or the demo) moves them.
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
        if (!response.headersSent) json(response, 500, { message: String(error) })
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

  /** Runs the run again, as its Re-run button does: the next attempt, queued. */
  rerun(run: FakeRun): void {
    run.run_attempt += 1
    this.setRun(run, 'queued', null)
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
    run.status = status
    run.conclusion = conclusion
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

  /** Forgets requests and faults; with `runs`, the runs and issued tokens too. */
  reset({ runs = false } = {}): void {
    this.requests.length = 0
    this.faults.length = 0
    if (runs) {
      this.runs.length = 0
      this.issued.length = 0
      this.tokenLifetimeMs = 60 * 60_000
      this.runListLagMs = 0
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
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
    const [status, answer, headers] = await this.route(method, url, body, request.headers.authorization ?? '')
    if (fault?.kind === 'drop-after') {
      recorded.status = 'dropped'
      request.socket.destroy()
      return
    }
    recorded.status = status
    json(response, status, answer, headers)
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
        account: APP_ACCOUNT
      })
      this.issued.push({ token, installation, repositories: wanted?.repositories, permissions: wanted?.permissions })
      return [
        201,
        { token, expires_at: new Date(expiresAt).toISOString(), permissions: wanted?.permissions ?? app.permissions }
      ]
    }
    if (path === '/user' && method === 'GET') {
      const caller = this.tokens.get(authorization.replace(/^(Bearer|token) /, ''))
      // An installation token has no user to be: GitHub refuses it here.
      if (!caller || caller.account === APP_ACCOUNT)
        return [caller ? 403 : 401, { message: 'Resource not accessible by integration' }]
      return [200, caller.account]
    }
    if (!(match = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path))) return [404, { message: 'Not Found' }]
    const fullName = `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`
    const rest = match[3] ?? ''
    const token = this.tokens.get(authorization.replace(/^(Bearer|token) /, ''))
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
    if ((match = /^\/actions\/workflows\/([^/]+)\/runs$/.exec(rest)) && method === 'GET') {
      if (!may('actions', 'read')) return [403, { message: 'Resource not accessible by integration' }]
      const file = decodeURIComponent(match[1]!)
      const created = /^>=(.+)$/.exec(url.searchParams.get('created') ?? '')?.[1]
      const listedFrom = new Date(Date.now() - this.runListLagMs).toISOString()
      const runs = this.runs
        .filter((run) => run.repository === fullName && run.workflow === file)
        .filter((run) => created === undefined || run.created_at >= created)
        .filter((run) => this.runListLagMs === 0 || run.created_at <= listedFrom)
        .sort((a, b) => b.id - a.id)
      // Pages as GitHub gives them: per_page (30 unless asked, 100 at most), and a link to the next.
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100)
      const page = Number(url.searchParams.get('page') ?? 1)
      const next = new URL(`${this.url}${url.pathname}${url.search}`)
      next.searchParams.set('page', String(page + 1))
      const link = runs.length > page * perPage ? { link: `<${next.href}>; rel="next"` } : undefined
      return [
        200,
        { total_count: runs.length, workflow_runs: runs.slice((page - 1) * perPage, page * perPage).map(runJson) },
        link
      ]
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
        : workflow.file.replace(/\.ya?ml$/, ''),
      created_at: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      html_url: `https://github.com/${fullName}/actions/runs/${id}`
    }
    this.runs.push(run)
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
    event: 'workflow_dispatch',
    path: `.github/workflows/${workflow}`,
    head_branch: ref,
    repository: { id: repositoryId(repository), full_name: repository },
    triggering_actor: run.actor
  }
}
