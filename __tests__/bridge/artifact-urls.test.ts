import type { JobData } from '@aws-sdk/client-codepipeline'
import { describe, expect, it } from 'vitest'
import {
  ArtifactCallRefused,
  artifactLocation,
  completedParts,
  jobArtifactUrls,
  MAX_PARTS
} from '../../src/bridge/artifact-urls.js'
import { SIGNED_URL_MAX_SECONDS } from '../../src/portable/bridge-protocol.js'

const at = (bucketName: string, objectKey: string) => ({ type: 'S3' as const, s3Location: { bucketName, objectKey } })

const job: JobData = {
  inputArtifacts: [
    { name: 'SourceOutput', location: at('artifact-bucket', 'MyPipeline/SourceOutp/abc1234') },
    { name: 'Config', location: at('artifact-bucket', 'MyPipeline/Config/def5678') }
  ],
  outputArtifacts: [{ name: 'BuildOutput', location: at('artifact-bucket', 'MyPipeline/BuildOutpu/ghi9012') }],
  artifactCredentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session-token' },
  encryptionKey: { id: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd', type: 'KMS' }
}

/** 2026-01-02T03:04:05.678Z, a time with milliseconds that SigV4 leaves out. */
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 678)
const urls = () => jobArtifactUrls(job, { region: 'us-east-1', now: () => NOW })
const ETAG = '"9b2cf535f27731c974343645a3985328"'

