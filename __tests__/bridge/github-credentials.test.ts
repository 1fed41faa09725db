import { createVerify, generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { appJwt, parseCredentials, SecretTokens } from '../../src/bridge/github-credentials.js'
import { Logger } from '../../src/bridge/json-log.js'

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PKCS1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
const PKCS8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const NOW = Date.parse('2026-11-25T12:00:00Z')
const href = (url: string | URL | Request): string =>
  typeof url === 'string' ? url : url instanceof URL ? url.href : url.url

describe('parseCredentials', () => {
  it('reads a token as plain text or as {"token"}', () => {
    expect(parseCredentials('  github_pat_11AAAA0000aaaa1111bbbb  \n')).toEqual({
      kind: 'token',
      token: 'github_pat_11AAAA0000aaaa1111bbbb',
      webhookSecrets: []
    })
    expect(parseCredentials('{"token":"ghp_abcdefghijklmnopqrstuvwxyz"}')).toEqual({
      kind: 'token',
      token: 'ghp_abcdefghijklmnopqrstuvwxyz',
      webhookSecrets: []
    })
  })

  it('reads the webhook secret, and the one before it during a rotation, beside a token or an App', () => {
    const [current, previous] = ['whsec-current-0123456789', 'whsec-previous-0123456789']
    const token = { token: 'ghp_abcdefghijklmnopqrstuvwxyz' }
    expect(parseCredentials(JSON.stringify({ ...token, webhookSecret: current })).webhookSecrets).toEqual([current])
    const rotating = { ...token, webhookSecret: current, previousWebhookSecret: previous }
    expect(parseCredentials(JSON.stringify(rotating)).webhookSecrets).toEqual([current, previous])
    const app = parseCredentials(JSON.stringify({ appId: 1, privateKey: PKCS1, webhookSecret: current }))
    expect(app.webhookSecrets).toEqual([current])
    for (const webhookSecret of [42, 'short'])
      expect(() => parseCredentials(JSON.stringify({ ...token, webhookSecret }))).toThrow(
        /"webhookSecret" in the GitHub credentials secret must be the webhook's secret, at least 16 characters/
      )
  })

  it("reads a GitHub App's ID and its PKCS#1 key as GitHub hands it out, or PKCS#8, newlines escaped or not", () => {
    for (const key of [PKCS1, PKCS8, PKCS1.replace(/\n/g, '\\n')]) {
      const parsed = parseCredentials(JSON.stringify({ appId: 12345, privateKey: key }))
      expect(parsed).toMatchObject({ kind: 'app', appId: '12345' })
    }
  })

  it.each([
    ['not a token', /holds no usable token/],
    ['{"appId": 1', /is not valid JSON/],
    ['{"user": "x", "password": "y"}', /has neither "token" nor "appId" and "privateKey"/],
    [
      '{"appId": "12", "privateKey": "-----BEGIN RSA PRIVATE KEY-----\\nAAAA\\n-----END RSA PRIVATE KEY-----"}',
      /is not an RSA private key in PEM form/
    ]
  ])('explains what is wrong with %j without quoting it', (text, reason) => {
    let message = ''
    try {
      parseCredentials(text)
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(reason)
    expect(message).not.toContain('AAAA')
    expect(message).not.toContain('password')
  })
})

describe('appJwt', () => {
  it('is an RS256 JWT issued 30 seconds back, lasting nine minutes, with the App as issuer', () => {
    const jwt = appJwt('12345', privateKey, NOW)
    const [header = '', payload = '', signature = ''] = jwt.split('.')
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' })
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toEqual({
      iat: NOW / 1000 - 30,
      exp: NOW / 1000 - 30 + 540,
      iss: '12345'
    })
    expect(createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(publicKey, signature, 'base64url')).toBe(
      true
    )
  })
})

describe('SecretTokens', () => {
  const quiet = Logger.create('error', { now: () => NOW }, () => undefined)

  /** A GitHub that hands out numbered installation tokens lasting an hour. */
  function app() {
    const calls: string[] = []
    let minted = 0
    const fetcher: typeof fetch = (url) => {
      const path = new URL(href(url)).pathname
      calls.push(path)
      if (path.endsWith('/installation')) return Promise.resolve(Response.json({ id: 7 }))
      minted += 1
      return Promise.resolve(
        Response.json(
          { token: `ghs_token${minted}`, expires_at: new Date(clock.now + 60 * 60_000).toISOString() },
          { status: 201 }
        )
      )
    }
    const clock = { now: NOW }
    const secret = JSON.stringify({ appId: '1', privateKey: PKCS1 })
    const tokens = new SecretTokens(
      () => Promise.resolve(secret),
      'https://api',
      quiet,
      { now: () => clock.now },
      fetcher
    )
    return { tokens, calls, clock }
  }

  it('mints one installation token per repository, shared by jobs started together, and keeps it', async () => {
    const { tokens, calls } = app()
    const together = await Promise.all([
      tokens.token('acme', 'app'),
      tokens.token('acme', 'app'),
      tokens.token('ACME', 'App')
    ])
    expect(together).toEqual(['ghs_token1', 'ghs_token1', 'ghs_token1'])
    expect(await tokens.token('acme', 'web')).toBe('ghs_token2')
    expect(calls).toEqual([
      '/repos/acme/app/installation',
      '/app/installations/7/access_tokens',
      '/repos/acme/web/installation',
      '/app/installations/7/access_tokens'
    ])
  })

  it('mints a new one five minutes before the old one expires, and when GitHub refuses it', async () => {
    const { tokens, clock } = app()
    expect(await tokens.token('acme', 'app')).toBe('ghs_token1')
    clock.now += 54 * 60_000
    expect(await tokens.token('acme', 'app')).toBe('ghs_token1')
    clock.now += 2 * 60_000
    expect(await tokens.token('acme', 'app')).toBe('ghs_token2')
    expect(await tokens.refresh('acme', 'app', 'ghs_token2')).toBe(true)
    expect(await tokens.token('acme', 'app')).toBe('ghs_token3')
  })

  it('reads the secret again for a refused token, at most once a minute for the same token', async () => {
    let reads = 0
    const values = ['ghp_first_token_0000000000', 'ghp_first_token_0000000000', 'ghp_second_token_000000000']
    const clock = { now: NOW }
    const tokens = new SecretTokens(
      () => Promise.resolve(values[Math.min(reads++, values.length - 1)]!),
      'https://api',
      quiet,
      { now: () => clock.now },
      fetch
    )
    expect(await tokens.token('acme', 'app')).toBe('ghp_first_token_0000000000')
    expect(await tokens.refresh('acme', 'app', 'ghp_first_token_0000000000')).toBe(false)
    expect(await tokens.refresh('acme', 'app', 'ghp_first_token_0000000000')).toBe(false)
    expect(reads).toBe(2)
    clock.now += 61_000
    expect(await tokens.refresh('acme', 'app', 'ghp_first_token_0000000000')).toBe(true)
    expect(await tokens.token('acme', 'app')).toBe('ghp_second_token_000000000')
  })

  it('masks the secret, and every token, in the log', async () => {
    const lines: string[] = []
    const log = Logger.create('debug', { now: () => NOW }, (line) => lines.push(line))
    const secret = JSON.stringify({ appId: '1', privateKey: PKCS1 })
    const tokens = new SecretTokens(
      () => Promise.resolve(secret),
      'https://api',
      log,
      { now: () => NOW },
      (url) =>
        Promise.resolve(
          href(url).endsWith('/installation')
            ? Response.json({ id: 7 })
            : Response.json({ token: 'ghs_abcdefghijklmnop', expires_at: '2099-01-01T00:00:00Z' })
        )
    )
    const token = await tokens.token('acme', 'app')
    log.info(`oops: ${token} ${PKCS1} ${JSON.stringify(secret)}`)
    const text = lines.join('')
    expect(text).not.toContain('ghs_abcdefghijklmnop')
    // The BEGIN and END lines are the same in every key; the lines between are the secret.
    const keyLines = PKCS1.split('\n').filter((part) => part.length >= 8 && !part.startsWith('-----'))
    for (const line of keyLines) expect(text).not.toContain(line)
  })
})
