import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import {
  GITHUB_OIDC_ISSUER,
  KeySet,
  parseIssuer,
  verifyToken,
  type KeyLookup,
  type TokenVerdict
} from '../../src/bridge/oidc.js'
import { compactJws, defaultRunClaims, FakeOidcKeys, type MintOptions } from '../../local/fake-oidc-issuer.js'

const NOW = Date.parse('2026-11-25T12:00:00Z')
const NOW_SECONDS = NOW / 1000
const AUDIENCE = 'https://abcdefghijklmnop.lambda-url.us-east-1.on.aws'
const EXPECTED = { issuer: GITHUB_OIDC_ISSUER, audience: AUDIENCE }
const JWKS_URI = `${GITHUB_OIDC_ISSUER}/.well-known/jwks`
const DISCOVERY_URL = `${GITHUB_OIDC_ISSUER}/.well-known/openid-configuration`

const issuer = new FakeOidcKeys(GITHUB_OIDC_ISSUER, () => NOW)
const published: KeyLookup = new Map([[issuer.kid, issuer.publicKey()]])
/** A key the test signs raw bytes with, published as `raw`. */
const raw = generateKeyPairSync('rsa', { modulusLength: 2048 })
const withRaw: KeyLookup = new Map([...(published as Map<string, KeyObject>), ['raw', raw.publicKey]])

const mint = (claims: Record<string, unknown> = {}, options?: MintOptions): string =>
  issuer.mint({ ...defaultRunClaims(AUDIENCE), ...claims }, options)
const check = (token: string, keys: KeyLookup = published, now = NOW): TokenVerdict =>
  verifyToken(token, keys, EXPECTED, now)
