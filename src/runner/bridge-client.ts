/**
 * The actions' side of credential-free mode: calls to the bridge's endpoint,
 * each with a fresh GitHub OIDC token for the endpoint's audience. No AWS
 * client is made in this mode, and nothing falls back to direct mode: a
 * bridge that cannot be reached is an error that says so.
 */
import type { JobDetails, PutJobFailureResultInput, PutJobSuccessResultInput } from '@aws-sdk/client-codepipeline'
import * as core from '@actions/core'
import {
  BRIDGE_ROUTES,
  bodyLimitOf,
  type BridgeRoute,
  type ResultAnswer,
  type ResultCall
} from '../portable/bridge-protocol.js'
import type { BridgeConnection } from '../artifacts/bridge-store.js'
import { quote } from '../portable/errors.js'
import { streamingFetch } from '../portable/http-fetch.js'
import { maskSecret } from './secrets.js'
import type { SendResult } from '../portable/codepipeline.js'

/** The input that turns credential-free mode on. */
export const BRIDGE_URL_INPUT = 'bridge-url'

/** The endpoint, and the token audience that is unique to its stack. */
export interface BridgeEndpoint {
  readonly url: URL
  readonly audience: string
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Reads the `bridge-url` input: the stack's RunsEndpoint output. HTTPS only,
 * but for this machine's own address, so that a token never crosses a
 * network in the clear. The audience is the endpoint's origin as https.
 */
export function readBridgeEndpoint(text: string): BridgeEndpoint {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    url = undefined
  }
  const rule = `must be the bridge stack's RunsEndpoint output, an https:// URL such as https://abc.lambda-url.us-east-1.on.aws/`
  if (url === undefined) throw new Error(`The ${BRIDGE_URL_INPUT} input ${quote(text)} is not a URL: it ${rule}`)
  const local = url.protocol === 'http:' && LOOPBACK.has(url.hostname)
  if (url.protocol !== 'https:' && !local)
    throw new Error(`The ${BRIDGE_URL_INPUT} input ${rule}; a token is never sent over ${url.protocol}`)
  if (url.username || url.password || url.search || url.hash)
    throw new Error(`The ${BRIDGE_URL_INPUT} input ${rule}, without credentials, a query or a fragment`)
  return { url, audience: `https://${url.host}` }
}

/** How the steps reach the bridge and the signed URLs: through the proxy their AWS calls would take. */
export const runnerFetch = streamingFetch()

/** The Region in a pipeline's ARN, arn:PARTITION:codepipeline:REGION:ACCOUNT:NAME, for the console's links. */
export function regionOf(arn: string | undefined): string | undefined {
  const region = arn?.split(':')[3]
  return region && /^[a-z0-9-]+$/.test(region) ? region : undefined
}

/** What the bridge refused, with its reason; never retried. */
export class BridgeRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message)
    this.name = 'BridgeRefusal'
  }
}

/** Attempts per call: the bridge answers 503 while GitHub, CodePipeline or the job's record is busy. */
const ATTEMPTS = 5

export class BridgeClient {
  constructor(
    private readonly endpoint: BridgeEndpoint,
    private readonly idToken: (audience: string) => Promise<string> = (audience) => core.getIDToken(audience),
    private readonly fetcher: typeof fetch = runnerFetch,
    private readonly pause: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  ) {}

