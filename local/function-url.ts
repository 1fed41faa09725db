import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LambdaContainer } from './lambda.js'

/** Lambda's own bound on a function URL's request body. */
const PAYLOAD_MAX_BYTES = 6 * 1024 * 1024

/**
 * A Lambda function URL on this machine: each HTTP request becomes the
 * event Lambda sends (payload format 2.0), run by the container one at a
 * time as Lambda runs a container's invocations, and the handler's
 * `{ statusCode, headers, body }` becomes the HTTP answer.
 */
export class FunctionUrl {
  private queue: Promise<unknown> = Promise.resolve()
  /** How many requests reached the function. */
  invocations = 0

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly container: LambdaContainer
  ) {}

  /** Everything the function logged. */
  get log(): string {
    return this.container.log
  }

  static async start(container: LambdaContainer): Promise<FunctionUrl> {
    const started: { self?: FunctionUrl } = {}
    const server = createServer((request, response) => {
      const chunks: Buffer[] = []
      let size = 0
      request.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size <= PAYLOAD_MAX_BYTES) chunks.push(chunk)
      })
      request.on('end', () => {
        if (size > PAYLOAD_MAX_BYTES) {
          response.writeHead(413).end()
          return
        }
        const url = new URL(request.url ?? '/', 'http://function-url')
        const body = Buffer.concat(chunks)
        const binary = !/json|text/.test(request.headers['content-type'] ?? '')
        const event = {
          version: '2.0',
          rawPath: url.pathname,
          rawQueryString: url.search.slice(1),
          headers: Object.fromEntries(
            Object.entries(request.headers).map(([name, value]) => [
              name,
              Array.isArray(value) ? value.join(',') : value
            ])
          ),
          requestContext: {
            domainName: request.headers.host,
            http: { method: request.method, path: url.pathname, sourceIp: request.socket.remoteAddress }
          },
          ...(body.length > 0 && { body: binary ? body.toString('base64') : body.toString('utf8') }),
          isBase64Encoded: body.length > 0 && binary
        }
        void started.self?.invoke(event).then(
          (answer) => response.writeHead(answer.statusCode, answer.headers).end(answer.body),
          (error: Error) => response.writeHead(502, { 'content-type': 'text/plain' }).end(error.message)
        )
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    started.self = new FunctionUrl(server, `http://127.0.0.1:${port}/`, container)
    return started.self
  }

  private invoke(event: unknown): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
    this.invocations += 1
    const next = this.queue.then(async () => {
      const { result, error } = await this.container.invoke<{
        statusCode: number
        headers?: Record<string, string>
        body?: string
      }>(event)
      if (error || result === undefined) throw new Error(`the function failed: ${error?.message ?? 'no answer'}`)
      return { statusCode: result.statusCode, headers: result.headers ?? {}, body: result.body ?? '' }
    })
    this.queue = next.catch(() => undefined)
    return next
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve))
  }
}
