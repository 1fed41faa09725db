import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Readable } from 'node:stream'
import { proxyAgents } from './proxy.js'

/**
 * `fetch` over node:http and node:https, for the calls of credential-free
 * mode and the signed S3 requests: bodies stream both ways, a redirect is
 * returned as it is and never followed, and the proxy is the one the
 * actions' AWS calls take (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
 *
 * Node's own fetch is undici, whose HTTP/1 parser throws an uncatchable
 * error when the server closes the connection while a response body waits
 * to be read (nodejs/undici#5360): a download that writes to disk more
 * slowly than it reads would end the step. Node's http client has no such
 * failure.
 */
export function streamingFetch(agents: ReturnType<typeof proxyAgents> = proxyAgents()): typeof fetch {
  return (async (input: URL | string, init: RequestInit = {}) => {
    const url = new URL(String(input))
    const secure = url.protocol === 'https:'
    const agent = secure ? agents.httpsAgent : agents.httpAgent
    const method = init.method ?? 'GET'
    const message = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method,
          headers: Object.fromEntries(new Headers(init.headers).entries()),
          ...(agent && { agent }),
          ...(init.signal && { signal: init.signal })
        },
        resolve
      )
      request.on('error', reject)
      request.end(bodyOf(init.body))
    })
    const headers = new Headers()
    for (const [name, value] of Object.entries(message.headers))
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
    const status = message.statusCode ?? 502
    // These statuses carry no body, and a Response refuses one for them.
    if (method === 'HEAD' || [204, 205, 304].includes(status)) {
      message.resume()
      return new Response(null, { status, headers })
    }
    return new Response(Readable.toWeb(message) as ReadableStream<Uint8Array>, { status, headers })
  }) as typeof fetch
}

/** The bodies the callers send: text, bytes and form fields. Anything else is refused, never dropped. */
function bodyOf(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string' || body instanceof Uint8Array) return body
  if (body instanceof URLSearchParams) return body.toString()
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  throw new TypeError('streamingFetch sends a body of text, bytes or form fields only')
}
