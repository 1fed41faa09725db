import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import type { JobData } from '@aws-sdk/client-codepipeline'
import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, standInClient, startSigningS3StandIn, type SigningS3StandIn } from '../../local/moto.js'
import {
  ArtifactError,
  downloadJobInputsThroughBridge,
  uploadJobOutputsThroughBridge,
  type BridgeCall,
  type BridgeConnection
} from '../../src/artifacts/index.js'
import { planOutputArtifacts } from '../../src/artifacts/output-mapping.js'
import { ArtifactCallRefused, jobArtifactUrls, type JobArtifactUrls } from '../../src/bridge/artifact-urls.js'
import { streamingFetch } from '../../src/portable/http-fetch.js'

/** Requests over node:http, which reads a body the server closed the connection on; moto closes after every answer. */
const send = streamingFetch({})
import { BRIDGE_ROUTES, SIGNED_URL_MAX_SECONDS } from '../../src/portable/bridge-protocol.js'

// Credential-free artifacts against moto with every signature checked, a signed URL's included:
// the bridge signs with the job's temporary credentials, the run sends with fetch and holds none.
const REGION = 'us-east-1'
const BUCKET = 'codepipeline-us-east-1-111122223333'
const OTHER_BUCKET = 'another-teams-bucket'
const SOURCE_KEY = 'MyPipeline/SourceOutp/src1234'
const BUILD_KEY = 'MyPipeline/BuildOutpu/bld5678'
const SMALL_KEY = 'MyPipeline/SmallOutpu/sml9012'
const SOURCE = Buffer.from('the source revision, as CodePipeline stored it')

let moto: SigningS3StandIn
/** A client of an IAM user allowed everything: the test's own view of the bucket. */
let admin: S3Client
let job: JobData
let keyArn: string

/** moto's query APIs, called while its checks are off: any signature goes. */
async function setupCall(service: 'iam' | 'sts', action: string, params: Record<string, string>): Promise<string> {
  const response = await send(`${moto.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: unchecked(service) },
    body: new URLSearchParams({ Action: action, Version: service === 'iam' ? '2010-05-08' : '2011-06-15', ...params })
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${service} ${action} failed: ${text}`)
  return text
}

const unchecked = (service: string): string =>
  `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=unchecked`

function xmlValue(xml: string, tag: string): string {
  const value = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1]
  if (value === undefined) throw new Error(`no <${tag}> in ${xml}`)
  return value
}

const policy = (actions: string[], resource: string): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }] })

const location = (bucketName: string, objectKey: string) => ({
  type: 'S3' as const,
  s3Location: { bucketName, objectKey }
})

