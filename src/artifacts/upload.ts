import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import { open as openZip } from 'yauzl'
import { ArtifactError } from './artifact-error.js'
import { uploadStream } from './multipart.js'
import type { OutputArtifactPlan } from './output-mapping.js'
import { zipDirectory, zipSingleFile } from './zip-writer.js'

/** Parts of 8 MiB, four at once: four 8 MiB buffers in all, whatever the artifact's size. */
export const PART_SIZE = 8 * 1024 * 1024
export const CONCURRENCY = 4

export interface UploadedArtifact {
  readonly name: string
  readonly bytes: number
  readonly bucketName: string
  readonly objectKey: string
}

export interface UploadOptions {
  /** The job's KMS key; undefined for the AWS-managed key. */
  readonly kmsKeyId?: string
  /** Called as each artifact is in place. */
  readonly onUploaded?: (artifact: UploadedArtifact) => void
}

/**
 * Uploads each output artifact as a zip to the location the job gave it, one
 * after another, with SSE-KMS: the job's key when it has one, otherwise the
 * AWS-managed key. The zip is made as it is sent, never held in memory.
 */
export async function uploadOutputArtifacts(
  plans: readonly OutputArtifactPlan[],
  s3: S3Client,
  { kmsKeyId, onUploaded }: UploadOptions = {}
): Promise<UploadedArtifact[]> {
  const uploaded: UploadedArtifact[] = []
  for (const plan of plans) {
    try {
      const body = await zipStream(plan)
      const { bytes } = await uploadStream(
        s3,
        {
          Bucket: plan.bucketName,
          Key: plan.objectKey,
          ContentType: 'application/zip',
          ServerSideEncryption: 'aws:kms',
          ...(kmsKeyId !== undefined && { SSEKMSKeyId: kmsKeyId })
        },
        body,
        { partSize: PART_SIZE, concurrency: CONCURRENCY }
      )
      const artifact = { name: plan.name, bytes, bucketName: plan.bucketName, objectKey: plan.objectKey }
      uploaded.push(artifact)
      onUploaded?.(artifact)
    } catch (error) {
      throw new ArtifactError('Output', plan.name, error)
    }
  }
  return uploaded
}

async function zipStream(plan: OutputArtifactPlan): Promise<Readable> {
  if (plan.kind === 'directory') return zipDirectory(plan.path)
  if (plan.kind === 'file') return zipSingleFile(plan.path)
  await checkZip(plan.path)
  return createReadStream(plan.path)
}

/** A .zip goes up as it is, so it must be one: later actions will open it. */
function checkZip(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    openZip(path, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(new Error(`${path} is not a readable zip file (${error.message})`))
      zip.close()
      resolve()
    })
  })
}
