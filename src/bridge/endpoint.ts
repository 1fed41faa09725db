/**
 * The bridge's public endpoint, a Lambda function URL: the runs of
 * credential-free mode call it to read their job, sign artifact URLs and
 * answer. Every request is refused until its GitHub OIDC token is verified
 * and bound to the one run the bridge started for the job.
 */
import { Buffer } from 'node:buffer'
import { JOB_ID_PATTERN } from '../portable/limits.js'
import { BRIDGE_ROUTES, bodyLimitOf, type BridgeRoute } from '../portable/bridge-protocol.js'

/** The parts of a function URL's event (payload format 2.0) the endpoint reads. */
export interface UrlEvent {
  readonly rawPath?: string
  readonly headers?: Readonly<Record<string, string | undefined>>
  readonly body?: string
  readonly isBase64Encoded?: boolean
  readonly requestContext: { readonly http: { readonly method?: string }; readonly domainName?: string }
}

export function isUrlEvent(event: unknown): event is UrlEvent {
  const context = (event as { requestContext?: { http?: unknown } } | null)?.requestContext
  return typeof context?.http === 'object' && context.http !== null
}

export interface HttpAnswer {
  readonly statusCode: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

export function answer(statusCode: number, body: object, headers: Record<string, string> = {}): HttpAnswer {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body)
  }
}

/** Every refusal before the token is verified is this one, so that a caller learns nothing from it. */
export const UNAUTHORIZED = answer(401, { error: 'unauthorized' })

/** A compact JWS: three base64url parts; GitHub's tokens are about 1 KiB. */
const BEARER = /^Bearer ([\w-]{1,4096}\.[\w-]{1,8192}\.[\w-]{0,4096})$/
const ROUTES = new Set<string>(Object.values(BRIDGE_ROUTES))

/** A request the endpoint may look further into: its route, the token to verify, and the body's text. */
export interface Admitted {
  readonly route: BridgeRoute
  readonly token: string
  readonly body: string
}

/**
 * What may be refused before any network or DynamoDB call: a body over its
 * route's limit (413), another method or an unknown route, and a missing
 * or malformed bearer token (the same 401). Pure, and cheap: the public
 * endpoint's unauthenticated traffic ends here.
 */
export function admit(event: UrlEvent): Admitted | { readonly refusal: HttpAnswer; readonly reason: string } {
  const path = event.rawPath ?? ''
  const route = ROUTES.has(path) ? (path as BridgeRoute) : undefined
  const raw = event.body ?? ''
  const size = Buffer.byteLength(raw, event.isBase64Encoded ? 'base64' : 'utf8')
  if (size > bodyLimitOf(route ?? BRIDGE_ROUTES.job))
    return { refusal: answer(413, { error: 'too-large' }), reason: `a body of ${size} bytes` }
  if (route === undefined || event.requestContext.http.method !== 'POST')
    return { refusal: UNAUTHORIZED, reason: `${event.requestContext.http.method ?? '?'} to an unknown route` }
  const token = BEARER.exec(event.headers?.authorization ?? '')?.[1]
  if (token === undefined) return { refusal: UNAUTHORIZED, reason: 'no bearer token, or a malformed one' }
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw
  return { route, token, body }
}

/** The body as an object naming a job; what is wrong with it otherwise. Pure. */
export function readBody(text: string): { readonly jobId: string; readonly fields: Record<string, unknown> } | string {
  let fields: unknown
  try {
    fields = JSON.parse(text)
  } catch {
    return 'the body is not JSON'
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return 'the body is not a JSON object'
  const { jobId } = fields as { jobId?: unknown }
  if (typeof jobId !== 'string' || !JOB_ID_PATTERN.test(jobId))
    return 'jobId must be the job ID the run was started with (its job-id input), a lowercase UUID'
  return { jobId, fields: fields as Record<string, unknown> }
}
