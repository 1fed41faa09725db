import { NOT_SENT_CODES } from '../portable/aws-errors.js'
import { truncate } from '../portable/limits.js'
import { ACTION_VERSION } from '../portable/version.js'
import type { Clock } from './clock.js'

/** Each GitHub request gets this long; the state store remembers what to try again later. */
const REQUEST_TIMEOUT_MS = 10_000
/** The REST API version whose behaviour the bridge is written for. */
const API_VERSION = '2022-11-28'
const USER_AGENT = `codepipeline-github-bridge/${ACTION_VERSION}`

/**
 * How a GitHub request went wrong, which decides what the bridge does next:
 * - refused: a definite no (404, 422, 403 for a permission, …), nothing happened;
 * - unauthorized: 401, the credentials are bad or expired;
 * - throttled: 429 or a rate-limit 403, nothing happened, try later;
 * - unavailable: 5xx, which may or may not have been carried out;
 * - unreachable: the request never left, so nothing happened;
 * - lost: sent, but no answer came (a reset or a timeout), so it may have been carried out.
 */
export type FailureKind = 'refused' | 'unauthorized' | 'throttled' | 'unavailable' | 'unreachable' | 'lost'

export class GitHubError extends Error {
  constructor(
    readonly kind: FailureKind,
    /** What was asked, such as `POST /repos/acme/app/actions/workflows/build.yml/dispatches`. */
    readonly request: string,
    /** GitHub's own words, or the network error's. */
    readonly githubMessage: string,
    readonly status?: number,
    readonly retryAfterMs?: number
  ) {
    super(`${request}: ${status !== undefined ? `${status} ` : ''}${githubMessage}`)
    this.name = 'GitHubError'
  }

  /** Worth asking again later. */
  get retryable(): boolean {
    return (
      this.kind === 'throttled' || this.kind === 'unavailable' || this.kind === 'unreachable' || this.kind === 'lost'
    )
  }

  /** The request may have been carried out even though no success came back. */
  get maybeDone(): boolean {
    return this.kind === 'unavailable' || this.kind === 'lost'
  }

  /** The status and GitHub's message, as a user reads it: `404 "Not Found"`. */
  get answer(): string {
    return this.status === undefined ? this.githubMessage : `${this.status} ${JSON.stringify(this.githubMessage)}`
  }
}

export interface RawResponse {
  /** 304 when a conditional read found nothing changed: the body is then the caller's to keep. */
  readonly status: number
  readonly body: unknown
  /** The next page of a list, from the `link` header: a path on the same API, never another host. */
  readonly next?: string
  readonly etag?: string
  /** What is left of the primary rate limit, and when it resets (epoch ms), when GitHub says. */
  readonly rate?: RateLeft
}

export interface RateLeft {
  readonly remaining: number
  readonly limit: number
  readonly resetAt: number
}

/** One HTTP exchange with GitHub's REST API; throws GitHubError for anything but 2xx. */
export async function githubRequest(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  authorization: string,
  body: unknown,
  fetcher: typeof fetch,
  clock: Pick<Clock, 'now'>,
  etag?: string
): Promise<RawResponse> {
  const request = `${method} ${path}`
  let response: Response
  let text: string
  try {
    response = await fetcher(`${baseUrl}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization,
        'user-agent': USER_AGENT,
        'x-github-api-version': API_VERSION,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        // A 304 costs nothing against the rate limit.
        ...(etag !== undefined && { 'if-none-match': etag })
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    })
    text = await response.text()
  } catch (error) {
    const { code, message } = networkFailure(error)
    const kind = code !== undefined && NOT_SENT_CODES.has(code) ? 'unreachable' : 'lost'
    throw new GitHubError(kind, request, message)
  }
  let parsed: unknown
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    parsed = text
  }
  const headers = response.headers
  if (response.ok || response.status === 304)
    return {
      status: response.status,
      body: parsed,
      next: nextPage(response, baseUrl),
      etag: headers.get('etag') ?? undefined,
      rate: rateLeft(headers)
    }
  // Cut short: it goes into the log and the job's failure message.
  const message = truncate(
    typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string'
      ? (parsed as { message: string }).message
      : response.statusText || 'no message',
    1_000
  )
  throw new GitHubError(
    classify(response, message),
    request,
    message,
    response.status,
    retryAfterMs(response, clock.now(), message)
  )
}

function rateLeft(headers: Headers): RateLeft | undefined {
  const read = (name: string): number => Number(headers.get(`x-ratelimit-${name}`) ?? NaN)
  const [remaining, limit, reset] = [read('remaining'), read('limit'), read('reset')]
  return remaining >= 0 && limit > 0 && reset > 0 ? { remaining, limit, resetAt: reset * 1000 } : undefined
}

function nextPage(response: Response, baseUrl: string): string | undefined {
  const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1]
  // The token goes only where the bridge was told GitHub is.
  return next?.startsWith(`${baseUrl}/`) ? next.slice(baseUrl.length) : undefined
}

function classify(response: Response, message: string): FailureKind {
  const { status } = response
  if (status === 401) return 'unauthorized'
  if (status === 429) return 'throttled'
  if (status === 403 && (response.headers.get('x-ratelimit-remaining') === '0' || /rate limit/i.test(message)))
    return 'throttled'
  if (status >= 500) return 'unavailable'
  return 'refused'
}

function retryAfterMs(response: Response, now: number, message: string): number | undefined {
  const after = Number(response.headers.get('retry-after'))
  if (after > 0) return after * 1000
  const reset = Number(response.headers.get('x-ratelimit-reset'))
  if (reset > 0 && response.headers.get('x-ratelimit-remaining') === '0') return Math.max(0, reset * 1000 - now)
  // GitHub asks for at least a minute after a secondary limit that names no time.
  return /secondary rate/i.test(message) ? 60_000 : undefined
}

/**
 * What a request that got no answer failed with: its code, which fetch puts on
 * the cause, and the words of the error that carries it, such as a proxy's
 * refusal: `ERR_PROXY_TUNNEL: … 407 Proxy Authentication Required`.
 */
function networkFailure(error: unknown): { code?: string; message: string } {
  let seen = error
  for (let depth = 0; seen instanceof Error && depth < 4; depth++) {
    const errno = (seen as NodeJS.ErrnoException).code
    const code =
      typeof errno === 'string' ? errno : ['TimeoutError', 'AbortError'].includes(seen.name) ? seen.name : undefined
    if (code !== undefined)
      return { code, message: seen.message.includes(code) ? seen.message : `${code}: ${seen.message}` }
    if (!(seen.cause instanceof Error)) break
    seen = seen.cause
  }
  return { message: (seen instanceof Error ? seen.message : String(seen)) || 'no answer' }
}
