import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeySet, parseIssuer } from '../../src/bridge/oidc.js'
import { defaultRunClaims, startFakeOidcIssuer, type FakeOidcIssuer } from '../../local/fake-oidc-issuer.js'

// The fake issuer over HTTP, read the way the bridge reads GitHub's: discovery, then the key set.
const AUDIENCE = 'https://abcdefghijklmnop.lambda-url.us-east-1.on.aws'
let issuer: FakeOidcIssuer

async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  if (!response.ok) throw new Error(`${url} answered ${response.status}`)
  return response.json()
}

beforeAll(async () => {
  issuer = await startFakeOidcIssuer()
})
afterAll(async () => {
  await issuer.close()
})

describe('the fake OIDC issuer', () => {
  it('serves an issuer the bridge takes, whose tokens verify, and whose rotated key is found by one refetch', async () => {
    expect(parseIssuer(issuer.url)).toBe(issuer.url)
    const keySet = new KeySet({ issuer: issuer.url, fetchJson, now: Date.now })
    const first = await keySet.verify(issuer.mint(defaultRunClaims(AUDIENCE)), AUDIENCE)
    expect(first).toMatchObject({ ok: true, claims: { iss: issuer.url, aud: AUDIENCE, repository: 'acme/app' } })
    expect(issuer.keys.kid).toBe('k1')
    expect([issuer.discoveryFetches, issuer.jwksFetches]).toEqual([1, 1])

    await keySet.verify(issuer.mint(defaultRunClaims(AUDIENCE)), AUDIENCE)
    expect(issuer.jwksFetches).toBe(1)

    const kid = issuer.rotate()
    expect(kid).not.toBe('k1')
    const rotated = await keySet.verify(issuer.mint(defaultRunClaims(AUDIENCE, 'acme/other')), AUDIENCE)
    expect(rotated).toMatchObject({ ok: true, claims: { repository: 'acme/other' } })
    expect(issuer.jwksFetches).toBe(2)
    // The old key is still published, and still kept.
    const old = await keySet.verify(issuer.mint(defaultRunClaims(AUDIENCE), { kid: 'k1' }), AUDIENCE)
    expect(old.ok).toBe(true)
    expect(issuer.jwksFetches).toBe(2)
  })

  it('refuses its attacks over the wire as in the unit tests', async () => {
    const keySet = new KeySet({ issuer: issuer.url, fetchJson, now: Date.now })
    const accepted = async (token: string) => (await keySet.verify(token, AUDIENCE)).ok
    expect(await accepted(issuer.mint(defaultRunClaims(AUDIENCE), { signature: 'none' }))).toBe(false)
    expect(await accepted(issuer.mint(defaultRunClaims(AUDIENCE), { signature: 'hs256-with-public-key' }))).toBe(false)
    expect(await accepted(issuer.mint(defaultRunClaims(AUDIENCE), { key: 'outside' }))).toBe(false)
    expect(await accepted(issuer.mint(defaultRunClaims('sts.amazonaws.com')))).toBe(false)
  })

  it('makes a key set throw, not refuse, while it is down', async () => {
    const keySet = new KeySet({ issuer: issuer.url, fetchJson, now: Date.now })
    issuer.failWith = 503
    try {
      await expect(keySet.verify(issuer.mint(defaultRunClaims(AUDIENCE)), AUDIENCE)).rejects.toThrow(/503/)
    } finally {
      issuer.failWith = undefined
    }
    expect((await keySet.verify(issuer.mint(defaultRunClaims(AUDIENCE)), AUDIENCE)).ok).toBe(true)
  })
})
