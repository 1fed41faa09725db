import { describe, expect, it, vi } from 'vitest'
import { instanceOf, objectContaining, stringMatching } from '../../__fixtures__/expect.js'
import { readReport } from '../../src/bridge/run-report.js'
import { BRIDGE_BODY_MAX_BYTES, BRIDGE_ROUTES } from '../../src/portable/bridge-protocol.js'
import {
  BridgeClient,
  BridgeJobCalls,
  BridgeRefusal,
  readBridgeEndpoint,
  type BridgeEndpoint
} from '../../src/runner/bridge-client.js'

const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'
const ENDPOINT_URL = 'https://abcdefghijklmnop.lambda-url.us-east-1.on.aws/'
const AUDIENCE = 'https://abcdefghijklmnop.lambda-url.us-east-1.on.aws'

/** An answer of the bridge: a status and a JSON body, or what fetch throws when nothing answers. */
type Answer = { readonly status: number; readonly body?: unknown; readonly text?: string } | Error

/**
 * A client whose fetch answers from the list, one answer a call, and records
 * what was sent; no socket is opened. Tokens are numbered by the request.
 */
function bridge(answers: Answer[], endpoint: BridgeEndpoint = readBridgeEndpoint(ENDPOINT_URL)) {
  const left = [...answers]
  let issued = 0
  const idToken = vi.fn<(audience: string) => Promise<string>>(() => Promise.resolve(`token-${++issued}`))
  const fetcher = vi.fn<typeof fetch>(() => {
    const next = left.shift()
    if (next === undefined) return Promise.reject(new Error('The test gave no more answers'))
    if (next instanceof Error) return Promise.reject(next)
    const text = next.text ?? (next.body === undefined ? null : JSON.stringify(next.body))
    return Promise.resolve(new Response(text, { status: next.status, headers: { 'content-type': 'application/json' } }))
  })
  const pause = vi.fn<(ms: number) => Promise<void>>(() => Promise.resolve())
  const client = new BridgeClient(endpoint, idToken, fetcher, pause)
  /** Each request as the bridge would see it. */
  const sent = () =>
    fetcher.mock.calls.map(([input, init]) => ({
      url: String(input as URL),
      method: init?.method,
      redirect: init?.redirect,
      headers: init?.headers as Record<string, string>,
      body: JSON.parse(typeof init?.body === 'string' ? init.body : 'null') as Record<string, unknown>
    }))
  return { client, idToken, fetcher, pause, sent }
}

/** The error a call ends in; a failure if it does not. */
async function failureOf(call: Promise<unknown>): Promise<Error> {
  try {
    await call
  } catch (error) {
    return error as Error
  }
  throw new Error('The call did not fail')
}

describe('readBridgeEndpoint', () => {
  it('takes the stack’s https endpoint, with the endpoint’s origin as the token’s audience', () => {
    const endpoint = readBridgeEndpoint(ENDPOINT_URL)
    expect(endpoint.url.href).toBe(ENDPOINT_URL)
    expect(endpoint.audience).toBe(AUDIENCE)
    expect(readBridgeEndpoint('https://abcdefghijklmnop.lambda-url.us-east-1.on.aws').audience).toBe(AUDIENCE)
  })

  it('keeps a port in the audience, and leaves a path out of it', () => {
    expect(readBridgeEndpoint('https://bridge.example.com:8443/runs/').audience).toBe('https://bridge.example.com:8443')
  })

  it.each(['http://localhost:4599/', 'http://127.0.0.1:4599', 'http://[::1]:4599/'])(
    'takes plain http on this machine: %s',
    (text) => {
      const endpoint = readBridgeEndpoint(text)
      expect(endpoint.url.protocol).toBe('http:')
      expect(endpoint.audience).toBe(`https://${endpoint.url.host}`)
    }
  )

  it.each([
    ['plain http to another host', 'http://abcdefghijklmnop.lambda-url.us-east-1.on.aws/', /never sent over http:/],
    ['plain http to a name that starts like this machine', 'http://localhost.example.com/', /never sent over http:/],
    ['plain http to a private address', 'http://10.0.0.7/', /never sent over http:/],
    ['ftp', 'ftp://bridge.example.com/', /never sent over ftp:/],
    ['a file', 'file:///etc/hosts', /never sent over file:/],
    ['a user in the URL', 'https://runner@bridge.example.com/', /without credentials, a query or a fragment/],
    ['a user and password in the URL', 'https://runner:secret@bridge.example.com/', /without credentials/],
    ['a query', 'https://bridge.example.com/?stage=prod', /a query/],
    ['a fragment', 'https://bridge.example.com/#runs', /a fragment/],
    ['text that is not a URL', 'the bridge', /is not a URL/],
    ['a host without a scheme', 'bridge.example.com', /is not a URL/],
    ['nothing', '', /is not a URL/]
  ])('refuses %s, naming the bridge-url input', (_name, text, because) => {
    expect(() => readBridgeEndpoint(text)).toThrow(because)
    expect(() => readBridgeEndpoint(text)).toThrow(/The bridge-url input/)
    expect(() => readBridgeEndpoint(text)).toThrow(/RunsEndpoint/)
  })

  it('does not repeat a password it refuses', () => {
    expect(() => readBridgeEndpoint('https://runner:hunter2@bridge.example.com/')).not.toThrow(/hunter2/)
  })
})