beforeAll(async () => {
  moto = await startSigningS3StandIn()
  const setup = standInClient(moto)
  for (const bucket of [BUCKET, OTHER_BUCKET]) await setup.send(new CreateBucketCommand({ Bucket: bucket }))
  // The same key in another bucket, so that a URL moved there would find something to read.
  for (const bucket of [BUCKET, OTHER_BUCKET])
    await setup.send(new PutObjectCommand({ Bucket: bucket, Key: SOURCE_KEY, Body: SOURCE }))
  setup.destroy()

  await setupCall('iam', 'CreateUser', { UserName: 'pipeline-admin' })
  const key = await setupCall('iam', 'CreateAccessKey', { UserName: 'pipeline-admin' })
  await setupCall('iam', 'PutUserPolicy', {
    UserName: 'pipeline-admin',
    PolicyName: 'everything',
    PolicyDocument: policy(['s3:*'], '*')
  })
  admin = new S3Client({
    region: REGION,
    endpoint: moto.url,
    forcePathStyle: true,
    credentials: { accessKeyId: xmlValue(key, 'AccessKeyId'), secretAccessKey: xmlValue(key, 'SecretAccessKey') }
  })

  // The job's credentials, as CodePipeline hands them out: a role session that reaches the pipeline's prefix only.
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'codepipeline.amazonaws.com' }, Action: 'sts:AssumeRole' }]
  })
  await setupCall('iam', 'CreateRole', { RoleName: 'codepipeline-job', AssumeRolePolicyDocument: trust })
  await setupCall('iam', 'PutRolePolicy', {
    RoleName: 'codepipeline-job',
    PolicyName: 'artifacts',
    PolicyDocument: policy(
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
      `arn:aws:s3:::${BUCKET}/MyPipeline/*`
    )
  })
  const session = await setupCall('sts', 'AssumeRole', {
    RoleArn: 'arn:aws:iam::123456789012:role/codepipeline-job',
    RoleSessionName: 'job',
    DurationSeconds: '900'
  })
  const kms = await send(`${moto.url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.CreateKey',
      authorization: unchecked('kms')
    },
    body: '{}'
  })
  keyArn = ((await kms.json()) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn

  job = {
    inputArtifacts: [
      { name: 'SourceOutput', location: location(BUCKET, SOURCE_KEY) },
      // The next action's input: the build's output, read back.
      { name: 'BuildOutput', location: location(BUCKET, BUILD_KEY) }
    ],
    outputArtifacts: [
      { name: 'BuildOutput', location: location(BUCKET, BUILD_KEY) },
      { name: 'Small', location: location(BUCKET, SMALL_KEY) }
    ],
    artifactCredentials: {
      accessKeyId: xmlValue(session, 'AccessKeyId'),
      secretAccessKey: xmlValue(session, 'SecretAccessKey'),
      sessionToken: xmlValue(session, 'SessionToken')
    },
    encryptionKey: { id: keyArn, type: 'KMS' }
  }
  await moto.checkSignatures()
}, 60_000)

afterAll(async () => {
  admin?.destroy()
  await moto?.close()
})

/** The bridge's side, signing for `job` against moto, on a clock `offsetMs` from the real one. */
function bridgeFor(offsetMs = 0, endpoint = moto.url): JobArtifactUrls {
  return jobArtifactUrls(job, {
    region: REGION,
    now: () => Date.now() + offsetMs,
    s3: { endpoint, forcePathStyle: true, maxAttempts: 1 }
  })
}

/** The endpoint as the run sees it: each body and answer crosses as JSON, and each route goes to the bridge's function. */
function callThrough(urls: JobArtifactUrls): BridgeCall {
  return async (route, body) => {
    const fields = JSON.parse(JSON.stringify(body)) as never
    const answer = await (async () => {
      switch (route) {
        case BRIDGE_ROUTES.download:
          return urls.signDownload(fields)
        case BRIDGE_ROUTES.uploadStart:
          return { uploadId: await urls.startUpload(fields) }
        case BRIDGE_ROUTES.uploadPart:
          return urls.signUploadPart(fields)
        case BRIDGE_ROUTES.uploadComplete:
          return urls.completeUpload(fields).then(() => ({}))
        default:
          throw new Error(`this test has no route ${route}`)
      }
    })()
    return JSON.parse(JSON.stringify(answer)) as unknown
  }
}

/** A run's connection to the bridge that records what it masked, and refuses to send to a URL it had not masked. */
function runConnection(urls: JobArtifactUrls, maxAttempts?: number) {
  const masked = new Set<string>()
  const sent: string[] = []
  const connection: BridgeConnection = {
    jobId: 'job-1',
    call: callThrough(urls),
    maskSecret: (secret) => masked.add(secret),
    fetch: (input, init) => {
      const url = input instanceof URL ? input.href : typeof input === 'string' ? input : input.url
      if (!masked.has(url)) throw new Error('a signed URL was used before it was masked')
      sent.push(url)
      return send(input, init)
    },
    ...(maxAttempts !== undefined && { maxAttempts })
  }
  return { connection, masked, sent }
}

/** The uploads still open at `key`, or at any key. */
async function openUploads(key?: string): Promise<unknown[]> {
  // Listed whole: moto checks a header signature against the URL decoded, so an encoded prefix would not pass.
  const { Uploads = [] } = await admin.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))
  return Uploads.filter((upload) => key === undefined || upload.Key === key)
}

function crc32Base64(data: Buffer): string {
  const checksum = Buffer.alloc(4)
  checksum.writeUInt32BE(crc32(data))
  return checksum.toString('base64')
}

/** S3's error code, from a refusal's XML. */
async function refusal(response: Response): Promise<string> {
  return `${response.status} ${/<Code>(\w+)<\/Code>/.exec(await response.text())?.[1]}`
}

describe('credential-free artifacts, with every signature checked', () => {
  it('uploads an artifact of several parts and reads it back, encrypted with the job key, through signed URLs only', async () => {
    const urls = bridgeFor()
    const workspace = mkdtempSync(join(tmpdir(), 'workspace-'))
    // Bytes that do not compress, so the zip needs two 8 MiB parts.
    const big = randomBytes(12 * 1024 * 1024)
    mkdirSync(join(workspace, 'dist'))
    writeFileSync(join(workspace, 'dist/app.bin'), big)
    writeFileSync(join(workspace, 'dist/readme.txt'), 'built')
    const { connection, masked, sent } = runConnection(urls)
    // Through the bridge, the run knows its outputs by name only.
    const plans = planOutputArtifacts(
      { lines: [{ name: 'BuildOutput', path: 'dist' }], outsideWorkspace: false },
      [{ name: 'BuildOutput' }],
      workspace
    )

    const [uploaded] = await uploadJobOutputsThroughBridge(plans, connection)

    expect(uploaded?.bytes).toBeGreaterThan(12 * 1024 * 1024)
    const stored = await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: BUILD_KEY }))
    expect(stored).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: keyArn,
      ContentType: 'application/zip',
      ContentLength: uploaded?.bytes
    })
    expect(stored.ETag).toMatch(/-2"$/)
    expect(await openUploads(BUILD_KEY)).toEqual([])

    const root = mkdtempSync(join(tmpdir(), 'inputs-'))
    const downloaded = await downloadJobInputsThroughBridge([{ name: 'BuildOutput' }], root, connection)

    expect(downloaded).toEqual([
      { name: 'BuildOutput', path: join(root, 'BuildOutput'), format: 'zip', bytes: uploaded?.bytes, entries: 2 }
    ])
    expect(readFileSync(join(root, 'BuildOutput/app.bin')).equals(big)).toBe(true)
    expect(readFileSync(join(root, 'BuildOutput/readme.txt'), 'utf8')).toBe('built')
    // Two parts and one read, each URL masked before it was used.
    expect(sent).toHaveLength(3)
    expect(sent.every((url) => masked.has(url))).toBe(true)
    urls.destroy()
  })

  it('downloads an input artifact that is not a zip as it is', async () => {
    const urls = bridgeFor()
    const root = mkdtempSync(join(tmpdir(), 'inputs-'))
    const [source] = await downloadJobInputsThroughBridge(
      [{ name: 'SourceOutput', location: location(BUCKET, SOURCE_KEY) }],
      root,
      runConnection(urls).connection
    )
    expect(source).toMatchObject({ format: 'raw', bytes: SOURCE.length })
    expect(readFileSync(join(root, 'SourceOutput/src1234'))).toEqual(SOURCE)
    urls.destroy()
  })

  it('has S3 refuse a signed URL whose bucket, key or part was changed', async () => {
    const urls = bridgeFor()
    const { url } = await urls.signDownload({ jobId: 'job-1', name: 'SourceOutput' })
    expect((await send(url)).status).toBe(200)

    const otherKey = url.replace(`/${SOURCE_KEY}?`, `/MyPipeline/SourceOutp/other?`)
    const otherBucket = url.replace(`/${BUCKET}/`, `/${OTHER_BUCKET}/`)
    expect(otherKey).not.toBe(url)
    expect(otherBucket).not.toBe(url)
    expect(await refusal(await send(otherKey))).toBe('403 SignatureDoesNotMatch')
    expect(await refusal(await send(otherBucket))).toBe('403 SignatureDoesNotMatch')

    const uploadId = await urls.startUpload({ jobId: 'job-1', name: 'Small' })
    const body = Buffer.from('part one')
    const part = await urls.signUploadPart({
      jobId: 'job-1',
      name: 'Small',
      uploadId,
      partNumber: 1,
      checksumCRC32: crc32Base64(body)
    })
    const otherPart = new URL(part.url)
    otherPart.searchParams.set('partNumber', '2')
    expect(await refusal(await send(otherPart, { method: 'PUT', body, headers: part.headers }))).toBe(
      '403 SignatureDoesNotMatch'
    )
    await urls.abortUpload({ jobId: 'job-1', name: 'Small', uploadId })
    expect(await openUploads(SMALL_KEY)).toEqual([])
    urls.destroy()
  })

  it('has S3 refuse a signed URL once its time is up, and the run say so without the URL', async () => {
    const late = bridgeFor(-(SIGNED_URL_MAX_SECONDS + 5) * 1000)
    const signed = await late.signDownload({ jobId: 'job-1', name: 'SourceOutput' })
    expect(signed.expiresAt).toBeLessThan(Date.now())
    expect(await refusal(await send(signed.url))).toBe('403 AccessDenied')
    // Signed a little less than the limit ago, the same URL still works.
    const inTime = bridgeFor(-(SIGNED_URL_MAX_SECONDS - 30) * 1000)
    expect((await send((await inTime.signDownload({ jobId: 'job-1', name: 'SourceOutput' })).url)).status).toBe(200)

    const { connection, masked } = runConnection(late, 2)
    const failure = await downloadJobInputsThroughBridge(
      [{ name: 'SourceOutput' }],
      mkdtempSync(join(tmpdir(), 'inputs-')),
      connection
    ).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ArtifactError)
    expect(String(failure)).toBe(
      'ArtifactError: Input artifact SourceOutput: S3 refused the signed URL for input artifact SourceOutput, which had expired: HTTP 403 AccessDenied'
    )
    // Each attempt had a URL of its own, and none of it is in the message.
    expect(masked.size).toBeGreaterThanOrEqual(2)
    for (const secret of masked) expect(String(failure)).not.toContain(secret)
    late.destroy()
    inTime.destroy()
  })

  it("keeps the job's KMS key on every upload: no part goes up without its signed headers, and no whole object without the key", async () => {
    const urls = bridgeFor()
    const uploadId = await urls.startUpload({ jobId: 'job-1', name: 'Small' })
    const body = Buffer.from('a small artifact, in one part')
    const part = await urls.signUploadPart({
      jobId: 'job-1',
      name: 'Small',
      uploadId,
      partNumber: 1,
      checksumCRC32: crc32Base64(body)
    })
    expect(part.headers).toEqual({ 'x-amz-checksum-crc32': crc32Base64(body) })

    expect(await refusal(await send(part.url, { method: 'PUT', body }))).toBe('403 SignatureDoesNotMatch')
    // The part's URL made into a PutObject of the whole artifact, which would skip CreateMultipartUpload and its key.
    const whole = new URL(part.url)
    whole.searchParams.delete('partNumber')
    whole.searchParams.delete('uploadId')
    expect(await refusal(await send(whole, { method: 'PUT', body, headers: part.headers }))).toBe(
      '403 SignatureDoesNotMatch'
    )
    expect(await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: SMALL_KEY })).catch(() => 'absent')).toBe(
      'absent'
    )

    const sent = await send(part.url, { method: 'PUT', body, headers: part.headers })
    expect(sent.status).toBe(200)
    const etag = sent.headers.get('etag') ?? ''
    await urls.completeUpload({
      jobId: 'job-1',
      name: 'Small',
      uploadId,
      parts: [{ partNumber: 1, etag, checksumCRC32: crc32Base64(body) }]
    })
    expect(await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: SMALL_KEY }))).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: keyArn,
      ContentLength: body.length
    })
    urls.destroy()
  })

  it('refuses a name the job does not have before any S3 request, listing the names it has', async () => {
    // Nothing listens there: a request to S3 would fail as a connection error, not as a refusal.
    const unreachable = bridgeFor(0, `http://127.0.0.1:${await freePort()}`)
    const call = { jobId: 'job-1', name: 'Nope' }
    const upload = { ...call, uploadId: 'an-upload' }
    const refusals = [
      unreachable.signDownload(call),
      unreachable.startUpload(call),
      unreachable.startUpload({ ...call, name: 'SourceOutput' }),
      unreachable.signUploadPart({ ...upload, partNumber: 1, checksumCRC32: 'AAAAAA==' }),
      unreachable.completeUpload({
        ...upload,
        parts: [{ partNumber: 1, etag: 'a'.repeat(32), checksumCRC32: 'AAAAAA==' }]
      }),
      unreachable.abortUpload(upload)
    ]
    for (const refused of await Promise.allSettled(refusals)) {
      expect(refused.status).toBe('rejected')
      const reason = (refused as PromiseRejectedResult).reason as unknown
      expect(reason).toBeInstanceOf(ArtifactCallRefused)
      expect(reason).toMatchObject({ code: 'unknown-artifact' })
    }
    await expect(unreachable.signDownload(call)).rejects.toThrow(
      'The job has no input artifact "Nope". Its input artifacts are SourceOutput, BuildOutput: name one as the pipeline declares it.'
    )
    await expect(unreachable.startUpload({ ...call, name: 'SourceOutput' })).rejects.toThrow(
      'The job has no output artifact "SourceOutput". Its output artifacts are BuildOutput, Small'
    )
    unreachable.destroy()

    // The run hears the refusal as the artifact's failure, and nothing was started at the bucket.
    const urls = bridgeFor()
    await expect(
      downloadJobInputsThroughBridge(
        [{ name: 'Nope' }],
        mkdtempSync(join(tmpdir(), 'inputs-')),
        runConnection(urls).connection
      )
    ).rejects.toThrow(/^Input artifact Nope: The job has no input artifact "Nope"/)
    expect(await openUploads()).toEqual([])
    urls.destroy()
  })
})
