import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  backoffMs,
  bridgeObjectStore,
  partsThatFit,
  readSignedRequest,
  readUploadId,
  s3ErrorCode,
  type BridgeConnection
} from '../../src/artifacts/bridge-store.js'
import { downloadJobInputsThroughBridge } from '../../src/artifacts/index.js'
import { uploadTo, type ObjectWriter } from '../../src/artifacts/multipart.js'
import { BRIDGE_ROUTES, bodyLimitOf, type BridgeRoute } from '../../src/portable/bridge-protocol.js'

const SIGNATURE = 'f'.repeat(64)
const signedUrl = (n: number) =>
  `https://artifact-bucket.s3.us-east-1.amazonaws.com/MyPipeline/key?X-Amz-Signature=${SIGNATURE}&n=${n}`

interface Sent {
  url: string
  method: string
  headers: Record<string, string>
  body?: Buffer
}

/**
 * A bridge that signs a fresh URL for every call, and an S3 that answers each
 * request in turn from `answers` (200 with an ETag once they run out). Records
 * the calls, what was masked, and what was sent, with what had been masked by then.
 */
function fakeBridge(answers: (() => Response)[] = []) {
  const calls: { route: BridgeRoute; body: Record<string, unknown> }[] = []
  const masked: string[] = []
  const sent: (Sent & { maskedBefore: boolean })[] = []
  let signed = 0
  const connection: BridgeConnection = {
    jobId: 'job-1',
    maskSecret: (secret) => masked.push(secret),
    call: (route, body) => {
      calls.push({ route, body: JSON.parse(JSON.stringify(body)) as Record<string, unknown> })
      if (route === BRIDGE_ROUTES.uploadStart) return Promise.resolve({ uploadId: 'upload-1' })
      if (route === BRIDGE_ROUTES.uploadComplete) return Promise.resolve({})
      signed++
      const { checksumCRC32 } = body as { checksumCRC32?: string }
      const headers = checksumCRC32 === undefined ? {} : { 'x-amz-checksum-crc32': checksumCRC32 }
      return Promise.resolve({ url: signedUrl(signed), headers, expiresAt: Date.now() + 300_000 })
    },
    fetch: (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      sent.push({
        url,
        method: init?.method ?? 'GET',
        headers: init?.headers as Record<string, string>,
        ...(init?.body instanceof Buffer && { body: Buffer.from(init.body) }),
        maskedBefore: masked.includes(url)
      })
      const answer = answers.shift()
      return Promise.resolve(
        answer ? answer() : new Response(null, { status: 200, headers: { etag: `"${'a'.repeat(31)}${sent.length}"` } })
      )
    }
  }
  return { connection, calls, masked, sent }
}

function crc32Base64(data: Buffer): string {
  const checksum = Buffer.alloc(4)
  checksum.writeUInt32BE(crc32(data))
  return checksum.toString('base64')
}

const bytes =
  (total: number): ObjectWriter =>
  (sink) =>
    sink.write(Buffer.alloc(total, 7))

const refusalXml = (code: string) =>
  `<?xml version="1.0"?><Error><Code>${code}</Code><Message>no</Message><SignatureProvided>${SIGNATURE}</SignatureProvided><CanonicalRequest>GET /MyPipeline/key X-Amz-Security-Token=token</CanonicalRequest></Error>`

describe('readSignedRequest', () => {
  it('takes a URL, its headers and its expiry', () => {
    expect(readSignedRequest({ url: signedUrl(1), headers: { a: 'b' }, expiresAt: 5 }, 'the signed URL')).toEqual({
      url: signedUrl(1),
      headers: { a: 'b' },
      expiresAt: 5
    })
    expect(readSignedRequest({ url: signedUrl(1), expiresAt: 5 }, 'the signed URL').headers).toEqual({})
  })

  it.each([
    ['no answer', undefined, 'it has no http or https URL'],
    ['a URL that is not one', { url: 'not a url', expiresAt: 1 }, 'it has no http or https URL'],
    ['a URL of another kind', { url: 'file:///etc/passwd', expiresAt: 1 }, 'it has no http or https URL'],
    [
      'headers that are not text',
      { url: signedUrl(1), headers: { a: 1 }, expiresAt: 1 },
      'its headers are not all text'
    ],
    ['no expiry', { url: signedUrl(1) }, 'it has no expiry time']
  ])('refuses %s, without repeating it', (_, answer, problem) => {
    expect(() => readSignedRequest(answer, 'the signed URL for input artifact Src')).toThrow(
      `The bridge's answer for the signed URL for input artifact Src is not a signed request (${problem}): update the bridge's stack.`
    )
  })
})

