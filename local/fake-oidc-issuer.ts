import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
  type JsonWebKey,
  type KeyObject
} from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Claims for a token, as a run's would carry them; any value may be given, of any type, to test refusals. */
export type TokenClaims = Readonly<Record<string, unknown>>

/** How a minted token departs from a good one. */
export interface MintOptions {
  /** The kid in the header; the signing key's by default. */
  readonly kid?: string
  /** The alg in the header. RS384 and RS512 are signed so; any other name is signed with RS256 regardless. */
  readonly alg?: string
  /** `outside`: signed with a key the issuer does not publish, under a kid it does. */
  readonly key?: 'outside'
  /** Header fields added last, over the others. */
  readonly header?: Readonly<Record<string, unknown>>
  /**
   * `none`: alg `none` and an empty signature. `hs256-with-public-key`: alg
   * HS256, with the signing key's public PEM as the HMAC secret.
   */
  readonly signature?: 'none' | 'hs256-with-public-key'
}

/** The claims GitHub gives a run of `acme/app`'s build workflow on main, for the audience. */
export function defaultRunClaims(audience: string, repository = 'acme/app'): Record<string, string> {
  const [owner = repository] = repository.split('/')
  const ref = 'refs/heads/main'
  const workflowRef = `${repository}/.github/workflows/build.yml@${ref}`
  return {
    aud: audience,
    sub: `repo:${repository}:ref:${ref}`,
    repository,
    repository_id: '123456789',
    repository_owner: owner,
    repository_owner_id: '987654',
    run_id: '4242424242',
    run_number: '7',
    run_attempt: '1',
    event_name: 'workflow_dispatch',
    workflow: 'build',
    workflow_ref: workflowRef,
    job_workflow_ref: workflowRef,
    sha: '0123456789abcdef0123456789abcdef01234567',
    ref,
    ref_type: 'branch',
    actor: 'octocat',
    actor_id: '583231',
    runner_environment: 'github-hosted'
  }
}

/** A compact JWS of the header and payload, signed by `signer` over its signing input. */
export function compactJws(header: object, payload: object, signer: (signingInput: Buffer) => Buffer): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const signingInput = `${part(header)}.${part(payload)}`
  return `${signingInput}.${signer(Buffer.from(signingInput)).toString('base64url')}`
}

function newRsaKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
}

/**
 * An issuer's keys and the tokens it signs, without a server: what the fake
 * issuer serves, and what a test that stubs the fetches uses alone.
 */
export class FakeOidcKeys {
  /** The private keys the key set publishes, by kid, in the order they came. */
  private readonly keys = new Map<string, KeyObject>()
  private outsideKey?: KeyObject
  private signingKid = ''
  private nextKid = 1

  constructor(
    readonly issuer: string,
    private readonly now: () => number = Date.now
  ) {
    this.rotate()
  }

  private signingKey(): KeyObject {
    const key = this.keys.get(this.signingKid)
    if (!key) throw new Error(`The fake issuer's signing key ${this.signingKid} was removed`)
    return key
  }

  /** The kid tokens are signed with. */
  get kid(): string {
    return this.signingKid
  }

  /** Signs with a new key from now on, and keeps publishing the old ones. Returns its kid. */
  rotate(): string {
    this.signingKid = this.addKey()
    return this.signingKid
  }

  /** Publishes one more key, which signs nothing unless asked for by kid. Returns its kid. */
  addKey(kid = `k${this.nextKid++}`): string {
    this.keys.set(kid, newRsaKey())
    return kid
  }

  /** Stops publishing a key. */
  removeKey(kid: string): void {
    this.keys.delete(kid)
  }

  /** The public half of a published key: what a verifier holds. */
  publicKey(kid = this.signingKid): KeyObject {
    const key = this.keys.get(kid)
    if (!key) throw new Error(`The fake issuer has no key ${kid}`)
    return createPublicKey(key)
  }