describe('BridgeClient.call', () => {
  it('posts the body to the route under the endpoint, with the run’s token and no redirects', async () => {
    const { client, sent } = bridge([{ status: 200, body: { job: { id: JOB } } }])
    await expect(client.call(BRIDGE_ROUTES.job, { jobId: JOB })).resolves.toEqual({
      status: 200,
      body: { job: { id: JOB } }
    })
    expect(sent()).toEqual([
      {
        url: `${ENDPOINT_URL}v1/job`,
        method: 'POST',
        redirect: 'manual',
        headers: { authorization: 'Bearer token-1', 'content-type': 'application/json' },
        body: { jobId: JOB }
      }
    ])
  })

  it('puts the route under an endpoint’s path, with or without a slash at its end', async () => {
    for (const text of ['https://bridge.example.com/runs', 'https://bridge.example.com/runs/']) {
      const { client, sent } = bridge([{ status: 200, body: {} }], readBridgeEndpoint(text))
      await client.call(BRIDGE_ROUTES.uploadComplete, { jobId: JOB })
      expect(sent().map(({ url }) => url)).toEqual(['https://bridge.example.com/runs/v1/artifact/upload/complete'])
    }
  })

  it('asks for a fresh token for the endpoint’s audience at every attempt', async () => {
    const { client, idToken, sent } = bridge([{ status: 503 }, { status: 503 }, { status: 200, body: {} }])
    await client.call(BRIDGE_ROUTES.job, { jobId: JOB })
    expect(idToken.mock.calls).toEqual([[AUDIENCE], [AUDIENCE], [AUDIENCE]])
    expect(sent().map(({ headers }) => headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
      'Bearer token-3'
    ])
  })

  it.each([
    ['a 503', { status: 503, body: { error: 'busy', message: 'The bridge is working on this job' } }],
    ['a 429', { status: 429, body: { message: 'Rate exceeded' } }],
    ['a 500', { status: 500, body: { error: 'internal' } }],
    ['a network error', new TypeError('fetch failed')]
  ])('tries again after %s, after a pause', async (_name, first: Answer) => {
    const { client, fetcher, pause } = bridge([first, { status: 202, body: { confirmed: false } }])
    await expect(client.call(BRIDGE_ROUTES.result, { jobId: JOB })).resolves.toEqual({
      status: 202,
      body: { confirmed: false }
    })
    expect(fetcher).toHaveBeenCalledTimes(2)
    expect(pause).toHaveBeenCalledTimes(1)
  })

  it('gives up after five attempts, with an error that names bridge-url and the last problem', async () => {
    const { client, fetcher, pause } = bridge([
      { status: 503 },
      new TypeError('fetch failed'),
      { status: 429 },
      { status: 503 },
      { status: 503, body: { error: 'unavailable', message: 'GitHub or CodePipeline did not answer the bridge' } },
      { status: 200, body: {} }
    ])
    const error = await failureOf(client.call(BRIDGE_ROUTES.job, { jobId: JOB }))
    expect(error).not.toBeInstanceOf(BridgeRefusal)
    expect(error.message).toMatch(/after 5 attempts: it answered 503: GitHub or CodePipeline did not answer the bridge/)
    expect(error.message).toMatch(/Check bridge-url/)
    expect(fetcher).toHaveBeenCalledTimes(5)
    // Longer each time, and never long.
    const pauses = pause.mock.calls.map(([ms]) => ms)
    expect(pauses).toHaveLength(4)
    expect(pauses).toEqual([...pauses].sort((a, b) => a - b))
    for (const ms of pauses) expect(ms).toBeLessThanOrEqual(8_000)
  })

  it('says when the bridge could not be reached at all', async () => {
    const unreachable = Array.from({ length: 5 }, () => new TypeError('getaddrinfo ENOTFOUND bridge.example.com'))
    const { client } = bridge(unreachable)
    const error = await failureOf(client.call(BRIDGE_ROUTES.job, { jobId: JOB }))
    expect(error.message).toMatch(/could not be reached \(getaddrinfo ENOTFOUND bridge\.example\.com\)/)
    expect(error.message).toMatch(/bridge-url/)
  })

  it.each([301, 302, 303, 307, 308])('neither follows nor retries a %i, and names bridge-url', async (status) => {
    const { client, fetcher, pause } = bridge([{ status }, { status: 200, body: {} }])
    const error = await failureOf(client.call(BRIDGE_ROUTES.job, { jobId: JOB }))
    expect(error.message).toBe(`The bridge answered with a redirect (${status}); check bridge-url`)
    expect(fetcher).toHaveBeenCalledTimes(1)
    expect(pause).not.toHaveBeenCalled()
  })

  it('throws the bridge’s refusal with its status, code and message, and does not retry it', async () => {
    const refusal = { error: 'not-your-job', message: 'This run may not answer the job: the token is from run 1' }
    const { client, fetcher } = bridge([
      { status: 403, body: refusal },
      { status: 200, body: {} }
    ])
    const error = await failureOf(client.call(BRIDGE_ROUTES.job, { jobId: JOB }))
    expect(error).toBeInstanceOf(BridgeRefusal)
    expect(error).toMatchObject({
      name: 'BridgeRefusal',
      status: 403,
      code: 'not-your-job',
      message:
        'The bridge refused the call (403 not-your-job): This run may not answer the job: the token is from run 1'
    })
    expect(fetcher).toHaveBeenCalledTimes(1)
  })

  it('calls a refusal without a readable body just refused', async () => {
    const { client } = bridge([{ status: 404, text: '<html>Not Found</html>' }])
    await expect(client.call(BRIDGE_ROUTES.job, { jobId: JOB })).rejects.toMatchObject({
      status: 404,
      code: 'refused',
      message: 'The bridge refused the call (404 refused)'
    })
  })

  it('says to grant id-token: write when the bridge refuses the token', async () => {
    const { client } = bridge([{ status: 401, body: { error: 'unauthorized' } }])
    const error = await failureOf(client.call(BRIDGE_ROUTES.job, { jobId: JOB }))
    expect(error).toMatchObject({ status: 401, code: 'unauthorized' })
    expect(error.message).toMatch(/permissions: id-token: write/)
    expect(error.message).toMatch(/bridge-url is the RunsEndpoint output/)
  })

  it('refuses a body over its route’s limit before asking for a token or sending anything', async () => {
    const { client, fetcher, idToken } = bridge([{ status: 200, body: {} }])
    const large = { jobId: JOB, name: 'n'.repeat(BRIDGE_BODY_MAX_BYTES.other) }
    const error = await failureOf(client.call(BRIDGE_ROUTES.download, large))
    expect(error.message).toBe(
      `The call to the bridge would carry ${JSON.stringify(large).length} bytes, over its ${BRIDGE_BODY_MAX_BYTES.other}-byte limit`
    )
    const result = { jobId: JOB, success: { outputVariables: { A: 'v'.repeat(BRIDGE_BODY_MAX_BYTES.result) } } }
    await expect(client.call(BRIDGE_ROUTES.result, result)).rejects.toThrow(/524288-byte limit/)
    expect(fetcher).not.toHaveBeenCalled()
    expect(idToken).not.toHaveBeenCalled()
  })

  it('sends a result larger than the other routes take', async () => {
    const { client, fetcher } = bridge([{ status: 200, body: { confirmed: true } }])
    const result = { jobId: JOB, success: { outputVariables: { A: 'v'.repeat(BRIDGE_BODY_MAX_BYTES.other) } } }
    await expect(client.call(BRIDGE_ROUTES.result, result)).resolves.toMatchObject({ status: 200 })
    expect(fetcher).toHaveBeenCalledTimes(1)
  })

  it('passes on the error of a token it could not get, without calling the bridge', async () => {
    const { client, idToken, fetcher } = bridge([{ status: 200, body: {} }])
    idToken.mockRejectedValue(new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable'))
    await expect(client.call(BRIDGE_ROUTES.job, { jobId: JOB })).rejects.toThrow(/ACTIONS_ID_TOKEN_REQUEST_URL/)
    expect(fetcher).not.toHaveBeenCalled()
  })

  it('bounds each attempt in time', async () => {
    const { client, fetcher } = bridge([{ status: 200, body: {} }])
    await client.call(BRIDGE_ROUTES.job, { jobId: JOB })
    expect(fetcher).toHaveBeenCalledWith(instanceOf(URL), objectContaining({ signal: instanceOf(AbortSignal) }))
  })
})

describe('BridgeJobCalls', () => {
  const REVISION = {
    revision: '0123456789abcdef0123456789abcdef01234567',
    changeIdentifier: 'main',
    revisionSummary: 'Add the deploy step'
  }

  it('sends a success as the protocol’s result, without what the bridge sets itself', async () => {
    const { client, sent } = bridge([{ status: 200, body: { confirmed: true } }])
    const answered = await new BridgeJobCalls(client).putJobSuccessResult({
      jobId: JOB,
      currentRevision: { ...REVISION, created: new Date('2026-11-25T12:00:00Z') },
      executionDetails: { summary: 'Built', externalExecutionId: '5', percentComplete: 100 },
      outputVariables: { IMAGE_TAG: 'build-7' }
    })
    expect(answered).toEqual({ attempts: 1, confirmed: true })
    expect(sent()).toEqual([
      objectContaining({
        url: `${ENDPOINT_URL}v1/result`,
        body: {
          jobId: JOB,
          success: {
            currentRevision: REVISION,
            executionDetails: { summary: 'Built', percentComplete: 100 },
            outputVariables: { IMAGE_TAG: 'build-7' }
          }
        }
      })
    ])
  })

  it('sends a bare success as one with empty execution details', async () => {
    const { client, sent } = bridge([{ status: 200, body: { confirmed: true } }])
    await new BridgeJobCalls(client).putJobSuccessResult({ jobId: JOB })
    expect(sent().map(({ body }) => body)).toEqual([{ jobId: JOB, success: { executionDetails: {} } }])
  })

  it('says a result was not confirmed when the bridge only kept it', async () => {
    for (const body of [{ confirmed: false }, {}, { confirmed: 'true' }, undefined]) {
      const { client } = bridge([{ status: 202, body }])
      await expect(new BridgeJobCalls(client).putJobSuccessResult({ jobId: JOB })).resolves.toEqual({
        attempts: 1,
        confirmed: false
      })
    }
  })

  it('sends what the bridge reads back as the same success', async () => {
    const { client, sent } = bridge([{ status: 200, body: { confirmed: true } }])
    await new BridgeJobCalls(client).putJobSuccessResult({
      jobId: JOB,
      currentRevision: REVISION,
      executionDetails: { summary: 'Built', percentComplete: 100 },
      outputVariables: { IMAGE_TAG: 'build-7' }
    })
    const [request] = sent()
    expect(readReport(request?.body ?? {}, 7)).toEqual({
      kind: 'success',
      fields: {
        currentRevision: REVISION,
        executionDetails: { summary: 'Built', percentComplete: 100, externalExecutionId: '7' },
        outputVariables: { IMAGE_TAG: 'build-7' }
      }
    })
  })

  it('never turns a continuation into a final success', async () => {
    const { client, sent } = bridge([{ status: 200, body: { confirmed: true } }])
    const continuing = new BridgeJobCalls(client).putJobSuccessResult({
      jobId: JOB,
      continuationToken: 'step-2',
      executionDetails: { summary: 'Deploying', percentComplete: 40 }
    })
    await continuing.catch(() => undefined)
    // Either the call is refused before it goes, or the bridge sees the token and refuses it.
    const finals = sent()
      .map(({ body }) => body)
      .filter((body) => (body.success as { continuationToken?: string }).continuationToken === undefined)
    expect(finals).toEqual([])
  })

  it('sends a failure with its type and message', async () => {
    const { client, sent } = bridge([{ status: 200, body: { confirmed: true } }])
    await expect(
      new BridgeJobCalls(client).putJobFailureResult({
        jobId: JOB,
        failureDetails: { type: 'ConfigurationError', message: 'Bad input', externalExecutionId: '5' }
      })
    ).resolves.toEqual({ attempts: 1, confirmed: true })
    expect(sent().map(({ body }) => body)).toEqual([
      { jobId: JOB, failure: { type: 'ConfigurationError', message: 'Bad input' } }
    ])
  })

  it('passes on the bridge’s refusal of a result', async () => {
    const { client } = bridge([
      { status: 409, body: { error: 'already-answered', message: 'Job already has a result' } }
    ])
    await expect(new BridgeJobCalls(client).putJobSuccessResult({ jobId: JOB })).rejects.toMatchObject({
      status: 409,
      code: 'already-answered',
      message: stringMatching(/Job already has a result/)
    })
  })

  it('reads the job’s details through the bridge', async () => {
    const { client, sent } = bridge([{ status: 200, body: { job: { id: JOB, data: { pipelineContext: {} } } } }])
    await expect(new BridgeJobCalls(client).getJobDetails(JOB)).resolves.toEqual({
      id: JOB,
      data: { pipelineContext: {} }
    })
    expect(sent()).toEqual([objectContaining({ url: `${ENDPOINT_URL}v1/job`, body: { jobId: JOB } })])
  })
})
