import { crc32 } from 'node:zlib'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type PutObjectCommandInput,
  type S3Client
} from '@aws-sdk/client-s3'

/** What the object is stored with: everything PutObject takes but the body. */
export type ObjectParams = Pick<
  PutObjectCommandInput,
  'Bucket' | 'Key' | 'ContentType' | 'ServerSideEncryption' | 'SSEKMSKeyId'
>

export interface StreamUploadOptions {
  /** Bytes per part; S3 wants at least 5 MiB for every part but the last. */
  readonly partSize: number
  /** Parts sent at once; also the number of part buffers. */
  readonly concurrency: number
}

/**
 * Uploads a stream of unknown length to S3 with memory that stays flat: parts
 * are filled into a fixed set of buffers, allocated once and reused, so a
 * large artifact costs no more memory than a small one. A stream shorter than
 * one part goes up with a single PutObject.
 */
export async function uploadStream(
  s3: S3Client,
  params: ObjectParams,
  body: AsyncIterable<Buffer>,
  options: StreamUploadOptions
): Promise<{ bytes: number; parts: number }> {
  const free: Buffer[] = Array.from({ length: options.concurrency }, () => Buffer.allocUnsafe(options.partSize))
  const waiting: ((buffer: Buffer) => void)[] = []
  const takeBuffer = (): Promise<Buffer> =>
    free.length > 0 ? Promise.resolve(free.pop()!) : new Promise((resolve) => waiting.push(resolve))
  const giveBack = (buffer: Buffer): void => {
    const next = waiting.shift()
    if (next) next(buffer)
    else free.push(buffer)
  }

  let uploadId: Promise<string | undefined> | undefined
  const completed: CompletedPart[] = []
  const inFlight = new Set<Promise<void>>()
  let failure: Error | undefined
  /** Throws the first failure of a part sent so far; the sends set it as they settle. */
  const throwIfAPartFailed = (): void => {
    if (failure) throw failure
  }
  let bytes = 0
  let partNumber = 0

  const sendPart = async (buffer: Buffer, length: number): Promise<void> => {
    const number = ++partNumber
    // Created once, by the first part; the others wait for its ID.
    uploadId ??= s3
      .send(new CreateMultipartUploadCommand({ ...params, ChecksumAlgorithm: 'CRC32' }))
      .then((created) => created.UploadId)
    const part = buffer.subarray(0, length)
    const { ETag, ChecksumCRC32 } = await s3.send(
      new UploadPartCommand({
        Bucket: params.Bucket,
        Key: params.Key,
        UploadId: await uploadId,
        PartNumber: number,
        Body: part,
        ChecksumCRC32: crc32Base64(part)
      })
    )
    completed.push({ PartNumber: number, ETag, ChecksumCRC32 })
  }
  const dispatch = (buffer: Buffer, length: number): void => {
    const sending = sendPart(buffer, length)
      .catch((error: unknown) => {
        failure ??= error instanceof Error ? error : new Error(String(error))
      })
      .finally(() => {
        inFlight.delete(sending)
        giveBack(buffer)
      })
    inFlight.add(sending)
  }

  let current = await takeBuffer()
  let filled = 0
  try {
    for await (const chunk of body) {
      if (failure) break
      bytes += chunk.length
      let offset = 0
      while (offset < chunk.length) {
        const copied = chunk.copy(current, filled, offset)
        filled += copied
        offset += copied
        if (filled === options.partSize) {
          dispatch(current, filled)
          current = await takeBuffer()
          filled = 0
        }
      }
    }
    throwIfAPartFailed()
    if (partNumber === 0) {
      const whole = current.subarray(0, filled)
      await s3.send(new PutObjectCommand({ ...params, Body: whole, ChecksumCRC32: crc32Base64(whole) }))
      return { bytes, parts: 1 }
    }
    if (filled > 0) dispatch(current, filled)
    await Promise.all(inFlight)
    throwIfAPartFailed()
    completed.sort((a, b) => a.PartNumber! - b.PartNumber!)
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: params.Bucket,
        Key: params.Key,
        UploadId: await uploadId,
        MultipartUpload: { Parts: completed }
      })
    )
    return { bytes, parts: completed.length }
  } catch (error) {
    await Promise.allSettled(inFlight)
    const started = await uploadId?.catch(() => undefined)
    if (started) {
      // Parts left behind are billed until aborted.
      await s3
        .send(new AbortMultipartUploadCommand({ Bucket: params.Bucket, Key: params.Key, UploadId: started }))
        .catch(() => undefined)
    }
    throw error
  }
}

/**
 * The part's CRC32 as S3 wants it, computed here rather than by the SDK,
 * whose generic checksum path allocates on every part and lets memory climb.
 */
function crc32Base64(data: Buffer): string {
  const checksum = Buffer.alloc(4)
  checksum.writeUInt32BE(crc32(data))
  return checksum.toString('base64')
}
