import { describe, expect, it } from 'vitest'
import { admit, readBody, UNAUTHORIZED, type HttpAnswer, type UrlEvent } from '../../src/bridge/endpoint.js'
import { BRIDGE_BODY_MAX_BYTES, BRIDGE_ROUTES } from '../../src/portable/bridge-protocol.js'

const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'
/** Shaped as GitHub's tokens are: three base64url parts. The gate reads no more of it than its shape. */
const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJyZXBvOmFjbWUvYXBwIn0.c2lnbmF0dXJlLWJ5dGVz_-'
const BODY = JSON.stringify({ jobId: JOB })

/** A function URL's event for a run's call, as Lambda gives it: header names in lowercase. */
function call(
  changes: { path?: string; method?: string; authorization?: string; body?: string; base64?: boolean } = {}
): UrlEvent {
  const { path = BRIDGE_ROUTES.job, method = 'POST', authorization = `Bearer ${TOKEN}`, body = BODY, base64 } = changes
  return {
    rawPath: path,
    headers: { 'content-type': 'application/json', ...(authorization !== '' && { authorization }) },
    body,
    ...(base64 !== undefined && { isBase64Encoded: base64 }),
    requestContext: { http: { method }, domainName: 'abc.lambda-url.us-east-1.on.aws' }
  }
}

/** The refusal and its reason, or a failure saying the call was let through. */
function refused(event: UrlEvent): { readonly refusal: HttpAnswer; readonly reason: string } {
  const admitted = admit(event)
  if (!('refusal' in admitted)) throw new Error(`The call to ${admitted.route} was let through`)
  return admitted
}
const refusalOf = (event: UrlEvent): HttpAnswer => refused(event).refusal
/** Why the call was refused, or `admitted`: short enough to read in a failure. */
const verdictOf = (event: UrlEvent): string => {
  const admitted = admit(event)
  return 'refusal' in admitted ? `${admitted.refusal.statusCode}: ${admitted.reason}` : 'admitted'
}

const base64 = (text: string): string => Buffer.from(text).toString('base64')
/** A JSON body of exactly `bytes` bytes. */
const bodyOf = (bytes: number): string => {
  const frame = JSON.stringify({ jobId: JOB, pad: '' })
  return JSON.stringify({ jobId: JOB, pad: 'x'.repeat(bytes - frame.length) })
}

const UNAUTHORIZED_ANSWER = {
  statusCode: 401,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: '{"error":"unauthorized"}'
}

