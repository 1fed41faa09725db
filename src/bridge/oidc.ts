import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { quote } from '../portable/errors.js'

/** GitHub's issuer on github.com; GitHub Enterprise Server's is https://HOSTNAME/_services/token. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com'

/** The claims of a run's OIDC token that the bridge reads. */
export interface RunClaims {
  readonly iss: string
  readonly aud: string | readonly string[]
  readonly exp: number
  readonly iat: number
  readonly nbf?: number
  readonly jti: string
  readonly sub: string
  readonly repository: string
  readonly repository_id: string
  readonly repository_owner: string
  readonly run_id: string
  readonly run_attempt: string
  readonly event_name: string
  readonly workflow_ref: string
  readonly job_workflow_ref?: string
  readonly sha: string
  readonly ref: string
  readonly actor: string
  readonly actor_id: string
  readonly environment?: string
}

export type TokenVerdict =
  | { readonly ok: true; readonly claims: RunClaims }
  /** `reason` is for the log, and never holds the token. `unknownKid`: no key has it, the key set may be stale. */
  | { readonly ok: false; readonly reason: string; readonly unknownKid?: string }

/** The issuer's public keys by kid; a Map is one. */
export interface KeyLookup {
  get(kid: string): KeyObject | undefined
}

/** GitHub's tokens are a kilobyte or two: a larger one is refused before any decoding. */
const MAX_TOKEN_CHARS = 16 * 1024
/** How far the bridge's clock and GitHub's may disagree. */
const SKEW_SECONDS = 60
/** GitHub's tokens live minutes; one that claims longer is not GitHub's. */
const MAX_LIFETIME_SECONDS = 3600
const MAX_KEYS = 100
const REFETCH_INTERVAL_MS = 60_000
const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/

type ClaimType = 'string' | 'string?' | 'number' | 'number?' | 'audience'
/** Every claim of RunClaims and its type: the `satisfies` keeps the two together. */
const CLAIM_TYPES = {
  iss: 'string',
  aud: 'audience',
  exp: 'number',
  iat: 'number',
  nbf: 'number?',
  jti: 'string',
  sub: 'string',
  repository: 'string',
  repository_id: 'string',
  repository_owner: 'string',
  run_id: 'string',
  run_attempt: 'string',
  event_name: 'string',
  workflow_ref: 'string',
  job_workflow_ref: 'string?',
  sha: 'string',
  ref: 'string',
  actor: 'string',
  actor_id: 'string',
  environment: 'string?'
} as const satisfies Record<keyof RunClaims, ClaimType>

function hasType(value: unknown, type: ClaimType): boolean {
  if (type === 'audience')
    return typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'))
  if (value === undefined && type.endsWith('?')) return true
  return type.startsWith('string') ? typeof value === 'string' : typeof value === 'number' && Number.isFinite(value)
}

/** Strict base64url: Buffer would quietly skip what is not, so the text must be what its bytes encode to. */
function decodePart(part: string): Buffer | undefined {
  const bytes = Buffer.from(part, 'base64url')
  return bytes.toString('base64url') === part ? bytes : undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function decodeJsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(decodePart(part)?.toString('utf8') ?? '')
    return isObject(value) ? value : undefined
  } catch {
    return undefined
  }
}

const refused = (reason: string): TokenVerdict => ({ ok: false, reason })

/**
 * Whether a compact JWS is a token the issuer signed with RS256 for the
 * audience, live at `nowMs`, with every claim the bridge reads of its type.
 * The header's alg is only checked, never followed: RS256 is the one way.
 */