/** A token of raw header and payload text, signed with RS256 by the `raw` key. */
const rawToken = (header: string, payload: string): string => {
  const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`
  return `${input}.${sign('sha256', Buffer.from(input), raw.privateKey).toString('base64url')}`
}

/** Refused for a reason matching `because`, which neither quotes the token nor its signature. */
function expectRefused(token: string, because: RegExp, keys: KeyLookup = published, now = NOW): void {
  const verdict = check(token, keys, now)
  expect(verdict).toMatchObject({ ok: false, reason: expect.stringMatching(because) as string })
  if (verdict.ok) return
  const signature = token.split('.')[2] ?? ''
  if (signature.length > 8) expect(verdict.reason).not.toContain(signature)
  if (token.length > 8) expect(verdict.reason).not.toContain(token)
}

describe('verifyToken', () => {
  it("accepts a run's token, and keeps the claims the bridge reads, not the others", () => {
    const verdict = check(mint())
    expect(verdict.ok).toBe(true)
    if (!verdict.ok) return
    expect(verdict.claims).toMatchObject({
      iss: GITHUB_OIDC_ISSUER,
      aud: AUDIENCE,
      iat: NOW_SECONDS,
      exp: NOW_SECONDS + 300,
      repository: 'acme/app',
      repository_id: '123456789',
      run_id: '4242424242',
      run_attempt: '1',
      workflow_ref: 'acme/app/.github/workflows/build.yml@refs/heads/main',
      actor_id: '583231'
    })
    expect(verdict.claims).not.toHaveProperty('runner_environment')
    expect(verdict.claims).not.toHaveProperty('environment')
  })

  it('refuses alg none, with or without a signature', () => {
    expectRefused(mint({}, { signature: 'none' }), /RS256/)
    expectRefused(`${mint({}, { signature: 'none' })}c2ln`, /RS256/)
    // Saying RS256 does not help an empty signature.
    expectRefused(mint({}, { signature: 'none', header: { alg: 'RS256' } }), /signature does not verify/)
  })

  it('refuses HS256 signed with the public key as the HMAC secret, as PEM or as JWK text', () => {
    expectRefused(mint({}, { signature: 'hs256-with-public-key' }), /RS256/)
    const jwkText = JSON.stringify({ ...issuer.publicKey().export({ format: 'jwk' }), kid: issuer.kid })
    const payload = { ...defaultRunClaims(AUDIENCE), iss: GITHUB_OIDC_ISSUER, iat: NOW_SECONDS, exp: NOW_SECONDS + 300 }
    const hmac = (input: Buffer) => createHmac('sha256', jwkText).update(input).digest()
    expectRefused(compactJws({ alg: 'HS256', kid: issuer.kid }, { ...payload, jti: 'a' }, hmac), /RS256/)
    // Nor does an HMAC pass as RS256.
    expectRefused(compactJws({ alg: 'RS256', kid: issuer.kid }, { ...payload, jti: 'b' }, hmac), /does not verify/)
  })

  it('refuses every alg but RS256: RS512, PS256, a missing one, one of another case', () => {
    expectRefused(mint({}, { alg: 'RS512' }), /not signed with RS256/)
    expectRefused(mint({}, { alg: 'PS256' }), /not signed with RS256/)
    expectRefused(mint({}, { alg: 'rs256' }), /not signed with RS256/)
    expectRefused(mint({}, { header: { alg: undefined } }), /not signed with RS256/)
    expectRefused(mint({}, { header: { alg: ['RS256'] } }), /not signed with RS256/)
  })

  it('refuses a token signed with a key outside the set under a kid in it, even with the key in its header', () => {
    expectRefused(mint({}, { key: 'outside' }), /signature does not verify/)
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const header = { alg: 'RS256', kid: issuer.kid, jwk: attacker.publicKey.export({ format: 'jwk' }) }
    const payload = { ...defaultRunClaims(AUDIENCE), iss: GITHUB_OIDC_ISSUER, iat: NOW_SECONDS, exp: NOW_SECONDS + 60 }
    const token = compactJws(header, payload, (input) => sign('sha256', input, attacker.privateKey))
    expectRefused(token, /signature does not verify/)
  })

  it('names an unknown kid, for the key set to be loaded again', () => {
    expect(check(mint({}, { kid: 'k9' }))).toEqual({
      ok: false,
      reason: 'no key of the issuer has kid "k9"',
      unknownKid: 'k9'
    })
  })

  it('refuses a missing, empty or non-string kid, and critical header extensions', () => {
    expectRefused(mint({}, { header: { kid: undefined } }), /no kid/)
    expectRefused(mint({}, { header: { kid: '' } }), /no kid/)
    expectRefused(mint({}, { header: { kid: 1 } }), /no kid/)
    expectRefused(mint({}, { header: { crit: ['exp'], exp: 1 } }), /critical/)
  })

  it('refuses a kid whose key is not an RSA public key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    expectRefused(mint(), /not RSA/, new Map([[issuer.kid, ec]]))
    expectRefused(mint(), /not RSA/, new Map([[issuer.kid, raw.privateKey]]))
  })

  it('refuses another issuer, matched exactly', () => {
    expectRefused(mint({ iss: 'https://token.actions.githubusercontent.com/acme' }), /issuer/)
    expectRefused(mint({ iss: `${GITHUB_OIDC_ISSUER}/` }), /issuer/)
    expectRefused(mint({ iss: 'https://evil.example' }), /issuer "https:\/\/evil.example"/)
  })

  it("refuses another audience, such as AWS's, and takes an audience list that has the bridge's", () => {
    expectRefused(mint({ aud: 'sts.amazonaws.com' }), /audience "sts.amazonaws.com"/)
    expectRefused(mint({ aud: `${AUDIENCE}/` }), /audience/)
    expectRefused(mint({ aud: [] }), /audience/)
    expectRefused(mint({ aud: ['sts.amazonaws.com', 'https://other.example'] }), /audience/)
    expect(check(mint({ aud: ['sts.amazonaws.com', AUDIENCE] })).ok).toBe(true)
  })

  it('refuses an expired token, beyond a minute of skew', () => {
    expectRefused(mint({ iat: NOW_SECONDS - 400, exp: NOW_SECONDS - 61 }), /expired/)
    expectRefused(mint({ iat: NOW_SECONDS - 400, exp: NOW_SECONDS - 60 }), /expired/)
    expect(check(mint({ iat: NOW_SECONDS - 400, exp: NOW_SECONDS - 59 })).ok).toBe(true)
    expectRefused(mint(), /expired/, published, NOW + 361_000)
  })

  it('refuses a token issued, or valid only from, beyond a minute ahead', () => {
    expectRefused(mint({ iat: NOW_SECONDS + 61, exp: NOW_SECONDS + 361 }), /not valid yet/)
    expectRefused(mint({ nbf: NOW_SECONDS + 61 }), /not valid yet/)
    expect(check(mint({ iat: NOW_SECONDS + 60, exp: NOW_SECONDS + 360 })).ok).toBe(true)
    expect(check(mint({ nbf: NOW_SECONDS + 60 })).ok).toBe(true)
    expect(check(mint({ nbf: NOW_SECONDS - 5 })).ok).toBe(true)
  })

  it('refuses a token that lives longer than an hour', () => {
    expectRefused(mint({ exp: NOW_SECONDS + 3601 }), /longer than an hour/)
    expect(check(mint({ exp: NOW_SECONDS + 3600 })).ok).toBe(true)
  })

  it('refuses what is not three base64url parts before decoding it', () => {
    const token = mint()
    const [header = '', payload = '', signature = ''] = token.split('.')
    for (const malformed of [
      '',
      '..',
      `${header}.${payload}`,
      `${token}.`,
      `${token}.${signature}`,
      `.${payload}.${signature}`,
      `${header}..${signature}`,
      `${header}.${payload}.${signature}=`,
      `${header}.${payload}.${signature.slice(0, 20)}+${signature.slice(21)}`,
      `${header}.${payload}.${signature.slice(0, 20)}/${signature.slice(21)}`,
      ` ${token}`,
      `${token}\n`,
      `Bearer ${token}`,
      // 341 characters: a length no bytes encode to.
      `${header}.${payload}.${signature.slice(0, 341)}`
    ])
      expectRefused(malformed, /not a JWS of three base64url parts/)
  })

  it('refuses a part with other bits than its bytes encode to', () => {
    const token = mint()
    // 256 bytes end in a character whose last four bits are unused: set one, and Buffer would decode the same bytes.
    const last = token.at(-1) ?? ''
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const twin = alphabet[alphabet.indexOf(last) + 1] ?? ''
    const signature = token.split('.')[2] ?? ''
    expect(signature).toHaveLength(342)
    expect(Buffer.from(`${signature.slice(0, -1)}${twin}`, 'base64url')).toEqual(Buffer.from(signature, 'base64url'))
    expectRefused(`${token.slice(0, -1)}${twin}`, /not a JWS of three base64url parts/)
  })

  it('refuses a token over 16 KiB without reading it', () => {
    const huge = mint({ padding: 'x'.repeat(16 * 1024) })
    expectRefused(huge, /over 16384 characters/)
    expectRefused('a'.repeat(16 * 1024 + 1), /over 16384 characters/)
  })

  it('refuses a header or a payload that is not a JSON object', () => {
    expectRefused(rawToken('{"alg":"RS256",', '{}'), /not a JWS/, withRaw)
    expectRefused(rawToken('["RS256"]', '{}'), /not a JWS/, withRaw)
    expectRefused(rawToken('{"alg":"RS256","kid":"raw"}', 'not json'), /payload is not a JSON object/, withRaw)
    expectRefused(rawToken('{"alg":"RS256","kid":"raw"}', '[1]'), /payload is not a JSON object/, withRaw)
    expectRefused(rawToken('{"alg":"RS256","kid":"raw"}', 'null'), /payload is not a JSON object/, withRaw)
  })

  it.each([
    ['run_id', 4242424242, 'string'],
    ['repository_id', 123456789, 'string'],
    ['actor_id', 583231, 'string'],
    ['run_attempt', 1, 'string'],
    ['repository', undefined, 'string'],
    ['sub', null, 'string'],
    ['jti', undefined, 'string'],
    ['environment', null, 'string'],
    ['job_workflow_ref', 7, 'string'],
    ['aud', 1, 'audience'],
    ['aud', [AUDIENCE, 1], 'audience'],
    ['exp', String(NOW_SECONDS + 300), 'number'],
    ['iat', undefined, 'number'],
    ['nbf', String(NOW_SECONDS), 'number'],
    ['iss', [GITHUB_OIDC_ISSUER], 'string']
  ])('refuses a token whose %s is %j', (claim, value, type) => {
    expectRefused(mint({ [claim]: value }), new RegExp(`${claim} claim is missing or not a ${type}`))
  })

  it('takes the optional claims when they are strings', () => {
    const verdict = check(mint({ environment: 'production', nbf: NOW_SECONDS - 5 }))
    expect(verdict).toMatchObject({ ok: true, claims: { environment: 'production', nbf: NOW_SECONDS - 5 } })
  })
})

/** A stubbed issuer: its discovery document and key set, each fetch counted by URL. */
function stubIssuer(keys: FakeOidcKeys, discovery: unknown = keys.discovery(JWKS_URI)) {
  const fetchJson = vi.fn((url: string): Promise<unknown> => {
    if (url === `${keys.issuer}/.well-known/openid-configuration`) return Promise.resolve(discovery)
    if (url === JWKS_URI || url === `${keys.issuer}/.well-known/jwks`) return Promise.resolve(keys.jwks())
    return Promise.reject(new Error(`unexpected fetch of ${url}`))
  })
  const jwksFetches = () => fetchJson.mock.calls.filter(([url]) => url.endsWith('/jwks')).length
  return { fetchJson, jwksFetches }
}

describe('KeySet', () => {
  const fresh = () => new FakeOidcKeys(GITHUB_OIDC_ISSUER, () => NOW)

  it('loads the keys on first use, from the jwks_uri of the discovery document, and keeps them', async () => {
    const keys = fresh()
    const { fetchJson, jwksFetches } = stubIssuer(keys)
    const set = new KeySet({ issuer: GITHUB_OIDC_ISSUER, fetchJson, now: () => NOW })
    expect(fetchJson).not.toHaveBeenCalled()
    const token = keys.mint(defaultRunClaims(AUDIENCE))
    expect((await set.verify(token, AUDIENCE)).ok).toBe(true)
    expect((await set.verify(token, AUDIENCE)).ok).toBe(true)
    expect(fetchJson.mock.calls.map(([url]) => url)).toEqual([DISCOVERY_URL, JWKS_URI])
    expect(jwksFetches()).toBe(1)
    expect(await set.verify(token, 'sts.amazonaws.com')).toMatchObject({ ok: false, reason: /audience/ })
  })

  it('loads the keys again for an unknown kid, at most once a minute', async () => {
    const keys = fresh()
    const { fetchJson, jwksFetches } = stubIssuer(keys)
    let now = NOW
    const set = new KeySet({ issuer: GITHUB_OIDC_ISSUER, fetchJson, now: () => now })
    expect((await set.verify(keys.mint(defaultRunClaims(AUDIENCE)), AUDIENCE)).ok).toBe(true)
    expect(jwksFetches()).toBe(1)

    const unknown = await set.verify(keys.mint(defaultRunClaims(AUDIENCE), { kid: 'made-up-1' }), AUDIENCE)
    expect(unknown).toMatchObject({ ok: false, unknownKid: 'made-up-1' })
    expect(jwksFetches()).toBe(2)

    now += 59_000
    const again = await set.verify(keys.mint(defaultRunClaims(AUDIENCE), { kid: 'made-up-2' }), AUDIENCE)
    expect(again).toMatchObject({ ok: false, unknownKid: 'made-up-2' })
    expect(jwksFetches()).toBe(2)

    now += 1_000
    await set.verify(keys.mint(defaultRunClaims(AUDIENCE), { kid: 'made-up-3' }), AUDIENCE)
    expect(jwksFetches()).toBe(3)
  })

  it('finds a rotated key when it loads the keys again, and keeps taking the old one', async () => {
    const keys = fresh()
    const { fetchJson, jwksFetches } = stubIssuer(keys)
    const set = new KeySet({ issuer: GITHUB_OIDC_ISSUER, fetchJson, now: () => NOW })
    const old = keys.mint(defaultRunClaims(AUDIENCE))
    expect((await set.verify(old, AUDIENCE)).ok).toBe(true)
    const rotated = keys.rotate()
    const token = keys.mint(defaultRunClaims(AUDIENCE))
    expect(token).not.toBe(old)
    expect(await set.verify(token, AUDIENCE)).toMatchObject({ ok: true, claims: { run_id: '4242424242' } })
    expect(rotated).toBe('k2')
    expect(jwksFetches()).toBe(2)
    expect((await set.verify(old, AUDIENCE)).ok).toBe(true)
    expect(jwksFetches()).toBe(2)
  })

  it('throws when the issuer cannot be read, and tries again on the next token', async () => {
    const keys = fresh()
    const fetchJson = vi
      .fn<(url: string) => Promise<unknown>>()
      .mockRejectedValueOnce(new Error('connect ETIMEDOUT'))
      .mockResolvedValueOnce(keys.discovery(JWKS_URI))
      .mockResolvedValueOnce(keys.jwks())
    const set = new KeySet({ issuer: GITHUB_OIDC_ISSUER, fetchJson, now: () => NOW })
    const token = keys.mint(defaultRunClaims(AUDIENCE))
    await expect(set.verify(token, AUDIENCE)).rejects.toThrow('connect ETIMEDOUT')
    expect((await set.verify(token, AUDIENCE)).ok).toBe(true)
  })

  it('throws when loading the keys again fails, for the token may be good', async () => {
    const keys = fresh()
    const { fetchJson } = stubIssuer(keys)
    const set = new KeySet({ issuer: GITHUB_OIDC_ISSUER, fetchJson, now: () => NOW })
    expect((await set.verify(keys.mint(defaultRunClaims(AUDIENCE)), AUDIENCE)).ok).toBe(true)
    fetchJson.mockRejectedValueOnce(new Error('503 Service Unavailable'))
    keys.rotate()
    await expect(set.verify(keys.mint(defaultRunClaims(AUDIENCE)), AUDIENCE)).rejects.toThrow('503')
  })

  it.each([
    [
      'a jwks_uri on http for an https issuer',
      { jwks_uri: 'http://token.actions.githubusercontent.com/.well-known/jwks' }
    ],
    ['a jwks_uri on http on loopback for an https issuer', { jwks_uri: 'http://127.0.0.1:9/.well-known/jwks' }],
    ['no jwks_uri', { issuer: GITHUB_OIDC_ISSUER }],
    ['a jwks_uri that is not a URL', { jwks_uri: '/.well-known/jwks' }],
    ['a discovery document that is not an object', 'jwks_uri']
  ])('refuses %s, and throws', async (_, discovery) => {
    const keys = fresh()
    const { fetchJson, jwksFetches } = stubIssuer(keys, discovery)
    const set = new KeySet({ issuer: GITHUB_OIDC_ISSUER, fetchJson, now: () => NOW })
    await expect(set.verify(keys.mint(defaultRunClaims(AUDIENCE)), AUDIENCE)).rejects.toThrow(/https:\/\/ jwks_uri/)
    expect(jwksFetches()).toBe(0)
  })

  it('takes a jwks_uri on http from an issuer on loopback, as the tests run one', async () => {
    const local = 'http://127.0.0.1:4599'
    const keys = new FakeOidcKeys(local, () => NOW)
    const { fetchJson } = stubIssuer(keys, keys.discovery(`${local}/.well-known/jwks`))
    const set = new KeySet({ issuer: local, fetchJson, now: () => NOW })
    expect((await set.verify(keys.mint(defaultRunClaims(AUDIENCE)), AUDIENCE)).ok).toBe(true)
  })

  it('passes over key set entries that are not RSA signing keys, and throws when none is', async () => {
    const keys = fresh()
    const good = keys.jwks().keys[0]
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' })
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })
    const entries = [
      null,
      'k1',
      { ...ec, kid: 'ec' },
      { ...good, kid: 'enc', use: 'enc' },
      { ...good, kid: 'rs512', alg: 'RS512' },
      { ...good, kid: undefined },
      { ...good, kid: '' },
      { ...good, kid: 'broken', n: 'AQAB!' },
      { ...good, kid: 'no-modulus', n: undefined },
      { ...small, kid: 'small' },
      good
    ]
    const stubbed = (jwks: unknown) =>
      new KeySet({
        issuer: GITHUB_OIDC_ISSUER,
        fetchJson: (url) => Promise.resolve(url === DISCOVERY_URL ? keys.discovery(JWKS_URI) : jwks),
        now: () => NOW
      })
    const set = stubbed({ keys: entries })
    expect((await set.verify(keys.mint(defaultRunClaims(AUDIENCE)), AUDIENCE)).ok).toBe(true)
    for (const kid of ['ec', 'enc', 'rs512', 'broken', 'no-modulus', 'small'])
      expect(await set.verify(keys.mint(defaultRunClaims(AUDIENCE), { kid }), AUDIENCE)).toMatchObject({
        unknownKid: kid
      })
    const token = keys.mint(defaultRunClaims(AUDIENCE))
    await expect(stubbed({ keys: entries.slice(0, -1) }).verify(token, AUDIENCE)).rejects.toThrow(/no RSA signing key/)
    await expect(stubbed({ keys: good }).verify(token, AUDIENCE)).rejects.toThrow(/no keys array/)
    await expect(stubbed([good]).verify(token, AUDIENCE)).rejects.toThrow(/no keys array/)
  })

  it('keeps the first 100 keys of a key set', async () => {
    const keys = fresh()
    const [good] = keys.jwks().keys
    const many = Array.from({ length: 150 }, (_, index) => ({ ...good, kid: `key-${index}` }))
    const set = new KeySet({
      issuer: GITHUB_OIDC_ISSUER,
      fetchJson: (url) => Promise.resolve(url === DISCOVERY_URL ? keys.discovery(JWKS_URI) : { keys: many }),
      now: () => NOW
    })
    const mintFor = (kid: string) => keys.mint(defaultRunClaims(AUDIENCE), { kid })
    expect((await set.verify(mintFor('key-99'), AUDIENCE)).ok).toBe(true)
    expect(await set.verify(mintFor('key-100'), AUDIENCE)).toMatchObject({ ok: false, unknownKid: 'key-100' })
  })
})

describe('parseIssuer', () => {
  it.each([
    [GITHUB_OIDC_ISSUER, GITHUB_OIDC_ISSUER],
    [`${GITHUB_OIDC_ISSUER}/`, GITHUB_OIDC_ISSUER],
    [` ${GITHUB_OIDC_ISSUER} `, GITHUB_OIDC_ISSUER],
    ['HTTPS://Token.Actions.GitHubUserContent.com', GITHUB_OIDC_ISSUER],
    // An enterprise's own issuer on github.com, and GitHub Enterprise Server's.
    ['https://token.actions.githubusercontent.com/acme', 'https://token.actions.githubusercontent.com/acme'],
    ['https://ghes.example.com/_services/token/', 'https://ghes.example.com/_services/token'],
    ['https://ghes.example.com:8443/_services/token', 'https://ghes.example.com:8443/_services/token'],
    ['http://127.0.0.1:4599', 'http://127.0.0.1:4599'],
    ['http://localhost:4599/', 'http://localhost:4599'],
    ['http://localhost', 'http://localhost']
  ])('takes %j as %j', (text, issuerUrl) => {
    expect(parseIssuer(text)).toBe(issuerUrl)
  })

  it.each([
    '',
    'token.actions.githubusercontent.com',
    'http://token.actions.githubusercontent.com',
    'http://ghes.example.com/_services/token',
    'http://127.0.0.1.example.com',
    'http://localhost:4599/issuer',
    'ftp://token.actions.githubusercontent.com',
    `${GITHUB_OIDC_ISSUER}?x=1`,
    `${GITHUB_OIDC_ISSUER}?`,
    `${GITHUB_OIDC_ISSUER}#top`,
    'https://user:secret@token.actions.githubusercontent.com',
    'https://token.actions.githubusercontent.com/a b'
  ])('refuses %j, naming OidcIssuer', (text) => {
    expect(() => parseIssuer(text)).toThrow(/^The stack parameter OidcIssuer .* is not an https:\/\/ URL/)
  })
})