describe('admit', () => {
  it('lets a run’s call through with its route, its token and its body', () => {
    expect(admit(call())).toStrictEqual({ route: BRIDGE_ROUTES.job, token: TOKEN, body: BODY })
    for (const route of Object.values(BRIDGE_ROUTES))
      expect(admit(call({ path: route }))).toMatchObject({ route, token: TOKEN })
  })

  it('decodes a body that Lambda passes on in base64', () => {
    expect(admit(call({ body: base64(BODY), base64: true }))).toStrictEqual({
      route: BRIDGE_ROUTES.job,
      token: TOKEN,
      body: BODY
    })
    expect(admit(call({ body: 'plain', base64: false }))).toMatchObject({ body: 'plain' })
  })

  it('passes an empty body on, for readBody to refuse', () => {
    expect(admit({ ...call(), body: undefined })).toMatchObject({ body: '' })
  })

  it('refuses a body over its route’s limit with 413, before anything else', () => {
    const large = bodyOf(BRIDGE_BODY_MAX_BYTES.other + 1)
    const tooLarge = {
      statusCode: 413,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: '{"error":"too-large"}'
    }
    expect(refusalOf(call({ body: large }))).toStrictEqual(tooLarge)
    // Not even the method, the route or the token is looked at first.
    expect(refusalOf(call({ body: large, method: 'GET', path: '/v1/nothing', authorization: '' }))).toStrictEqual(
      tooLarge
    )
    expect(refused(call({ body: large })).reason).toBe('a body of 4097 bytes')
  })

  it('gives a result the larger limit that its output variables need, and no more', () => {
    const result = BRIDGE_ROUTES.result
    expect(verdictOf(call({ path: result, body: bodyOf(BRIDGE_BODY_MAX_BYTES.other + 1) }))).toBe('admitted')
    expect(verdictOf(call({ path: result, body: bodyOf(BRIDGE_BODY_MAX_BYTES.result) }))).toBe('admitted')
    expect(refusalOf(call({ path: result, body: bodyOf(BRIDGE_BODY_MAX_BYTES.result + 1) })).statusCode).toBe(413)
  })

  it('takes a body of exactly the limit', () => {
    expect(verdictOf(call({ body: bodyOf(BRIDGE_BODY_MAX_BYTES.other) }))).toBe('admitted')
  })

  it('counts a body’s size in bytes, not characters', () => {
    const accents = JSON.stringify({ jobId: JOB, pad: 'é'.repeat(BRIDGE_BODY_MAX_BYTES.other / 2) })
    expect(accents.length).toBeLessThan(BRIDGE_BODY_MAX_BYTES.other)
    expect(refusalOf(call({ body: accents })).statusCode).toBe(413)
  })

  it('refuses a base64 body by the size of what it carries', () => {
    const large = bodyOf(BRIDGE_BODY_MAX_BYTES.other + 1)
    expect(refusalOf(call({ body: base64(large), base64: true })).statusCode).toBe(413)
    expect(refusalOf(call({ body: base64(large), base64: true, authorization: '' })).statusCode).toBe(413)
    // Base64 text longer than the limit is not refused for its own length: what it carries is under.
    const small = bodyOf(BRIDGE_BODY_MAX_BYTES.other - 100)
    expect(base64(small).length).toBeGreaterThan(BRIDGE_BODY_MAX_BYTES.other)
    expect(verdictOf(call({ body: base64(small), base64: true }))).toBe('admitted')
  })

  it('takes a base64 body that carries exactly the limit', () => {
    // A client may send a body of the limit: it checks that its own is not over.
    expect(verdictOf(call({ body: base64(bodyOf(BRIDGE_BODY_MAX_BYTES.other)), base64: true }))).toBe('admitted')
    expect(
      verdictOf(call({ path: BRIDGE_ROUTES.result, body: base64(bodyOf(BRIDGE_BODY_MAX_BYTES.result)), base64: true }))
    ).toBe('admitted')
  })

  it.each([
    ['a call to an unknown route', { path: '/v1/nothing' }],
    ['a call to a route with a trailing slash', { path: `${BRIDGE_ROUTES.job}/` }],
    ['a call to the root', { path: '/' }],
    ['a GET', { method: 'GET' }],
    ['a PUT', { method: 'PUT' }],
    ['a call without an authorization header', { authorization: '' }],
    ['Basic credentials', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a bare token', { authorization: TOKEN }],
    ['a bearer of two parts', { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0' }],
    ['a bearer of four parts', { authorization: `Bearer ${TOKEN}.more` }],
    ['a bearer with a space inside', { authorization: 'Bearer eyJhbGci OiJ9.eyJzdWIi.c2ln' }],
    ['a bearer with something after it', { authorization: `Bearer ${TOKEN} extra` }],
    ['a bearer after two spaces', { authorization: `Bearer  ${TOKEN}` }],
    ['a bearer with a newline after it', { authorization: `Bearer ${TOKEN}\n` }],
    ['a bearer with base64 padding', { authorization: 'Bearer eyJhbGci.eyJzdWIi.c2ln==' }],
    ['a bearer with + and /', { authorization: 'Bearer eyJ+bGci.eyJ/dWIi.c2ln' }],
    ['a bearer with an empty part', { authorization: 'Bearer .eyJzdWIi.c2ln' }],
    ['an over-long header part', { authorization: `Bearer ${'a'.repeat(4097)}.eyJzdWIi.c2ln` }],
    ['an over-long payload part', { authorization: `Bearer eyJhbGci.${'a'.repeat(8193)}.c2ln` }],
    ['an over-long signature part', { authorization: `Bearer eyJhbGci.eyJzdWIi.${'a'.repeat(4097)}` }]
  ])('refuses %s with the same 401, which says nothing more', (_name, changes) => {
    const refusal = refusalOf(call(changes))
    expect(refusal).toStrictEqual(UNAUTHORIZED_ANSWER)
    expect(refusal).toBe(UNAUTHORIZED)
  })

  it('takes the longest token parts GitHub’s shape allows', () => {
    const token = `${'a'.repeat(4096)}.${'b'.repeat(8192)}.${'c'.repeat(4096)}`
    expect(admit(call({ authorization: `Bearer ${token}` }))).toMatchObject({ token })
  })

  it('says in its reason what was wrong, for the log, without the token', () => {
    const reasons = [
      refused(call({ path: '/v1/nothing' })),
      refused(call({ method: 'GET' })),
      refused(call({ authorization: `Basic ${TOKEN}` }))
    ].map(({ reason }) => reason)
    expect(reasons).toEqual([
      'POST to an unknown route',
      'GET to an unknown route',
      'no bearer token, or a malformed one'
    ])
    for (const reason of reasons) expect(reason).not.toContain(TOKEN.slice(0, 20))
  })
})

describe('readBody', () => {
  it('gives the job ID and every field of a good body', () => {
    const fields = { jobId: JOB, name: 'SourceArtifact', partNumber: 3 }
    expect(readBody(JSON.stringify(fields))).toStrictEqual({ jobId: JOB, fields })
  })

  it.each([
    ['text that is not JSON', 'jobId=0ed0f7a4', /not JSON/],
    ['an empty body', '', /not JSON/],
    ['an array', `["${JOB}"]`, /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['a string', `"${JOB}"`, /not a JSON object/],
    ['a number', '42', /not a JSON object/]
  ])('refuses %s', (_name, text, because) => {
    expect(readBody(text)).toMatch(because)
  })

  it.each([
    ['no jobId', {}],
    ['a jobId in uppercase', { jobId: JOB.toUpperCase() }],
    ['a jobId that is not a UUID', { jobId: 'job-1' }],
    ['a jobId with text around it', { jobId: ` ${JOB}` }],
    ['a jobId that is a number', { jobId: 42 }],
    ['a jobId that is null', { jobId: null }],
    ['a job-id in place of jobId', { 'job-id': JOB }]
  ])('refuses a body with %s, naming jobId', (_name, fields) => {
    const read = readBody(JSON.stringify(fields))
    expect(read).toMatch(/^jobId must be the job ID the run was started with/)
    expect(read).toMatch(/lowercase UUID/)
  })
})
