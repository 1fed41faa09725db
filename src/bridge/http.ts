import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { proxyAgents } from '../core/proxy.js'

/** More than any GitHub answer the bridge reads; a server that sends more is cut off. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024
/** Statuses whose answers have no body, which a Response refuses one for. */
const NO_BODY = new Set([204, 205, 304])

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
 */
export function agentFetch(agents: ReturnType<typeof proxyAgents> = proxyAgents()): typeof fetch {
  return (input, init = {}) => {
    if (typeof input !== 'string' && !(input instanceof URL))
      return Promise.reject(new TypeError('agentFetch takes a URL, not a Request'))
    if (init.body !== undefined && init.body !== null && typeof init.body !== 'string')
      return Promise.reject(new TypeError('agentFetch sends text bodies only'))
    const url = new URL(input)
    const secure = url.protocol === 'https:'
    const { signal } = init
    const headers = Object.fromEntries(new Headers(init.headers).entries())
    return new Promise<Response>((resolve, reject) => {
      // As fetch does: a timeout rejects with the signal's reason, a TimeoutError.
      const fail = (error: Error): void => reject(signal?.aborted ? (signal.reason as Error) : error)
      const request = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: init.method ?? 'GET',
          headers,
          agent: (secure ? agents.httpsAgent : agents.httpAgent) ?? undefined,
          ...(signal && { signal })
        },
        (answer) => void readAnswer(answer).then(resolve, fail)
      )
      request.on('error', fail)
      request.end(init.body ?? undefined)
    })
  }
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
  for (let index = 0; index + 1 < answer.rawHeaders.length; index += 2)
    headers.append(answer.rawHeaders[index]!, answer.rawHeaders[index + 1]!)
  const status = answer.statusCode ?? 502
  return new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), {
    status,
    statusText: answer.statusMessage ?? '',
    headers
  })
}