function refusedWith(run: () => unknown, code: ArtifactCallRefused['code'], message: string | RegExp): void {
  let thrown: unknown
  try {
    run()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(ArtifactCallRefused)
  expect(thrown).toMatchObject({ code })
  expect(String((thrown as Error).message)).toMatch(message)
}

describe('artifactLocation', () => {
  it("maps a name to the job's own bucket and key, by direction", () => {
    expect(artifactLocation(job, 'input', 'Config')).toEqual({
      Bucket: 'artifact-bucket',
      Key: 'MyPipeline/Config/def5678'
    })
    expect(artifactLocation(job, 'output', 'BuildOutput')).toEqual({
      Bucket: 'artifact-bucket',
      Key: 'MyPipeline/BuildOutpu/ghi9012'
    })
  })

  it("refuses a name the job does not have in that direction, listing the job's names", () => {
    refusedWith(
      () => artifactLocation(job, 'input', 'BuildOutput'),
      'unknown-artifact',
      'The job has no input artifact "BuildOutput". Its input artifacts are SourceOutput, Config: name one as the pipeline declares it.'
    )
    refusedWith(
      () => artifactLocation(job, 'output', 'buildoutput'),
      'unknown-artifact',
      'Its output artifacts are BuildOutput'
    )
    refusedWith(
      () => artifactLocation({}, 'output', 'Out'),
      'unknown-artifact',
      'The job has no output artifact "Out". It has no output artifacts'
    )
    refusedWith(
      () => artifactLocation(job, 'input', { bucket: 'x' }),
      'unknown-artifact',
      /input artifact named by a object/
    )
  })

  it('refuses a declared artifact that has no S3 location', () => {
    refusedWith(
      () => artifactLocation({ outputArtifacts: [{ name: 'Out' }] }, 'output', 'Out'),
      'unknown-artifact',
      'The job gives no S3 location for its output artifact "Out"'
    )
  })
})

describe('completedParts', () => {
  it('takes parts in ascending order, quoting each ETag as S3 wants it', () => {
    expect(
      completedParts([
        { partNumber: 1, etag: ETAG, checksumCRC32: 'AAAAAA==' },
        { partNumber: 3, etag: '9B2CF535F27731C974343645A3985328', checksumCRC32: 'q1w2e3==' }
      ])
    ).toEqual([
      { PartNumber: 1, ETag: ETAG, ChecksumCRC32: 'AAAAAA==' },
      { PartNumber: 3, ETag: '"9B2CF535F27731C974343645A3985328"', ChecksumCRC32: 'q1w2e3==' }
    ])
  })

  it('refuses a list that is not one, is empty or is longer than S3 takes', () => {
    for (const parts of [undefined, 'parts', {}, [], Array.from({ length: MAX_PARTS + 1 }, () => ({}))]) {
      refusedWith(() => completedParts(parts), 'invalid-artifact-call', `parts must list 1 to ${MAX_PARTS} parts.`)
    }
  })

  it.each([
    ['a part number of 0', [{ partNumber: 0, etag: ETAG, checksumCRC32: 'AAAAAA==' }], 1],
    ['a part number past 10,000', [{ partNumber: MAX_PARTS + 1, etag: ETAG, checksumCRC32: 'AAAAAA==' }], 1],
    ['a fractional part number', [{ partNumber: 1.5, etag: ETAG, checksumCRC32: 'AAAAAA==' }], 1],
    ['a part number as text', [{ partNumber: '1', etag: ETAG, checksumCRC32: 'AAAAAA==' }], 1],
    [
      'a part given twice',
      [
        { partNumber: 1, etag: ETAG, checksumCRC32: 'AAAAAA==' },
        { partNumber: 1, etag: ETAG, checksumCRC32: 'AAAAAA==' }
      ],
      2
    ],
    [
      'parts out of order',
      [
        { partNumber: 2, etag: ETAG, checksumCRC32: 'AAAAAA==' },
        { partNumber: 1, etag: ETAG, checksumCRC32: 'AAAAAA==' }
      ],
      2
    ],
    ['an ETag that is not a digest', [{ partNumber: 1, etag: '"abc"', checksumCRC32: 'AAAAAA==' }], 1],
    ['an ETag with something after it', [{ partNumber: 1, etag: `${ETAG}, "x"`, checksumCRC32: 'AAAAAA==' }], 1],
    ['no checksum', [{ partNumber: 1, etag: ETAG }], 1],
    ['a checksum that is not 4 bytes', [{ partNumber: 1, etag: ETAG, checksumCRC32: 'AAAAAAAA' }], 1],
    ['a part that is not an object', [null], 1]
  ])('refuses %s, naming the part', (_, parts, which) => {
    refusedWith(
      () => completedParts(parts),
      'invalid-artifact-call',
      `Part ${which} of the list is not one S3 took: list each part once, in ascending order`
    )
  })
})

describe('jobArtifactUrls', () => {
  it("signs a GET of the job's object for 300 s from the bridge's clock, whatever else the call carries", async () => {
    const signed = await urls().signDownload({
      jobId: 'job-1',
      name: 'SourceOutput',
      ...{ bucketName: 'attacker-bucket', objectKey: 'secrets' }
    })
    const url = new URL(signed.url)
    expect(url.host).toBe('artifact-bucket.s3.us-east-1.amazonaws.com')
    expect(url.pathname).toBe('/MyPipeline/SourceOutp/abc1234')
    expect(url.searchParams.get('X-Amz-Date')).toBe('20260102T030405Z')
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(SIGNED_URL_MAX_SECONDS))
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session-token')
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host')
    expect(url.searchParams.has('x-amz-checksum-mode')).toBe(false)
    expect(signed.headers).toEqual({})
    expect(signed.expiresAt).toBe(Date.UTC(2026, 0, 2, 3, 4, 5) + SIGNED_URL_MAX_SECONDS * 1000)
    // Neither the secret key nor anything the caller named.
    expect(signed.url).not.toMatch(/secret|attacker/)
  })

  it("signs one part of the job's upload with its CRC32 as a header to send, not in the URL", async () => {
    const signed = await urls().signUploadPart({
      jobId: 'job-1',
      name: 'BuildOutput',
      uploadId: 'upload-1',
      partNumber: 7,
      checksumCRC32: 'q1w2e3=='
    })
    const url = new URL(signed.url)
    expect(url.pathname).toBe('/MyPipeline/BuildOutpu/ghi9012')
    expect(url.searchParams.get('uploadId')).toBe('upload-1')
    expect(url.searchParams.get('partNumber')).toBe('7')
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-amz-checksum-crc32')
    expect(url.searchParams.has('x-amz-checksum-crc32')).toBe(false)
    // The encryption was set when the upload started: a part carries none.
    expect([...url.searchParams.keys()].filter((key) => /server-side-encryption/i.test(key))).toEqual([])
    expect(signed.headers).toEqual({ 'x-amz-checksum-crc32': 'q1w2e3==' })
  })

  it.each([
    ['a part number of 0', { partNumber: 0 }, /partNumber a whole number from 1 to 10000/],
    ['a part number past 10,000', { partNumber: 10_001 }, /partNumber a whole number/],
    ['no checksum', { checksumCRC32: undefined }, /checksumCRC32 the part's CRC32 in base64/],
    ['an upload ID with spaces', { uploadId: 'an upload' }, /uploadId is not the one uploadStart gave/],
    ['no upload ID', { uploadId: '' }, /uploadId is not the one uploadStart gave/]
  ])('refuses to sign a part with %s', async (_, change, message) => {
    const call = { jobId: 'job-1', name: 'BuildOutput', uploadId: 'upload-1', partNumber: 1, checksumCRC32: 'AAAAAA==' }
    await expect(urls().signUploadPart({ ...call, ...change } as never)).rejects.toThrow(message)
  })

  it('refuses an unknown name before any request to S3, which a unit test could not make', async () => {
    const signer = urls()
    const call = { jobId: 'job-1', name: 'Nope', uploadId: 'upload-1' }
    const parts = [{ partNumber: 1, etag: ETAG, checksumCRC32: 'AAAAAA==' }]
    for (const refused of [
      signer.startUpload(call),
      signer.completeUpload({ ...call, parts }),
      signer.abortUpload(call)
    ]) {
      await expect(refused).rejects.toThrow(
        'The job has no output artifact "Nope". Its output artifacts are BuildOutput'
      )
    }
    await expect(signer.completeUpload({ ...call, name: 'BuildOutput', parts: [] })).rejects.toThrow(
      'parts must list 1 to 10000 parts.'
    )
  })

  it('needs the artifact credentials that came with the job', () => {
    expect(() =>
      jobArtifactUrls({ ...job, artifactCredentials: undefined }, { region: 'us-east-1', now: () => NOW })
    ).toThrow('CodePipeline gave no artifact credentials with the job, so the bridge cannot sign for its artifacts.')
  })
})
