import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { proxyAgents } from '../portable/proxy.js'

/** More than any GitHub answer the bridge reads; a server that sends more is cut off. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024
/** Statuses whose answers have no body, which a Response refuses one for. */
const NO_BODY = new Set([204, 205, 304])
const REDIRECTS = new Set([301, 302, 303, 307, 308])
/** As fetch: a chain longer than this is a loop. */
const MAX_REDIRECTS = 20

type Agents = ReturnType<typeof proxyAgents>
/** Requests that may be sent twice, because asking twice changes nothing. */
const IDEMPOTENT = new Set(['GET', 'HEAD'])

interface Exchange {
  readonly url: URL
  readonly method: string
  readonly headers: Record<string, string>
  readonly body?: string
  readonly signal?: AbortSignal
}

/**
 * `fetch` for the bridge's GitHub calls, over node:http and node:https with
 * the agents its AWS calls use, so that HTTPS_PROXY, HTTP_PROXY and NO_PROXY
 * route both alike.
 *
 * Node's own fetch (undici) takes a proxy only from NODE_USE_ENV_PROXY as
 * Node starts. That would route the whole process, with undici's narrower
 * reading of NO_PROXY (a bare name does not cover its subdomains), and would
 * need the template to set a runtime flag. Agents built from `proxyAgents()`
 * keep one reading of the proxy variables for every call the bridge makes.
 *
 * What the bridge relies on of fetch is kept: redirects are followed (GitHub
 * redirects a renamed repository), a timeout rejects with the signal's
 * TimeoutError, and network errors keep their code.
 */
export function agentFetch(
  agents: Agents = proxyAgents(),
  freshAgents: Agents = proxyAgents(undefined, undefined, { keepAlive: false })
): typeof fetch {
  return async (input, init = {}) => {
    if (typeof input !== 'string' && !(input instanceof URL))
      throw new TypeError('agentFetch takes a URL, not a Request')
    if (init.body !== undefined && init.body !== null && typeof init.body !== 'string')
      throw new TypeError('agentFetch sends text bodies only')
    let exchange: Exchange = {
      url: new URL(input),
      method: init.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      ...(init.body && { body: init.body }),
      ...(init.signal && { signal: init.signal })
    }
    for (let redirects = 0; ; redirects++) {
      const response = await send(exchange, agents, freshAgents)
      const location = response.headers.get('location')
      if (!REDIRECTS.has(response.status) || location === null || init.redirect === 'manual') return response
      if (redirects === MAX_REDIRECTS)
        throw new TypeError(`more than ${MAX_REDIRECTS} redirects from ${input.toString()}`)
      exchange = redirected(exchange, response.status, new URL(location, exchange.url))
    }
  }
}

/** The request a redirect asks for, as fetch makes it. */
function redirected(exchange: Exchange, status: number, url: URL): Exchange {
  const headers = { ...exchange.headers }
  // A token is for the host it was meant for.
  if (url.origin !== exchange.url.origin) delete headers.authorization
  const becomesGet =
    status === 303 ? exchange.method !== 'HEAD' : exchange.method === 'POST' && status !== 307 && status !== 308
  if (!becomesGet) return { ...exchange, url, headers }
  delete headers['content-type']
  return { url, method: 'GET', headers, ...(exchange.signal && { signal: exchange.signal }) }
}

/**
 * One exchange. A kept-alive connection the server closed while the bridge
 * was idle (a Lambda container is frozen between invocations) fails as soon
 * as it is written to. A read that fails so, before any answer, is sent again
 * once on a new connection, as Node's documentation advises. A request that
 * changes something (starting a run, minting a token) is never sent twice
 * that way, since a reset can also come after the server acted: it always
 * takes a new connection instead.
 */
async function send(exchange: Exchange, agents: Agents, freshAgents: Agents): Promise<Response> {
  if (!IDEMPOTENT.has(exchange.method)) return sendOnce(exchange, freshAgents, false)
  try {
    return await sendOnce(exchange, agents)
  } catch (error) {
    if (!(error instanceof StaleConnection)) throw error
    // Other kept connections may be as stale: this one is new.
    return sendOnce(exchange, freshAgents, false)
  }
}

/** A reused connection found closed before any answer came. */
class StaleConnection extends Error {}

/** `reuse: false` sends on a connection of its own, closed after the answer. */
function sendOnce({ url, method, headers, body, signal }: Exchange, agents: Agents, reuse = true): Promise<Response> {
  const secure = url.protocol === 'https:'
  return new Promise<Response>((resolve, reject) => {
    let answered = false
    // As fetch does: a timeout rejects with the signal's reason, a TimeoutError.
    const fail = (error: Error): void => reject(signal?.aborted ? (signal.reason as Error) : error)
    const request = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method,
        headers,
        // Without a proxy agent: the global one, which keeps connections alive, or a one-off (false).
        agent: (secure ? agents.httpsAgent : agents.httpAgent) ?? (reuse ? undefined : false),
        ...(signal && { signal })
      },
      (answer) => {
        answered = true
        void readAnswer(answer).then(resolve, fail)
      }
    )
    request.on('error', (error: NodeJS.ErrnoException) => {
      const stale = request.reusedSocket && !answered && (error.code === 'ECONNRESET' || error.code === 'EPIPE')
      if (stale && !signal?.aborted) reject(new StaleConnection(error.message, { cause: error }))
      else fail(error)
    })
    request.end(body)
  })
}

async function readAnswer(answer: IncomingMessage): Promise<Response> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of answer as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_RESPONSE_BYTES) {
      answer.destroy()
      throw Object.assign(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`), {
        code: 'ERESPONSETOOLARGE'
      })
    }
    chunks.push(chunk)
  }
  const headers = new Headers()
  // Names and values alternate.
  for (let index = 0; index + 1 < answer.rawHeaders.length; index += 2) {
    const [name, value] = answer.rawHeaders.slice(index, index + 2)
    if (name !== undefined && value !== undefined) headers.append(name, value)
  }
  const status = answer.statusCode ?? 502
  return new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), {
    status,
    statusText: answer.statusMessage ?? '',
    headers
  })
}
