import { Readable } from 'node:stream'
import type { ReadableStream } from 'node:stream/web'
import { setTimeout as wait } from 'node:timers/promises'
import { BRIDGE_ROUTES, bodyLimitOf, type BridgeRoute, type SignedRequest } from '../portable/bridge-protocol.js'
import type { UploadTarget } from './multipart.js'
import { streamingFetch } from '../portable/http-fetch.js'
import type { ObjectBody, ObjectStore } from './object-store.js'

/** Calls the bridge's endpoint with the run's token; rejects when the bridge refuses. */
/** The signed requests' way out when the connection names none; made on first use. */
let fallbackFetch: typeof fetch | undefined
const defaultFetch: typeof fetch = (input, init) => (fallbackFetch ??= streamingFetch())(input, init)

export type BridgeCall = (route: BridgeRoute, body: object) => Promise<unknown>

/** How a run without AWS credentials reaches the artifact store: the bridge signs each request. */
export interface BridgeConnection {
  /** The job the run was started for: every call names it. */
  readonly jobId: string
  readonly call: BridgeCall
  /** Keeps a secret out of every log: each signed URL goes through it before it is used. */
  readonly maskSecret: (secret: string) => void
  /** How the signed requests go out: over node:http through the environment's proxy, unless given. */
  readonly fetch?: typeof fetch
  /** Attempts per signed request, each with a freshly signed URL, as 'max-attempts' allows CodePipeline calls. */
  readonly maxAttempts?: number
}

const DEFAULT_ATTEMPTS = 3

/** S3 refused a signed request, or could not be reached with it; says which, never the URL. */
export class SignedRequestFailed extends Error {
  constructor(
    message: string,
    /** Worth another attempt with a fresh URL: S3 was busy, unreachable, or the URL had expired. */
    readonly transient: boolean
  ) {
    super(message)
    this.name = 'SignedRequestFailed'
  }
}

/**
 * The object store through the bridge. The run names each artifact as the job
 * does, and the bridge signs URLs for the job's own bucket and key. Every
 * upload is multipart, a small artifact in a single part, and the bridge
 * completes it; the encryption is the bridge's to set.
 */
export function bridgeObjectStore(bridge: BridgeConnection): ObjectStore {
  return {
    read: ({ name }) => readThroughBridge(bridge, name),
    uploadTarget: ({ name }) => uploadThroughBridge(bridge, name)
  }
}

async function readThroughBridge(bridge: BridgeConnection, name: string): Promise<ObjectBody> {
  const what = `the signed URL for input artifact ${name}`
  const response = await attempts(bridge, () =>
    sign(bridge, BRIDGE_ROUTES.download, { jobId: bridge.jobId, name }, what).then((signed) =>
      send(bridge, signed, what, {})
    )
  )
  if (!response.body) throw new Error(`S3 sent no content for ${what}`)
  return {
    body: Readable.fromWeb(response.body as ReadableStream<Uint8Array>),
    length: contentLength(response.headers.get('content-length'))
  }
}

function uploadThroughBridge(bridge: BridgeConnection, name: string): UploadTarget {
  const artifact = { jobId: bridge.jobId, name }
  return {
    async createUpload() {
      return readUploadId(await bridge.call(BRIDGE_ROUTES.uploadStart, artifact), name)
    },
    async putPart(uploadId, partNumber, body, checksumCRC32, signal) {
      const fit = partsThatFit(artifact, uploadId)
      if (partNumber > fit) {
        const mib = Math.round(body.length / 2 ** 20)
        throw new Error(
          `its zip needs more than ${fit} parts of ${mib} MiB, the most the bridge's uploadComplete call can list: upload an artifact this large in direct mode, with AWS credentials on the runner`
        )
      }
      const what = `the signed URL for part ${partNumber} of output artifact ${name}`
      const call = { ...artifact, uploadId, partNumber, checksumCRC32 }
      const response = await attempts(
        bridge,
        async () => send(bridge, await sign(bridge, BRIDGE_ROUTES.uploadPart, call, what), what, { body, signal }),
        signal
      )
      // The body is empty: read to its end, so that the connection can take the next part.
      await response.arrayBuffer()
      const etag = response.headers.get('etag')?.replaceAll('"', '')
      if (!etag) throw new Error(`S3 gave no ETag for part ${partNumber} of output artifact ${name}`)
      return { partNumber, etag, checksumCRC32 }
    },
    async completeUpload(uploadId, parts) {
      await bridge.call(BRIDGE_ROUTES.uploadComplete, {
        ...artifact,
        uploadId,
        parts: parts.map(({ partNumber, etag, checksumCRC32 }) => ({ partNumber, etag, checksumCRC32 }))
      })
    },
    // The bridge also aborts what is left open once the job has its result, should this not get through.
    async abortUpload(uploadId) {
      await bridge.call(BRIDGE_ROUTES.uploadAbort, { ...artifact, uploadId })
    }
  }
}

