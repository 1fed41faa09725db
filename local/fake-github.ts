import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeCommit {
  readonly message: string
  readonly committedAt: string
}

/**
 * A stand-in for the GitHub REST API, serving just the Git commit lookup the
 * action makes, and checking the token it is sent with.
 */
export class FakeGitHubApi {
  readonly commits = new Map<string, FakeCommit>()
  readonly requests: { path: string; authorization?: string }[] = []
  /** Answers every request with this status instead, to test a failing API. */
  failWith?: number

  private constructor(
    private readonly server: Server,
    readonly token: string
  ) {}

  static async start(token: string): Promise<FakeGitHubApi> {
    const server = createServer()
    const api = new FakeGitHubApi(server, token)
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      api.requests.push({ path: request.url ?? '', authorization: request.headers.authorization })
      const send = (status: number, body: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/json' })
        response.end(JSON.stringify(body))
      }
      if (api.failWith) return send(api.failWith, { message: 'Server Error' })
      if (request.headers.authorization !== `token ${token}` && request.headers.authorization !== `Bearer ${token}`) {
        return send(401, { message: 'Bad credentials' })
      }
      const [, , , sha] = /^\/repos\/([^/]+)\/([^/]+)\/git\/commits\/([0-9a-f]+)$/.exec(request.url ?? '') ?? []
      const commit = sha === undefined ? undefined : api.commits.get(sha)
      if (!commit) return send(404, { message: 'Not Found' })
      send(200, {
        sha,
        message: commit.message,
        author: { name: 'Dev', email: 'dev@example.com', date: commit.committedAt },
        committer: { name: 'Dev', email: 'dev@example.com', date: commit.committedAt }
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return api
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
