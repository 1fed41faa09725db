import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { setTimeout as wait } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { streamingFetch } from '../../src/portable/http-fetch.js'

describe('streamingFetch', () => {
  it('reads a body to its end when the server closes the connection while the reader is behind', async () => {
    const body = Buffer.alloc(4 * 1024 * 1024, 0x61)
    // As moto's server does: the whole answer, then the connection closed at once.
    const server = createServer((socket) => {
      socket.once('data', () => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`)
        socket.end(body)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const response = await streamingFetch({})(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
      // The reader waits while the server has long finished, as a slow disk would make it.
      await wait(300)
      let length = 0
      for await (const chunk of response.body! as AsyncIterable<Uint8Array>) {
        length += chunk.length
        await wait(1)
      }
      expect(length).toBe(body.length)
    } finally {
      server.close()
    }
  })

  it('returns a redirect as it is, without following it', async () => {
    const server = createServer((socket) => {
      socket.once('data', () =>
        socket.end('HTTP/1.1 307 Temporary Redirect\r\nLocation: http://example.com/\r\nContent-Length: 0\r\n\r\n')
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const response = await streamingFetch({})(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
        method: 'POST',
        body: '{}'
      })
      expect(response.status).toBe(307)
      expect(response.headers.get('location')).toBe('http://example.com/')
    } finally {
      server.close()
    }
  })
})
