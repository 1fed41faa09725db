import type { Readable } from 'node:stream'
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { s3UploadTarget, type UploadTarget } from './multipart.js'

/** An artifact's object: its name in the job, and where the job stores it, when the run is told. */
export interface ArtifactObject {
  readonly name: string
  readonly bucketName?: string
  readonly objectKey?: string
}

export interface ObjectBody {
  readonly body: Readable
  /** Bytes to come, when the store says. */
  readonly length?: number
}

/**
 * How the artifact code reads and writes the pipeline's artifact store:
 * with the job's credentials, or through the bridge, which signs each request.
 */
export interface ObjectStore {
  /** Reads an input artifact's object as a stream. */
  read(object: ArtifactObject): Promise<ObjectBody>
  /** Where an output artifact's zip goes up. */
  uploadTarget(object: ArtifactObject): UploadTarget
}

/**
 * The store over an S3 client that holds the job's credentials. Every object
 * goes up with SSE-KMS: the job's key when it names one, otherwise the
 * AWS-managed key.
 */
export function s3ObjectStore(s3: S3Client, { kmsKeyId }: { readonly kmsKeyId?: string } = {}): ObjectStore {
  return {
    async read(object) {
      const { Bucket, Key } = s3Location(object)
      const read = await s3.send(new GetObjectCommand({ Bucket, Key }))
      if (!read.Body) throw new Error(`s3://${Bucket}/${Key} has no body`)
      return { body: read.Body as Readable, length: read.ContentLength }
    },
    uploadTarget(object) {
      return s3UploadTarget(s3, {
        ...s3Location(object),
        ContentType: 'application/zip',
        ServerSideEncryption: 'aws:kms',
        ...(kmsKeyId !== undefined && { SSEKMSKeyId: kmsKeyId })
      })
    }
  }
}

function s3Location({ bucketName, objectKey }: ArtifactObject): { Bucket: string; Key: string } {
  if (!bucketName || !objectKey) throw new Error('the job gives no S3 location for it')
  return { Bucket: bucketName, Key: objectKey }
}