export function verifyToken(
  token: string,
  keys: KeyLookup,
  expected: { readonly issuer: string; readonly audience: string },
  nowMs: number
): TokenVerdict {
  if (token.length > MAX_TOKEN_CHARS) return refused(`the token is over ${MAX_TOKEN_CHARS} characters`)
  const [, headerPart = '', payloadPart = '', signaturePart = ''] = COMPACT_JWS.exec(token) ?? []
  const header = decodeJsonObject(headerPart)
  const signature = decodePart(signaturePart)
  if (!header || !signature) return refused('the token is not a JWS of three base64url parts')
  if (header.alg !== 'RS256') return refused('the token is not signed with RS256')
  // An extension the bridge does not know must be understood, so it cannot be accepted.
  if (header.crit !== undefined) return refused('the token has critical header extensions')
  const kid = header.kid
  if (typeof kid !== 'string' || kid === '') return refused('the token has no kid')
  const key = keys.get(kid)
  if (!key) return { ok: false, reason: `no key of the issuer has kid ${quote(kid)}`, unknownKid: kid }
  if (key.type !== 'public' || key.asymmetricKeyType !== 'rsa') return refused(`key ${quote(kid)} is not RSA`)
  if (!verify('RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), key, signature))
    return refused(`the token's signature does not verify with key ${quote(kid)}`)

  const payload = decodeJsonObject(payloadPart)
  if (!payload) return refused("the token's payload is not a JSON object")
  const claims: Record<string, unknown> = {}
  for (const [name, type] of Object.entries(CLAIM_TYPES)) {
    if (!hasType(payload[name], type))
      return refused(`the token's ${name} claim is missing or not a ${type.replace('?', '')}`)
    if (payload[name] !== undefined) claims[name] = payload[name]
  }
  // Every claim of RunClaims was just checked, and nothing else was kept.
  const run = claims as unknown as RunClaims
  if (run.iss !== expected.issuer) return refused(`the token is from issuer ${quote(run.iss)}`)
  const audiences: readonly string[] = typeof run.aud === 'string' ? [run.aud] : run.aud
  if (!audiences.includes(expected.audience))
    return refused(`the token is for audience ${quote(audiences.join(', '))}, not ${quote(expected.audience)}`)
  const now = nowMs / 1000
  if (run.exp <= now - SKEW_SECONDS) return refused('the token has expired')
  if (run.iat > now + SKEW_SECONDS || (run.nbf ?? 0) > now + SKEW_SECONDS) return refused('the token is not valid yet')
  if (run.exp - run.iat > MAX_LIFETIME_SECONDS) return refused('the token lives longer than an hour')
  return { ok: true, claims: run }
}

/** The test's fake issuer runs on plain HTTP on this machine; nothing else may. */
function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1')
}

/** The `OidcIssuer` stack parameter, as tokens carry it in `iss`: no trailing slash. */
export function parseIssuer(text: string): string {
  const trimmed = text.trim()
  const url = URL.canParse(trimmed) ? new URL(trimmed) : undefined
  const allowed = url?.protocol === 'https:' || (url !== undefined && isLoopbackHttp(url) && url.pathname === '/')
  if (!url || !allowed || url.username || url.password || /[?#\s]/.test(trimmed))
    throw new Error(
      `The stack parameter OidcIssuer ${quote(text)} is not an https:// URL without a query or fragment, such as ${GITHUB_OIDC_ISSUER}`
    )
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/** The RSA signing keys of a JWKS by kid, passing over entries that are not one. */
function readKeys(jwks: unknown): Map<string, KeyObject> {
  const entries: unknown = isObject(jwks) ? jwks.keys : undefined
  if (!Array.isArray(entries)) throw new Error("The OIDC issuer's key set has no keys array")
  const keys = new Map<string, KeyObject>()
  for (const jwk of entries as unknown[]) {
    if (keys.size === MAX_KEYS) break
    if (!isObject(jwk)) continue
    if (jwk.kty !== 'RSA' || (jwk.use !== undefined && jwk.use !== 'sig')) continue
    if (jwk.alg !== undefined && jwk.alg !== 'RS256') continue
    if (typeof jwk.kid !== 'string' || jwk.kid === '' || keys.has(jwk.kid)) continue
    try {
      const key = createPublicKey({ key: jwk, format: 'jwk' })
      // A key shorter than 2048 bits could be broken: it signs nothing the bridge trusts.
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) keys.set(jwk.kid, key)
    } catch {
      // A malformed key is passed over: the others still verify.
    }
  }
  if (keys.size === 0) throw new Error("The OIDC issuer's key set has no RSA signing key")
  return keys
}

/**
 * The issuer's keys, kept for the container's life. A token signed with a
 * kid it does not have loads them again, at most once a minute, so that a
 * stream of made-up kids cannot make the bridge hammer the issuer. A failed
 * load throws: the token may be good, and the caller answers 503.
 */
export class KeySet {
  private keys?: Promise<Map<string, KeyObject>>
  private lastRefetchAt = -Infinity

  constructor(
    private readonly source: {
      readonly issuer: string
      readonly fetchJson: (url: string) => Promise<unknown>
      readonly now: () => number
    }
  ) {}

  async verify(token: string, audience: string): Promise<TokenVerdict> {
    const expected = { issuer: this.source.issuer, audience }
    const verdict = verifyToken(token, await this.current(), expected, this.source.now())
    if (verdict.ok || verdict.unknownKid === undefined) return verdict
    if (this.source.now() - this.lastRefetchAt < REFETCH_INTERVAL_MS) return verdict
    this.lastRefetchAt = this.source.now()
    // The keys in hand stay until new ones are read: a caller's unknown kid cannot make the issuer's hiccup everyone's.
    const previous = this.keys
    this.keys = undefined
    const fresh = this.current()
    if (previous !== undefined) this.keys = fresh.catch(() => previous)
    // This caller's token may be good: a failed read is theirs to retry (503), and the others keep the keys in hand.
    return verifyToken(token, await fresh, expected, this.source.now())
  }

  private current(): Promise<Map<string, KeyObject>> {
    if (this.keys) return this.keys
    const loading = this.load().catch((error: unknown) => {
      // The next call loads them again, unless a newer load has begun.
      if (this.keys === loading) this.keys = undefined
      throw error
    })
    this.keys = loading
    return loading
  }

  private async load(): Promise<Map<string, KeyObject>> {
    const issuer = new URL(this.source.issuer)
    const discovery = await this.source.fetchJson(`${this.source.issuer}/.well-known/openid-configuration`)
    const jwksUri = isObject(discovery) ? discovery.jwks_uri : undefined
    const url = typeof jwksUri === 'string' && URL.canParse(jwksUri) ? new URL(jwksUri) : undefined
    if (!url || !(url.protocol === 'https:' || (isLoopbackHttp(issuer) && isLoopbackHttp(url))))
      throw new Error(`The OIDC issuer ${this.source.issuer} gives no https:// jwks_uri in its discovery document`)
    return readKeys(await this.source.fetchJson(url.href))
  }
}
