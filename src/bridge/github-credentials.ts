import { createPrivateKey, createSign, type KeyObject } from 'node:crypto'
import type { Clock } from './clock.js'
import type { TokenSource } from './github.js'
import { GitHubError, githubRequest } from './github-request.js'
import { agentFetch } from './http.js'
import type { Logger } from './json-log.js'

/**
 * What the credentials secret holds: a fine-grained token, or a GitHub App's
 * ID and private key; and the secrets webhook deliveries are signed with,
 * the current one first and, during a rotation, the one before it.
 */
export type GitHubCredentials = (
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'app'; readonly appId: string; readonly privateKey: KeyObject }
) & { readonly webhookSecrets: readonly string[] }

/** The secret cannot be read or makes no sense; `retryable` when Secrets Manager may just be busy. */
export class CredentialsError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean
  ) {
    super(message)
    this.name = 'CredentialsError'
  }
}

const SECRET_FORMAT =
  'It must hold a fine-grained token, as plain text or as {"token": "..."}, or a GitHub App as {"appId": "123", "privateKey": "-----BEGIN RSA PRIVATE KEY-----..."}'

/** Reads the secret's text. Never quotes it back: an error says what is wrong, not what is there. */
export function parseCredentials(text: string): GitHubCredentials {
  const trimmed = text.trim()
  if (!trimmed.startsWith('{')) {
    if (/^[\x21-\x7e]{20,}$/.test(trimmed)) return { kind: 'token', token: trimmed, webhookSecrets: [] }
    throw new CredentialsError(`The GitHub credentials secret holds no usable token. ${SECRET_FORMAT}.`, false)
  }
  let value: unknown
  try {
    value = JSON.parse(trimmed)
  } catch {
    throw new CredentialsError(`The GitHub credentials secret is not valid JSON. ${SECRET_FORMAT}.`, false)
  }
  const fields = value as Record<string, unknown>
  const webhookSecrets = ['webhookSecret', 'previousWebhookSecret'].flatMap((name) => {
    const secret = fields[name]
    if (secret === undefined || secret === '') return []
    // Short enough to guess, and too short for the log to mask.
    if (typeof secret !== 'string' || secret.length < 16)
      throw new CredentialsError(
        `"${name}" in the GitHub credentials secret must be the webhook's secret, at least 16 characters: a long random string, such as openssl rand -hex 32 makes.`,
        false
      )
    return [secret]
  })
  if (typeof fields.token === 'string' && fields.token.trim() !== '')
    return { kind: 'token', token: fields.token.trim(), webhookSecrets }
  const appId = typeof fields.appId === 'number' ? String(fields.appId) : fields.appId
  if (typeof appId !== 'string' || !/^\d+$|^Iv[0-9A-Za-z.]+$/.test(appId) || typeof fields.privateKey !== 'string') {
    throw new CredentialsError(
      `The GitHub credentials secret has neither "token" nor "appId" and "privateKey". ${SECRET_FORMAT}.`,
      false
    )
  }
  try {
    // Accepts GitHub's PKCS#1 PEM as it is downloaded, and PKCS#8. JSON may carry the newlines escaped once more.
    const privateKey = createPrivateKey(fields.privateKey.replace(/\\n/g, '\n'))
    if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key')
    return { kind: 'app', appId, privateKey, webhookSecrets }
  } catch {
    throw new CredentialsError(
      'The "privateKey" in the GitHub credentials secret is not an RSA private key in PEM form: paste the .pem file GitHub gave for the App, newlines included.',
      false
    )
  }
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url')

/**
 * The App's own JWT (RS256), good for about nine minutes: issued 30 seconds
 * in the past against clock drift, and ending within GitHub's ten-minute limit.
 */
export function appJwt(appId: string, privateKey: KeyObject, now: number): string {
  const issuedAt = Math.floor(now / 1000) - 30
  const unsigned = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${base64url(
    JSON.stringify({ iat: issuedAt, exp: issuedAt + 540, iss: appId })
  )}`
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey, 'base64url')}`
}

/** Installation tokens are used until this long before they expire. */
const TOKEN_MARGIN_MS = 5 * 60_000
/** The secret is read again after this long, so that a rotation takes without a redeploy. */
const SECRET_MAX_AGE_MS = 15 * 60_000
/** A token GitHub refused is checked against a fresh read of the secret at most this often. */
const REFUSED_RECHECK_MS = 60_000

/**
 * Tokens from the credentials secret: the fine-grained token as it is, or
 * for a GitHub App an installation token per repository, narrowed to that
 * repository and to starting and reading workflow runs, cached until
 * shortly before it expires. Every secret value is masked in the log
 * before it can reach it.
 */
export class SecretTokens implements TokenSource {
  private credentials?: { readonly value: Promise<GitHubCredentials>; readonly readAt: number }
  private readonly installations = new Map<string, number>()
  private readonly installationTokens = new Map<string, { readonly token: string; readonly expiresAt: number }>()
  /** Tokens being minted, so that jobs of one repository started together share one. */
  private readonly minting = new Map<string, Promise<{ token: string; expiresAt: number }>>()
  private readonly refused = new Map<string, number>()
  /** The App's slug, from GitHub's answer for an installation: its bot account is `<slug>[bot]`. */
  private appSlug?: string

  constructor(
    private readonly readSecret: () => Promise<string>,
    private readonly apiUrl: string,
    private readonly log: Logger,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly fetcher: typeof fetch = agentFetch()
  ) {}

  async token(owner: string, repo: string): Promise<string> {
    const credentials = await this.load()
    if (credentials.kind === 'token') return credentials.token
    const key = repoKey(owner, repo)
    const cached = this.installationTokens.get(key)
    if (cached && cached.expiresAt - TOKEN_MARGIN_MS > this.clock.now()) return cached.token
    let minting = this.minting.get(key)
    if (minting === undefined) {
      minting = this.mintOrRecheck(credentials, owner, repo).finally(() => this.minting.delete(key))
      this.minting.set(key, minting)
    }
    const minted = await minting
    this.installationTokens.set(key, minted)
    return minted.token
  }

  /** The App's bot account, once a token was minted for it; undefined for a fine-grained token. */
  appAccount(): string | undefined {
    return this.appSlug === undefined ? undefined : `${this.appSlug}[bot]`
  }

  async refresh(owner: string, repo: string, failed: string): Promise<boolean> {
    const key = repoKey(owner, repo)
    const cached = this.installationTokens.get(key)
    if (cached !== undefined) {
      // An installation token can be revoked before it expires; a new one costs one request.
      if (cached.token === failed) this.installationTokens.delete(key)
      return true
    }
    // A fine-grained token: worth a try only if the secret now holds another one.
    if (!this.mayRecheck(failed)) return false
    const credentials = await this.load(true)
    return credentials.kind === 'app' || credentials.token !== failed
  }

  /**
   * The secrets a webhook delivery may be signed with. After a delivery
   * that none of them signed, the secret is read again, at most once a
   * minute: the webhook's secret may have been rotated since.
   */
  async webhookSecrets(noneSigned = false): Promise<readonly string[]> {
    return (await this.load(noneSigned && this.mayRecheck('webhook'))).webhookSecrets
  }

  /** True at most once a minute for each refused credential, so that a bad secret is not read on every job. */
  private mayRecheck(refused: string): boolean {
    const checkedAt = this.refused.get(refused)
    if (checkedAt !== undefined && this.clock.now() - checkedAt < REFUSED_RECHECK_MS) return false
    this.refused.set(refused, this.clock.now())
    return true
  }

  /** The secret, read once per container and again when old or when GitHub refused what it held. */
  private async load(fresh = false): Promise<GitHubCredentials> {
    const now = this.clock.now()
    if (fresh || !this.credentials || now - this.credentials.readAt > SECRET_MAX_AGE_MS) {
      const value = this.readSecret().then((text) => {
        // As it is, and with the key's escaped newlines undone, so that its lines are masked one by one.
        this.log.secret(text)
        this.log.secret(text.replace(/\\n/g, '\n'))
        const parsed = parseCredentials(text)
        if (parsed.kind === 'token') this.log.secret(parsed.token)
        for (const secret of parsed.webhookSecrets) this.log.secret(secret)
        return parsed
      })
      this.credentials = { value, readAt: now }
      // A failed read is not kept: the next call reads again.
      void value.catch(() => {
        if (this.credentials?.value === value) this.credentials = undefined
      })
    }
    return this.credentials.value
  }

  private async mintOrRecheck(
    credentials: Extract<GitHubCredentials, { kind: 'app' }>,
    owner: string,
    repo: string
  ): Promise<{ token: string; expiresAt: number }> {
    try {
      return await this.mint(credentials, owner, repo)
    } catch (error) {
      // GitHub refused the App's JWT: the key may have been rotated in the secret since it was read.
      if (!(error instanceof GitHubError && error.kind === 'unauthorized') || !this.mayRecheck('app-key')) throw error
      const fresh = await this.load(true)
      // When the secret now holds a token instead, the next request uses it.
      if (fresh.kind !== 'app') throw error
      return this.mint(fresh, owner, repo)
    }
  }

  private async mint(
    credentials: Extract<GitHubCredentials, { kind: 'app' }>,
    owner: string,
    repo: string
  ): Promise<{ token: string; expiresAt: number }> {
    const jwt = `Bearer ${appJwt(credentials.appId, credentials.privateKey, this.clock.now())}`
    const key = repoKey(owner, repo)
    const installation = this.installations.get(key) ?? (await this.findInstallation(owner, repo, jwt))
    this.installations.set(key, installation)
    try {
      const { body } = await githubRequest(
        this.apiUrl,
        'POST',
        `/app/installations/${installation}/access_tokens`,
        jwt,
        // Metadata is what every App may read; actions: write starts, reads and cancels runs.
        { repositories: [repo], permissions: { actions: 'write', metadata: 'read' } },
        this.fetcher,
        this.clock
      )
      const { token, expires_at } = (body ?? {}) as { token?: unknown; expires_at?: unknown }
      if (typeof token !== 'string' || token === '')
        throw new GitHubError(
          'refused',
          `POST /app/installations/${installation}/access_tokens`,
          'the answer has no token'
        )
      this.log.secret(token)
      const expiresAt = typeof expires_at === 'string' ? Date.parse(expires_at) : Number.NaN
      this.log.debug('Got an installation token', {
        repository: `${owner}/${repo}`,
        installation,
        expiresAt: expires_at
      })
      return { token, expiresAt: Number.isNaN(expiresAt) ? this.clock.now() + 60 * 60_000 : expiresAt }
    } catch (error) {
      // The App may have been uninstalled and installed again, under a new installation ID.
      if (error instanceof GitHubError && error.status === 404) this.installations.delete(key)
      throw error
    }
  }

  private async findInstallation(owner: string, repo: string, jwt: string): Promise<number> {
    const { body } = await githubRequest(
      this.apiUrl,
      'GET',
      `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/installation`,
      jwt,
      undefined,
      this.fetcher,
      this.clock
    )
    const { id: installation, app_slug: slug } = (body ?? {}) as { id?: unknown; app_slug?: unknown }
    if (typeof slug === 'string' && /^[\w-]+$/.test(slug)) this.appSlug = slug
    if (typeof installation !== 'number')
      throw new GitHubError('refused', `GET /repos/${owner}/${repo}/installation`, 'the answer has no installation id')
    return installation
  }
}

function repoKey(owner: string, repo: string): string {
  return `${owner}/${repo}`.toLowerCase()
}