/**
 * How many parts an uploadComplete body can list beside the rest of the call,
 * each part as wide as one can be. Checked as parts go up, so that an artifact
 * too large fails at its first part too many, not after the last.
 */
export function partsThatFit(artifact: { readonly jobId: string; readonly name: string }, uploadId: string): number {
  const rest = Buffer.byteLength(JSON.stringify({ ...artifact, uploadId, parts: [] }))
  const widest = JSON.stringify({ partNumber: 10_000, etag: '0'.repeat(32), checksumCRC32: 'AAAAAA==' }).length + 1
  return Math.min(10_000, Math.floor((bodyLimitOf(BRIDGE_ROUTES.uploadComplete) - rest) / widest))
}

/** Asks the bridge to sign, and masks what it signed before anything can print it. */
async function sign(bridge: BridgeConnection, route: BridgeRoute, body: object, what: string): Promise<SignedRequest> {
  const signed = readSignedRequest(await bridge.call(route, body), what)
  bridge.maskSecret(signed.url)
  const signature = new URL(signed.url).searchParams.get('X-Amz-Signature')
  if (signature) bridge.maskSecret(signature)
  return signed
}

/** The bridge's answer, if it is a signed request; says what is wrong without repeating it. */
export function readSignedRequest(answer: unknown, what: string): SignedRequest {
  const { url, headers = {}, expiresAt } = { ...(answer as Partial<Record<keyof SignedRequest, unknown>>) }
  const problem =
    typeof url !== 'string' || !/^https?:$/.test(URL.parse(url)?.protocol ?? '')
      ? 'it has no http or https URL'
      : typeof headers !== 'object' ||
          headers === null ||
          Object.values(headers).some((value) => typeof value !== 'string')
        ? 'its headers are not all text'
        : typeof expiresAt !== 'number'
          ? 'it has no expiry time'
          : undefined
  if (problem !== undefined)
    throw new Error(`The bridge's answer for ${what} is not a signed request (${problem}): update the bridge's stack.`)
  return { url: url as string, headers: headers as Record<string, string>, expiresAt: expiresAt as number }
}

/** The upload ID in the bridge's answer to uploadStart. */
export function readUploadId(answer: unknown, name: string): string {
  const { uploadId } = { ...(answer as { uploadId?: unknown }) }
  if (typeof uploadId !== 'string' || uploadId === '')
    throw new Error(
      `The bridge's answer to uploadStart for output artifact ${name} has no uploadId: update the bridge's stack.`
    )
  return uploadId
}

/** Sends a signed request with exactly the headers it was signed with; a refusal names `what`, never the URL. */
async function send(
  bridge: BridgeConnection,
  signed: SignedRequest,
  what: string,
  { body, signal }: { body?: Buffer; signal?: AbortSignal }
): Promise<Response> {
  let response: Response
  try {
    response = await (bridge.fetch ?? defaultFetch)(signed.url, {
      method: body === undefined ? 'GET' : 'PUT',
      headers: signed.headers,
      body,
      signal,
      redirect: 'error'
    })
  } catch (error) {
    if (signal?.aborted) throw error
    throw new SignedRequestFailed(`S3 could not be reached with ${what} (${networkCode(error)})`, true)
  }
  if (response.ok) return response
  const code = s3ErrorCode(await response.text().catch(() => ''))
  const expired = Date.now() >= signed.expiresAt
  throw new SignedRequestFailed(
    `S3 refused ${what}${expired ? ', which had expired' : ''}: HTTP ${response.status}${code ? ` ${code}` : ''}`,
    expired || response.status >= 500 || code === 'RequestTimeout' || code === 'SlowDown'
  )
}

/** Tries `request` up to the bridge's attempts while it fails in a way that may pass. */
async function attempts<T>(bridge: BridgeConnection, request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const allowed = Math.max(1, bridge.maxAttempts ?? DEFAULT_ATTEMPTS)
  for (let attempt = 1; ; attempt++) {
    try {
      return await request()
    } catch (error) {
      if (attempt >= allowed || !(error instanceof SignedRequestFailed) || !error.transient || signal?.aborted)
        throw error
      await wait(backoffMs(attempt), undefined, { signal })
    }
  }
}

/** Waits that double from a quarter of a second. */
export function backoffMs(attempt: number): number {
  return 250 * 2 ** (attempt - 1)
}

/**
 * S3's error code from its XML answer. Only the code: the rest of a refusal
 * can repeat the request it refused, signature and token included.
 */
export function s3ErrorCode(xml: string): string | undefined {
  return /<Code>([A-Za-z]{1,64})<\/Code>/.exec(xml)?.[1]
}

function networkCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause
  return typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.name : 'unknown error'
}

function contentLength(header: string | null): number | undefined {
  const length = Number(header ?? Number.NaN)
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined
}
