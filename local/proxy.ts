import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls'

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
  /** Plain HTTP requests for which this says true are recorded but never forwarded, as a stalled network leaves them. */
  hold?: (request: ProxiedRequest) => boolean
  /** The Proxy-Authorization the proxy insists on; any other gets 407, as a corporate proxy answers. */
  requireAuthorization?: string
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
      const recorded = proxy.record(request, request.url ?? '')
      if (proxy.requireAuthorization !== undefined && recorded.authorization !== proxy.requireAuthorization) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n')
        return
      }
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
      const recorded = proxy.record(request, request.url ?? '')
      if (proxy.hold?.(recorded)) return
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

  private record(request: IncomingMessage, target: string): ProxiedRequest {
    const recorded = {
      method: request.method ?? '',
      target,
      ...(request.headers['proxy-authorization'] && { authorization: request.headers['proxy-authorization'] })
    }
    this.requests.push(recorded)
    return recorded
  }
}

/** A certificate for test host names, trusted by a step through NODE_EXTRA_CA_CERTS. */
export interface TestCertificate {
  readonly key: string
  readonly cert: string
  /** The certificate's file, to pass as NODE_EXTRA_CA_CERTS. */
  readonly certFile: string
}

/**
 * Makes a self-signed certificate for `names` with openssl, into a fresh
 * directory, so that no key is ever committed.
 */
export function testCertificate(names: readonly string[]): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'test-cert-'))
  const keyFile = join(dir, 'key.pem')
  const certFile = join(dir, 'cert.pem')
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '2',
        '-subj',
        '/CN=loopback test',
        '-addext',
        `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}`
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    )
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    throw new Error(
      missing ? 'The HTTPS proxy tests need openssl on PATH to make a test certificate.' : String(error),
      { cause: error }
    )
  }
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile }
}

/**
 * TLS in front of a plain HTTP server on loopback, as AWS and GitHub serve
 * HTTPS: with the proxy's CONNECT tunnels, a step reaches it as
 * https://<name>:<port> for any name the certificate holds.
 */
export class TlsFront {
  private readonly sockets = new Set<Socket>()

  private constructor(private readonly server: TlsServer) {}

  static async start(target: string, certificate: TestCertificate): Promise<TlsFront> {
    const port = Number(new URL(target).port)
    const server = createTlsServer({ key: certificate.key, cert: certificate.cert })
    const front = new TlsFront(server)
    server.on('secureConnection', (client) => {
      const upstream = connect(port, '127.0.0.1')
      for (const socket of [client, upstream]) {
        front.sockets.add(socket)
        socket.on('close', () => front.sockets.delete(socket))
      }
      client.pipe(upstream).pipe(client)
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return front
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