  discovery(jwksUri: string): object {
    return {
      issuer: this.issuer,
      jwks_uri: jwksUri,
      subject_types_supported: ['public', 'pairwise'],
      response_types_supported: ['id_token'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid']
    }
  }

  jwks(): { keys: JsonWebKey[] } {
    return {
      keys: [...this.keys.keys()].map((kid) => ({
        ...this.publicKey(kid).export({ format: 'jwk' }),
        kid,
        use: 'sig',
        alg: 'RS256'
      }))
    }
  }

  /** A token with the claims over the defaults: this issuer, issued now, five minutes to live, a new jti. */
  mint(claims: TokenClaims = {}, options: MintOptions = {}): string {
    const issuedAt = Math.floor(this.now() / 1000)
    const payload = { iss: this.issuer, iat: issuedAt, exp: issuedAt + 300, jti: randomUUID(), ...claims }
    const kid = options.kid ?? this.signingKid
    // A kid the set does not have is still signed for, with the signing key.
    const key =
      options.key === 'outside' ? (this.outsideKey ??= newRsaKey()) : (this.keys.get(kid) ?? this.signingKey())
    if (options.signature === 'none')
      return compactJws({ alg: 'none', typ: 'JWT', kid, ...options.header }, payload, () => Buffer.alloc(0))
    if (options.signature === 'hs256-with-public-key') {
      const secret = createPublicKey(key).export({ format: 'pem', type: 'spki' })
      const header = { alg: 'HS256', typ: 'JWT', kid, ...options.header }
      return compactJws(header, payload, (input) => createHmac('sha256', secret).update(input).digest())
    }
    const alg = options.alg ?? 'RS256'
    const hash = /^RS(384|512)$/.test(alg) ? `sha${alg.slice(2)}` : 'sha256'
    return compactJws({ alg, typ: 'JWT', kid, ...options.header }, payload, (input) => sign(hash, input, key))
  }
}

const DISCOVERY_PATH = '/.well-known/openid-configuration'
const JWKS_PATH = '/.well-known/jwks'

/**
 * A stand-in for GitHub's OIDC issuer, on a loopback port over plain HTTP:
 * the discovery document and the key set of its keys, each request counted.
 */
export class FakeOidcIssuer {
  discoveryFetches = 0
  jwksFetches = 0
  /** Answers every request with this status instead, to test an issuer that is down. */
  failWith?: number
  /** The claims of the run whose steps ask for tokens (see `runnerEnvironment`); the audience is theirs. */
  runClaims: TokenClaims = {}
  /** Tokens handed to runs, each as minted. */
  readonly handedOut: string[] = []
  private readonly requestToken = randomBytes(16).toString('hex')

  private constructor(
    private readonly server: Server,
    /** Its issuer URL, which tokens carry in `iss`: http://127.0.0.1:PORT. */
    readonly url: string,
    readonly keys: FakeOidcKeys
  ) {}

  /** Starts the fake issuer; `now` is the clock its tokens are issued by. */
  static async start(options: { readonly now?: () => number } = {}): Promise<FakeOidcIssuer> {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const issuer = new FakeOidcIssuer(server, url, new FakeOidcKeys(url, options.now))
    server.on('request', (request: IncomingMessage, response: ServerResponse) => issuer.answer(request, response))
    return issuer
  }

  mint(claims?: TokenClaims, options?: MintOptions): string {
    return this.keys.mint(claims, options)
  }

  /**
   * The variables a runner gives a job with `id-token: write`: where
   * `core.getIDToken` asks for a token, which this issuer mints from
   * `runClaims` for the audience asked.
   */
  runnerEnvironment(): Record<string, string> {
    return {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${this.url}${TOKEN_REQUEST_PATH}?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: this.requestToken
    }
  }

  rotate(): string {
    return this.keys.rotate()
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const send = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(body))
    }
    if (request.url === DISCOVERY_PATH) this.discoveryFetches++
    if (request.url === JWKS_PATH) this.jwksFetches++
    if (this.failWith !== undefined) return send(this.failWith, { message: 'Service Unavailable' })
    if (request.method !== 'GET') return send(405, { message: 'Method Not Allowed' })
    const asked = new URL(request.url ?? '/', this.url)
    if (asked.pathname === TOKEN_REQUEST_PATH) {
      if (request.headers.authorization !== `Bearer ${this.requestToken}`) return send(401, { message: 'Bad token' })
      const audience = asked.searchParams.get('audience')
      const value = this.mint({ ...this.runClaims, ...(audience !== null && { aud: audience }) })
      this.handedOut.push(value)
      return send(200, { value })
    }
    if (request.url === DISCOVERY_PATH) return send(200, this.keys.discovery(`${this.url}${JWKS_PATH}`))
    if (request.url === JWKS_PATH) return send(200, this.keys.jwks())
    send(404, { message: 'Not Found' })
  }
}

/** Where a run asks for its tokens; GitHub's is another host, which the runner names. */
const TOKEN_REQUEST_PATH = '/_runner/id-token'

export function startFakeOidcIssuer(options: { readonly now?: () => number } = {}): Promise<FakeOidcIssuer> {
  return FakeOidcIssuer.start(options)
}