  /** Sends one call; the answer's body, or a BridgeRefusal, or an error saying the bridge could not be reached. */
  async call<T>(route: BridgeRoute, body: object): Promise<{ readonly status: number; readonly body: T }> {
    const text = JSON.stringify(body)
    const limit = bodyLimitOf(route)
    if (Buffer.byteLength(text) > limit)
      throw new Error(
        `The call to the bridge would carry ${Buffer.byteLength(text)} bytes, over its ${limit}-byte limit`
      )
    const url = new URL(
      route.slice(1),
      this.endpoint.url.href.endsWith('/') ? this.endpoint.url : `${this.endpoint.url.href}/`
    )
    let lastProblem = ''
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (attempt > 1) await this.pause(Math.min(8_000, 500 * 2 ** attempt))
      // A fresh token each time: they live minutes, and one never outlives its call.
      const token = await this.idToken(this.endpoint.audience)
      let response: Response
      try {
        response = await this.fetcher(url, {
          method: 'POST',
          // The token goes to this address only: a redirect is an error, never followed.
          redirect: 'manual',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: text,
          signal: AbortSignal.timeout(60_000)
        })
      } catch (error) {
        lastProblem = `it could not be reached (${(error as Error).message})`
        continue
      }
      const answer = (await response.json().catch(() => ({}))) as { error?: unknown; message?: unknown }
      if (response.status < 300) return { status: response.status, body: answer as T }
      if (response.status >= 300 && response.status < 400)
        throw new Error(`The bridge answered with a redirect (${response.status}); check ${BRIDGE_URL_INPUT}`)
      const code = typeof answer.error === 'string' ? answer.error : 'refused'
      const message = typeof answer.message === 'string' ? answer.message : ''
      if (response.status >= 500 || response.status === 429) {
        lastProblem = `it answered ${response.status}${message ? `: ${message}` : ''}`
        continue
      }
      throw new BridgeRefusal(response.status, code, refusalText(response.status, code, message))
    }
    throw new Error(
      `The bridge did not take the call after ${ATTEMPTS} attempts: ${lastProblem}. Check ${BRIDGE_URL_INPUT} and the bridge's log`
    )
  }
}

function refusalText(status: number, code: string, message: string): string {
  if (status === 401)
    return "The bridge refused the run's token (401). Give the job `permissions: id-token: write`, and check that bridge-url is the RunsEndpoint output of the bridge stack that started this run"
  return `The bridge refused the call (${status} ${code})${message ? `: ${message}` : ''}`
}

/** What the artifact code needs to move a job's artifacts through the bridge: calls, and masking for the signed URLs. */
export function artifactConnection(client: BridgeClient, jobId: string): BridgeConnection {
  return { jobId, call: async (route, body) => (await client.call(route, body)).body, maskSecret, fetch: runnerFetch }
}

/**
 * CodePipeline's job calls, answered through the bridge: what the reporting
 * step and the job action use in place of the CodePipeline client. The
 * bridge sets the job, the run's ID and the acknowledgement itself.
 */
export class BridgeJobCalls {
  constructor(readonly client: BridgeClient) {}

  async putJobSuccessResult(request: PutJobSuccessResultInput): Promise<SendResult & { confirmed: boolean }> {
    const { currentRevision, executionDetails, outputVariables } = request
    // The bridge makes its own continuations; the inputs were checked for this already.
    if (request.continuationToken !== undefined)
      throw new Error('With bridge-url, send progress with status: in-progress, not continuation-token')
    const success = {
      ...(currentRevision && {
        currentRevision: {
          revision: currentRevision.revision ?? '',
          changeIdentifier: currentRevision.changeIdentifier ?? '',
          ...(currentRevision.revisionSummary !== undefined && { revisionSummary: currentRevision.revisionSummary })
        }
      }),
      executionDetails: { summary: executionDetails?.summary, percentComplete: executionDetails?.percentComplete },
      ...(outputVariables && { outputVariables })
    }
    return this.result({ jobId: request.jobId ?? '', success })
  }

  async putJobFailureResult(request: PutJobFailureResultInput): Promise<SendResult & { confirmed: boolean }> {
    const { type, message } = request.failureDetails ?? {}
    return this.result({ jobId: request.jobId ?? '', failure: { type: type ?? 'JobFailed', message: message ?? '' } })
  }

  async passOnProgress(
    jobId: string,
    progress: { readonly percentComplete?: number; readonly summary?: string }
  ): Promise<{ readonly confirmed: boolean }> {
    const { body } = await this.client.call<ResultAnswer>(BRIDGE_ROUTES.progress, { jobId, ...progress })
    return { confirmed: body.confirmed === true }
  }

  async getJobDetails(jobId: string): Promise<JobDetails | undefined> {
    const { body } = await this.client.call<{ job?: JobDetails }>(BRIDGE_ROUTES.job, { jobId })
    return body.job
  }

  private async result(call: ResultCall): Promise<SendResult & { confirmed: boolean }> {
    const { body } = await this.client.call<ResultAnswer>(BRIDGE_ROUTES.result, call)
    return { attempts: 1, confirmed: body.confirmed === true }
  }
}