describe('readUploadId', () => {
  it('takes the upload ID, or names the artifact whose start had none', () => {
    expect(readUploadId({ uploadId: 'u-1' }, 'Out')).toBe('u-1')
    for (const answer of [undefined, {}, { uploadId: '' }, { uploadId: 7 }])
      expect(() => readUploadId(answer, 'Out')).toThrow(
        "The bridge's answer to uploadStart for output artifact Out has no uploadId"
      )
  })
})

describe('s3ErrorCode', () => {
  it("keeps only the code of S3's refusal, which repeats the request it refused", () => {
    expect(s3ErrorCode(refusalXml('SignatureDoesNotMatch'))).toBe('SignatureDoesNotMatch')
    expect(s3ErrorCode('<html>proxy error</html>')).toBeUndefined()
    expect(s3ErrorCode('<Code>a b</Code>')).toBeUndefined()
  })
})

describe('bridgeObjectStore', () => {
  it('uploads every object as a multipart upload, a small one in one part, sending each part with its signed headers', async () => {
    const bridge = fakeBridge()
    const target = bridgeObjectStore(bridge.connection).uploadTarget({ name: 'BuildOutput' })

    expect(await uploadTo(target, bytes(10), { partSize: 16, concurrency: 2 })).toEqual({ bytes: 10, parts: 1 })

    const part = Buffer.alloc(10, 7)
    expect(bridge.calls).toEqual([
      { route: BRIDGE_ROUTES.uploadStart, body: { jobId: 'job-1', name: 'BuildOutput' } },
      {
        route: BRIDGE_ROUTES.uploadPart,
        body: {
          jobId: 'job-1',
          name: 'BuildOutput',
          uploadId: 'upload-1',
          partNumber: 1,
          checksumCRC32: crc32Base64(part)
        }
      },
      {
        route: BRIDGE_ROUTES.uploadComplete,
        body: {
          jobId: 'job-1',
          name: 'BuildOutput',
          uploadId: 'upload-1',
          // The ETag's quotes are left for the bridge to put back: they would cost the body bytes.
          parts: [{ partNumber: 1, etag: `${'a'.repeat(31)}1`, checksumCRC32: crc32Base64(part) }]
        }
      }
    ])
    expect(bridge.sent).toEqual([
      {
        url: signedUrl(1),
        method: 'PUT',
        headers: { 'x-amz-checksum-crc32': crc32Base64(part) },
        body: part,
        maskedBefore: true
      }
    ])
    expect(bridge.masked).toEqual([signedUrl(1), SIGNATURE])
  })

  it('sends the parts of a larger object in order and completes it with them all', async () => {
    const bridge = fakeBridge()
    const target = bridgeObjectStore(bridge.connection).uploadTarget({ name: 'BuildOutput' })
    expect(await uploadTo(target, bytes(40), { partSize: 16, concurrency: 2 })).toEqual({ bytes: 40, parts: 3 })
    const complete = bridge.calls.at(-1)?.body.parts as { partNumber: number }[]
    expect(complete.map((part) => part.partNumber)).toEqual([1, 2, 3])
    expect(bridge.sent.map((request) => request.body?.length)).toEqual([16, 16, 8])
  })

  it('tries a part again with a freshly signed URL when S3 is busy', async () => {
    const bridge = fakeBridge([() => new Response(refusalXml('SlowDown'), { status: 503 })])
    const target = bridgeObjectStore(bridge.connection).uploadTarget({ name: 'BuildOutput' })
    await uploadTo(target, bytes(10), { partSize: 16, concurrency: 1 })
    expect(bridge.sent.map((request) => request.url)).toEqual([signedUrl(1), signedUrl(2)])
    expect(bridge.calls.filter((call) => call.route === BRIDGE_ROUTES.uploadPart)).toHaveLength(2)
  })

  it('fails a refused part at once, naming the part and the artifact, never the URL or what S3 said of it', async () => {
    const bridge = fakeBridge([() => new Response(refusalXml('AccessDenied'), { status: 403 })])
    const target = bridgeObjectStore(bridge.connection).uploadTarget({ name: 'BuildOutput' })
    const failure = await uploadTo(target, bytes(10), { partSize: 16, concurrency: 1 }).catch((error: unknown) => error)
    expect(String(failure)).toBe(
      'SignedRequestFailed: S3 refused the signed URL for part 1 of output artifact BuildOutput: HTTP 403 AccessDenied'
    )
    expect(bridge.sent).toHaveLength(1)
    // Nothing to abort from the run: the bridge aborts the uploads of a job that does not succeed.
    // The upload is given up through the bridge, which also aborts what a run leaves open.
    expect(bridge.calls.map((call) => call.route)).toEqual([
      BRIDGE_ROUTES.uploadStart,
      BRIDGE_ROUTES.uploadPart,
      BRIDGE_ROUTES.uploadAbort
    ])
  })

  it('says when S3 could not be reached, by the error code alone', async () => {
    const bridge = fakeBridge()
    const { connection } = bridge
    const store = bridgeObjectStore({
      ...connection,
      maxAttempts: 1,
      fetch: () =>
        Promise.reject(
          new TypeError('fetch failed', {
            cause: Object.assign(new Error(`getaddrinfo ENOTFOUND ${signedUrl(1)}`), { code: 'ENOTFOUND' })
          })
        )
    })
    await expect(store.read({ name: 'SourceOutput' })).rejects.toThrow(
      /^S3 could not be reached with the signed URL for input artifact SourceOutput \(ENOTFOUND\)$/
    )
  })

  it('reads an input through its signed URL, with the length S3 gives', async () => {
    const bridge = fakeBridge([() => new Response('content', { status: 200, headers: { 'content-length': '7' } })])
    const { body, length } = await bridgeObjectStore(bridge.connection).read({ name: 'SourceOutput' })
    const chunks: Buffer[] = []
    for await (const chunk of body) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('content')
    expect(length).toBe(7)
    expect(bridge.calls).toEqual([{ route: BRIDGE_ROUTES.download, body: { jobId: 'job-1', name: 'SourceOutput' } }])
    expect(bridge.sent).toEqual([{ url: signedUrl(1), method: 'GET', headers: {}, maskedBefore: true }])
  })
})

