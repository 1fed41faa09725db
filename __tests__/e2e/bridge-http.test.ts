import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTcpServer, type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { agentFetch } from '../../src/bridge/http.js'
import { freePort } from '../../local/moto.js'

// The bridge's fetch for GitHub, over node:http with the proxy agents: what githubRequest reads of it.
let server: Server
let handle: (request: IncomingMessage, body: string, response: ServerResponse) => void = () => undefined
const url = (path = '/') => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`
const fetcher = agentFetch({})

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => handle(request, body, response))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe('agentFetch', () => {
  it('sends the method, headers and body, and answers with status, headers and text', async () => {
    let seen: { method?: string; type?: string; body?: string } = {}
    handle = (request, body, response) => {
      seen = { method: request.method, type: request.headers['content-type'], body }
      response.writeHead(201, 'Created', { 'x-ratelimit-remaining': '4999', 'set-cookie': ['a=1', 'b=2'] })
      response.end('{"id":7}')
    }
    const answer = await fetcher(url('/repos'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"ref":"main"}'
    })
    expect(seen).toEqual({ method: 'POST', type: 'application/json', body: '{"ref":"main"}' })
    expect(answer.status).toBe(201)
    expect(answer.statusText).toBe('Created')
    expect(answer.ok).toBe(true)
    expect(answer.headers.get('x-ratelimit-remaining')).toBe('4999')
    expect(answer.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(await answer.json()).toEqual({ id: 7 })
  })

  it('answers 204 with no body, as GitHub answers a dispatch', async () => {
    handle = (_, __, response) => response.writeHead(204).end()
    const answer = await fetcher(url(), { method: 'POST', body: '{}' })
    expect(answer.status).toBe(204)
    expect(await answer.text()).toBe('')
  })

  it("rejects with the signal's TimeoutError when the answer does not come in time", async () => {
    handle = () => undefined
    const error = await fetcher(url(), { signal: AbortSignal.timeout(100) }).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ name: 'TimeoutError' })
  })

  it('cuts off an answer larger than any GitHub sends', async () => {
    handle = (_, __, response) => {
      response.writeHead(200)
      const chunk = Buffer.alloc(1024 * 1024, 'x')
      for (let index = 0; index < 5; index++) response.write(chunk)
      response.end()
    }
    await expect(fetcher(url())).rejects.toMatchObject({ code: 'ERESPONSETOOLARGE' })
  })

  it('follows redirects as fetch does: a 307 keeps the POST and its body, a 301 turns a POST into a GET', async () => {
    const seen: string[] = []
    handle = (request, body, response) => {
      seen.push(`${request.method} ${request.url} ${body} ${request.headers.authorization ?? '-'}`)
      if (request.url === '/renamed') response.writeHead(307, { location: '/repos/acme/app' }).end()
      else if (request.url === '/moved') response.writeHead(301, { location: url('/repos/acme/app') }).end()
      else response.writeHead(200).end('{}')
    }
    const post = { method: 'POST', headers: { authorization: 'Bearer t' }, body: '{"ref":"main"}' }
    expect((await fetcher(url('/renamed'), post)).status).toBe(200)
    expect((await fetcher(url('/moved'), post)).status).toBe(200)
    expect(seen).toEqual([
      'POST /renamed {"ref":"main"} Bearer t',
      'POST /repos/acme/app {"ref":"main"} Bearer t',
      'POST /moved {"ref":"main"} Bearer t',
      'GET /repos/acme/app  Bearer t'
    ])
  })

  it('sends no token to another host a redirect points at', async () => {
    let authorization: string | undefined = 'not asked'
    handle = (request, _, response) => {
      if (request.url === '/away') {
        const elsewhere = url('/there').replace('127.0.0.1', 'localhost')
        response.writeHead(302, { location: elsewhere }).end()
      } else {
        authorization = request.headers.authorization
        response.writeHead(200).end()
      }
    }
    await fetcher(url('/away'), { headers: { authorization: 'Bearer t' } })
    expect(authorization).toBeUndefined()
  })

  describe('on a kept-alive connection the server closed while the bridge was frozen', () => {
    /** Answers the first request on each connection, and resets a connection asked a second time. */
    async function closingWhileIdle(use: (address: string, agent: Agent) => Promise<void>) {
      const seen = { connections: 0, requests: [] as string[] }
      const tcp = createTcpServer((socket) => {
        seen.connections++
        let served = false
        socket.on('data', (chunk: Buffer) => {
          seen.requests.push(chunk.toString().split(' ')[0]!)
          if (served) return void socket.resetAndDestroy()
          served = true
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok')
        })
      })
      await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve))
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      try {
        await use(`http://127.0.0.1:${(tcp.address() as AddressInfo).port}/`, agent)
      } finally {
        agent.destroy()
        await new Promise((resolve) => tcp.close(resolve))
      }
      return seen
    }

    it('sends a read again, once, on a new connection', async () => {
      const seen = await closingWhileIdle(async (address, agent) => {
        const keepAlive = agentFetch({ httpAgent: agent })
        expect(await (await keepAlive(address)).text()).toBe('ok')
        expect(await (await keepAlive(address)).text()).toBe('ok')
      })
      expect(seen).toEqual({ connections: 2, requests: ['GET', 'GET', 'GET'] })
    })

    it('never sends a request that changes something on a kept connection, so it is never sent twice', async () => {
      const seen = await closingWhileIdle(async (address, agent) => {
        const keepAlive = agentFetch({ httpAgent: agent })
        expect(await (await keepAlive(address)).text()).toBe('ok')
        expect(await (await keepAlive(address, { method: 'POST', body: '{}' })).text()).toBe('ok')
      })
      expect(seen).toEqual({ connections: 2, requests: ['GET', 'POST'] })
    })
  })

  it('rejects with the network error and its code when nothing listens', async () => {
    await expect(fetcher(`http://127.0.0.1:${await freePort()}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
