/**
 * Signed S3 requests for a run without AWS credentials, made with the job's
 * own artifact credentials. The run names an artifact as the job does, and
 * gets a URL for the job's bucket and key, never for one it names. Outputs go
 * up as multipart uploads that the bridge starts and completes, so that it
 * sets the job's encryption, on CreateMultipartUpload.
 */
import type { JobData } from '@aws-sdk/client-codepipeline'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type S3ClientConfig
} from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { SIGNED_URL_MAX_SECONDS, type ArtifactCall, type SignedRequest } from '../portable/bridge-protocol.js'
import { quote } from '../portable/errors.js'

/** S3's bounds: part numbers run from 1 to 10,000. */
export const MAX_PARTS = 10_000

/** A call refused for what it asks; `code` is the refusal's stable code. */
export class ArtifactCallRefused extends Error {
  override readonly name = 'ArtifactCallRefused'
  constructor(
    message: string,
    readonly code: 'unknown-artifact' | 'invalid-artifact-call' = 'invalid-artifact-call'
  ) {
    super(message)
  }
}

type UploadCall = ArtifactCall & { readonly uploadId: string }
/** A part as S3 took it: its ETag, and the CRC32 it was checked against. */
export type PartCall = { readonly partNumber: number; readonly etag: string; readonly checksumCRC32: string }
export type SignPartCall = UploadCall & Omit<PartCall, 'etag'>
export type CompleteUploadCall = UploadCall & { readonly parts: readonly PartCall[] }

function check(ok: boolean, message: string): void {
  if (!ok) throw new ArtifactCallRefused(message)
}

const isPartNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_PARTS
const isCrc32 = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z0-9+/]{6}==$/.test(value)
const PART_RULES = `partNumber a whole number from 1 to ${MAX_PARTS}, checksumCRC32 the part's CRC32 in base64 (such as "AAAAAA==")`

/** The job's own bucket and key for the artifact it calls `name`: the caller's only say is the name. */
export function artifactLocation(job: JobData, direction: 'input' | 'output', name: unknown) {
  const artifacts = (direction === 'input' ? job.inputArtifacts : job.outputArtifacts) ?? []
  const artifact = artifacts.find((candidate) => typeof name === 'string' && candidate.name === name)
  const { bucketName, objectKey } = artifact?.location?.s3Location ?? {}
  if (bucketName && objectKey) return { Bucket: bucketName, Key: objectKey }
  const given = typeof name === 'string' ? quote(name) : `named by a ${typeof name}`
  const names = artifacts.map((candidate) => candidate.name ?? '').join(', ')
  throw new ArtifactCallRefused(
    artifact
      ? `The job gives no S3 location for its ${direction} artifact ${given}, so there is nothing to sign.`
      : `The job has no ${direction} artifact ${given}. ${names ? `Its ${direction} artifacts are ${names}` : `It has no ${direction} artifacts`}: name one as the pipeline declares it.`,
    'unknown-artifact'
  )
}

/** The parts as CompleteMultipartUpload takes them; a list S3 would refuse is refused, naming the first wrong part. */
export function completedParts(parts: unknown): CompletedPart[] {
  check(
    Array.isArray(parts) && parts.length > 0 && parts.length <= MAX_PARTS,
    `parts must list 1 to ${MAX_PARTS} parts.`
  )
  let previous = 0
  return (parts as unknown[]).map((part, index) => {
    const { partNumber, etag, checksumCRC32 } = { ...(part as Partial<Record<keyof PartCall, unknown>>) }
    const hex = typeof etag === 'string' ? /^"?([0-9a-fA-F]{32})"?$/.exec(etag)?.[1] : undefined
    check(
      isPartNumber(partNumber) && partNumber > previous && hex !== undefined && isCrc32(checksumCRC32),
      `Part ${index + 1} of the list is not one S3 took: list each part once, in ascending order, with ${PART_RULES} and etag the ETag S3 gave (32 hexadecimal digits).`
    )
    previous = partNumber as number
    return { PartNumber: previous, ETag: `"${hex}"`, ChecksumCRC32: checksumCRC32 as string }
  })
}

