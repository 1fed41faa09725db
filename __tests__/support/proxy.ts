import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'

/** A request the proxy carried: a tunnel (`CONNECT host:port`) or a plain HTTP request. */
export interface ProxiedRequest {
  readonly method: string
  readonly target: string
  readonly authorization?: string
}

/**
 * A forward proxy on loopback, as a corporate network has one, that records
 * what it carries. Every host it is asked for is reached on 127.0.0.1, so tests
 * can name servers with hosts that only the proxy can reach (`*.test`): a request
 * that arrives proves it went through the proxy.
 */
export class LoopbackProxy {
  readonly requests: ProxiedRequest[] = []
  private readonly sockets = new Set<Socket>()

  private constructor(private readonly server: Server) {}

  static async start(): Promise<LoopbackProxy> {
    const server = createServer()
    const proxy = new LoopbackProxy(server)
    server.on('connection', (socket) => {
      proxy.sockets.add(socket)
      socket.on('close', () => proxy.sockets.delete(socket))
    })
    server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
      proxy.record(request, request.url ?? '')
      const { port } = new URL(`http://${request.url ?? ''}`)
      const upstream = connect(Number(port) || 443, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      proxy.sockets.add(upstream)
      upstream.on('close', () => proxy.sockets.delete(upstream))
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
    server.on('request', (request: IncomingMessage, response) => {
      proxy.record(request, request.url ?? '')
      const url = new URL(request.url ?? '')
      const forwarded = httpRequest(
        {
          host: '127.0.0.1',
          port: Number(url.port) || 80,
          method: request.method,
          path: `${url.pathname}${url.search}`,
          headers: request.headers
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(response)
        }
      )
      forwarded.on('error', () => response.destroy())
      request.pipe(forwarded)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  /** The proxy's URL with credentials in it, as some networks require. */
  urlWithCredentials(user: string, password: string): string {
    const url = new URL(this.url)
    url.username = user
    url.password = password
    return url.toString()
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private record(request: IncomingMessage, target: string): void {
    this.requests.push({
      method: request.method ?? '',
      target,
      ...(request.headers['proxy-authorization'] && { authorization: request.headers['proxy-authorization'] })
    })
  }
}