describe('downloadJobInputsThroughBridge', () => {
  it('saves an input that is not a zip under its name when the run is not told its key', async () => {
    const bridge = fakeBridge([() => new Response('not a zip')])
    const root = mkdtempSync(join(tmpdir(), 'inputs-'))
    expect(await downloadJobInputsThroughBridge([{ name: 'SourceOutput' }], root, bridge.connection)).toEqual([
      { name: 'SourceOutput', path: join(root, 'SourceOutput'), format: 'raw', bytes: 9 }
    ])
    expect(readFileSync(join(root, 'SourceOutput', 'SourceOutput'), 'utf8')).toBe('not a zip')
  })
})

describe('partsThatFit', () => {
  it("counts the parts an uploadComplete body can list within the bridge's limit", () => {
    const artifact = { jobId: '0123abcd-0123-4567-89ab-0123456789ab', name: 'BuildOutput' }
    const uploadId = 'u'.repeat(120)
    const fit = partsThatFit(artifact, uploadId)
    const part = { partNumber: 10_000, etag: '0'.repeat(32), checksumCRC32: 'AAAAAA==' }
    const body = (count: number) =>
      Buffer.byteLength(JSON.stringify({ ...artifact, uploadId, parts: Array(count).fill(part) }))
    // All the parts S3 takes fit in the bridge's limit for this route.
    expect(fit).toBe(10_000)
    expect(body(fit)).toBeLessThanOrEqual(bodyLimitOf(BRIDGE_ROUTES.uploadComplete))
  })

  it('stops an upload at its first part too many, before sending it', async () => {
    const bridge = fakeBridge()
    const target = bridgeObjectStore(bridge.connection).uploadTarget({ name: 'BuildOutput' })
    const fit = partsThatFit({ jobId: 'job-1', name: 'BuildOutput' }, 'upload-1')
    await expect(uploadTo(target, bytes((fit + 1) * 16), { partSize: 16, concurrency: 1 })).rejects.toThrow(
      `its zip needs more than ${fit} parts of 0 MiB, the most the bridge's uploadComplete call can list`
    )
    expect(bridge.sent).toHaveLength(fit)
  })
})

describe('backoffMs', () => {
  it('doubles from a quarter of a second', () => {
    expect([1, 2, 3].map(backoffMs)).toEqual([250, 500, 1000])
  })
})