/** The pipeline's Region, where its artifact store is; the bridge's clock; and the proxy's agents, an endpoint, attempts. */
export interface ArtifactUrlsOptions {
  readonly region: string
  readonly now: () => number
  readonly s3?: Omit<S3ClientConfig, 'region' | 'credentials'>
}

/** The job's artifacts, signed for and uploaded with the job's own credentials. */
export function jobArtifactUrls(job: JobData, { region, now, s3: config }: ArtifactUrlsOptions) {
  const { accessKeyId, secretAccessKey, sessionToken } = job.artifactCredentials ?? {}
  if (!accessKeyId || !secretAccessKey)
    throw new Error(
      'CodePipeline gave no artifact credentials with the job, so the bridge cannot sign for its artifacts.'
    )
  const s3 = new S3Client({
    ...config,
    region,
    credentials: { accessKeyId, secretAccessKey, sessionToken },
    // Checksums only where S3 needs them, so that no URL carries one the run's bytes would not match.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED'
  })
  const upload = (name: unknown, uploadId: unknown) => {
    const location = artifactLocation(job, 'output', name)
    check(
      typeof uploadId === 'string' && /^[\x21-\x7e]{1,1024}$/.test(uploadId),
      'uploadId is not the one uploadStart gave.'
    )
    return { ...location, UploadId: uploadId as string }
  }
  /** Signs with `presign`; `headers` are signed in, for the run to send as they are. */
  const sign = async (
    headers: Record<string, string>,
    presign: (options: Parameters<typeof getSignedUrl>[2]) => Promise<string>
  ): Promise<SignedRequest> => {
    // SigV4 counts the expiry in whole seconds from the signing time.
    const signedAt = Math.floor(now() / 1000) * 1000
    const url = await presign({
      expiresIn: SIGNED_URL_MAX_SECONDS,
      signingDate: new Date(signedAt),
      // Sent as headers, where S3 checks them, rather than moved into the URL.
      unhoistableHeaders: new Set(Object.keys(headers))
    })
    return { url, headers, expiresAt: signedAt + SIGNED_URL_MAX_SECONDS * 1000 }
  }

  return {
    /** A URL to read the input artifact the call names. */
    async signDownload({ name }: ArtifactCall): Promise<SignedRequest> {
      const command = new GetObjectCommand(artifactLocation(job, 'input', name))
      return sign({}, (options) => getSignedUrl(s3, command, options))
    },
    /** Starts the named output artifact's upload, encrypted as the job asks; gives its UploadId. */
    async startUpload({ name }: ArtifactCall): Promise<string> {
      const key = job.encryptionKey
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({
          ...artifactLocation(job, 'output', name),
          ContentType: 'application/zip',
          ServerSideEncryption: 'aws:kms',
          ...(key?.type === 'KMS' && key.id && { SSEKMSKeyId: key.id }),
          ChecksumAlgorithm: 'CRC32'
        })
      )
      if (!UploadId) throw new Error(`S3 gave no UploadId for output artifact ${quote(name)}.`)
      return UploadId
    },
    /** A URL to send one part, its CRC32 signed in as a header that S3 checks the part against. */
    async signUploadPart({ name, uploadId, partNumber, checksumCRC32 }: SignPartCall): Promise<SignedRequest> {
      const target = upload(name, uploadId)
      check(isPartNumber(partNumber) && isCrc32(checksumCRC32), `The part is not one to sign: ${PART_RULES}.`)
      const command = new UploadPartCommand({ ...target, PartNumber: partNumber, ChecksumCRC32: checksumCRC32 })
      return sign({ 'x-amz-checksum-crc32': checksumCRC32 }, (options) => getSignedUrl(s3, command, options))
    },
    async completeUpload({ name, uploadId, parts }: CompleteUploadCall): Promise<void> {
      const target = upload(name, uploadId)
      await s3.send(
        new CompleteMultipartUploadCommand({ ...target, MultipartUpload: { Parts: completedParts(parts) } })
      )
    },
    /** Aborts an upload that will not complete, so that its parts stop costing. */
    async abortUpload({ name, uploadId }: UploadCall): Promise<void> {
      await s3.send(new AbortMultipartUploadCommand(upload(name, uploadId)))
    },
    destroy: (): void => s3.destroy()
  }
}

export type JobArtifactUrls = ReturnType<typeof jobArtifactUrls>
