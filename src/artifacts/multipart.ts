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
import type { ReadAt } from './source-file.js'

/** What the object is stored with: everything PutObject takes but the body. */
export type ObjectParams = Pick<
  PutObjectCommandInput,
  'Bucket' | 'Key' | 'ContentType' | 'ServerSideEncryption' | 'SSEKMSKeyId'
>

export interface PartOptions {
  /** Bytes per part; S3 wants at least 5 MiB for every part but the last. */
  readonly partSize: number
  /** Parts sent at once; also the number of part buffers. */
  readonly concurrency: number
  /** When and how the upload is cut short; without it, only a failure ends it early. */
  readonly stop?: UploadStop
}

/** A stop from outside: once `signal` aborts, the upload sends nothing more and aborts itself within `cleanupMs`. */
export interface UploadStop {
  readonly signal: AbortSignal
  /** What aborting the multipart upload may take, after which it is left to the bucket's lifecycle rules. */
  readonly cleanupMs: number
}

/**
 * Where an object's bytes are written while it uploads. Everything lands in
 * the part buffers, so writing costs no memory of its own.
 */
export interface PartSink {
  /** Bytes written so far, which is the offset of the next one in the object. */
  readonly offset: number
  /** Appends a copy of `bytes`. */
  write(bytes: Uint8Array): Promise<void>
  /**
   * Appends up to `length` bytes of a source from `position`, read straight
   * into the part buffers. Stops early only at the end of the source; says how
   * many bytes it copied and their CRC-32.
   */
  copyFrom(read: ReadAt, position: number, length: number): Promise<{ bytes: number; crc: number }>
}

/** Writes an object's bytes into a sink, and settles once the last is written. */
export type ObjectWriter = (sink: PartSink) => Promise<void>

/**
 * Uploads an object of unknown length to S3 with memory that stays flat: the
 * writer fills a fixed set of part buffers, allocated once and reused, so a
 * large artifact costs no more memory than a small one. An object shorter
 * than one part goes up with a single PutObject.
 *
 * A multipart upload that does not complete is aborted, whatever stopped it:
 * a failed part, a failed writer, a failed CreateMultipartUpload, or the
 * stop signal. Once that signal is aborted, no upload starts.
 */
export async function uploadObject(
  s3: S3Client,
  params: ObjectParams,
  write: ObjectWriter,
  options: PartOptions
): Promise<{ bytes: number; parts: number }> {
  const { stop } = options
  if (stop?.signal.aborted) throw new UploadStopped()
  const upload = new PartUpload(s3, params, options)
  const cutShort = (): void => upload.stop(stop?.cleanupMs ?? 0)
  stop?.signal.addEventListener('abort', cutShort, { once: true })
  try {
    return await upload.run(write)
  } finally {
    stop?.signal.removeEventListener('abort', cutShort)
  }
}

class UploadStopped extends Error {
  constructor() {
    super('the upload was stopped before it finished, as the step was told to stop')
    this.name = 'UploadStopped'
  }
}

class PartUpload implements PartSink {
  offset = 0
  private readonly free: Buffer[]
  private readonly waiting: ((buffer: Buffer) => void)[] = []
  private current: Buffer
  private filled = 0
  private partNumber = 0
  private uploadId: Promise<string | undefined> | undefined
  private readonly completed: CompletedPart[] = []
  private readonly inFlight = new Set<Promise<void>>()
  /** The first thing that went wrong; everything after it is a consequence. */
  private failure: { error: unknown } | undefined
  /** Cancels the requests in flight once the upload has failed or been stopped. */
  private readonly cancel = new AbortController()
  /** Ends the cleanup a few seconds after a stop: a cancelled step is given only a few. */
  private readonly cleanupDeadline = new AbortController()

  constructor(
    private readonly s3: S3Client,
    private readonly params: ObjectParams,
    private readonly options: PartOptions
  ) {
    this.free = Array.from({ length: options.concurrency }, () => Buffer.allocUnsafe(options.partSize))
    this.current = this.free.pop()!
  }

  /** Cuts the upload short: the requests in flight are cancelled, and the cleanup gets `cleanupMs`. */
  stop(cleanupMs: number): void {
    this.fail(new UploadStopped())
    setTimeout(() => this.cleanupDeadline.abort(), cleanupMs).unref()
  }

  async write(bytes: Uint8Array): Promise<void> {
    let at = 0
    while (at < bytes.length) {
      this.throwIfFailed()
      const copied = Math.min(bytes.length - at, this.options.partSize - this.filled)
      this.current.set(bytes.subarray(at, at + copied), this.filled)
      at += copied
      await this.advance(copied)
    }
  }

  async copyFrom(read: ReadAt, position: number, length: number): Promise<{ bytes: number; crc: number }> {
    let crc = 0
    let bytes = 0
    while (bytes < length) {
      this.throwIfFailed()
      const wanted = Math.min(length - bytes, this.options.partSize - this.filled)
      const bytesRead = await read(this.current, this.filled, wanted, position + bytes)
      if (bytesRead === 0) break
      crc = crc32(this.current.subarray(this.filled, this.filled + bytesRead), crc)
      bytes += bytesRead
      await this.advance(bytesRead)
    }
    return { bytes, crc }
  }

  async run(write: ObjectWriter): Promise<{ bytes: number; parts: number }> {
    try {
      await write(this)
      this.throwIfFailed()
      if (this.partNumber === 0) {
        const whole = this.current.subarray(0, this.filled)
        await this.s3.send(
          new PutObjectCommand({ ...this.params, Body: whole, ChecksumCRC32: crc32Base64(whole) }),
          this.requestOptions
        )
        return { bytes: this.offset, parts: 1 }
      }
      if (this.filled > 0) this.dispatch(this.current, this.filled)
      await Promise.all(this.inFlight)
      this.throwIfFailed()
      this.completed.sort((a, b) => a.PartNumber! - b.PartNumber!)
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.params.Bucket,
          Key: this.params.Key,
          UploadId: await this.uploadId,
          MultipartUpload: { Parts: this.completed }
        }),
        this.requestOptions
      )
      return { bytes: this.offset, parts: this.completed.length }
    } catch (error) {
      this.fail(error)
      // Parts may wait on a CreateMultipartUpload that is never cancelled; a stop waits for them only so long.
      await untilAborted(Promise.allSettled(this.inFlight), this.cleanupDeadline.signal)
      await this.abortMultipartUpload()
      throw this.failure!.error
    }
  }

  /** Counts bytes just put into the current buffer, and sends it once it is full. */
  private async advance(bytes: number): Promise<void> {
    this.filled += bytes
    this.offset += bytes
    if (this.filled < this.options.partSize) return
    this.dispatch(this.current, this.filled)
    this.current = await this.takeBuffer()
    this.filled = 0
  }

  private takeBuffer(): Promise<Buffer> {
    const buffer = this.free.pop()
    return buffer ? Promise.resolve(buffer) : new Promise((resolve) => this.waiting.push(resolve))
  }

  private giveBack(buffer: Buffer): void {
    const next = this.waiting.shift()
    if (next) next(buffer)
    else this.free.push(buffer)
  }

  private dispatch(buffer: Buffer, length: number): void {
    const sending = this.sendPart(buffer.subarray(0, length))
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.inFlight.delete(sending)
        this.giveBack(buffer)
      })
    this.inFlight.add(sending)
  }

  private async sendPart(part: Buffer): Promise<void> {
    const number = ++this.partNumber
    // Created once, by the first part, and never cancelled: its ID is what an abort needs.
    this.uploadId ??= this.s3
      .send(new CreateMultipartUploadCommand({ ...this.params, ChecksumAlgorithm: 'CRC32' }))
      .then((created) => created.UploadId)
    const uploadId = await this.uploadId
    this.throwIfFailed()
    const { ETag, ChecksumCRC32 } = await this.s3.send(
      new UploadPartCommand({
        Bucket: this.params.Bucket,
        Key: this.params.Key,
        UploadId: uploadId,
        PartNumber: number,
        Body: part,
        ChecksumCRC32: crc32Base64(part)
      }),
      this.requestOptions
    )
    this.completed.push({ PartNumber: number, ETag, ChecksumCRC32 })
  }

  /** Requests made with these are cancelled when the upload fails or is stopped. */
  private get requestOptions(): { abortSignal: AbortSignal } {
    return { abortSignal: this.cancel.signal }
  }

  private fail(error: unknown): void {
    if (this.failure) return
    this.failure = { error }
    this.cancel.abort()
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error
  }

  /**
   * Parts left behind are billed until aborted, so an upload that did not
   * complete is aborted, once CreateMultipartUpload has given its ID.
   */
  private async abortMultipartUpload(): Promise<void> {
    if (!this.uploadId) return
    const deadline = this.cleanupDeadline.signal
    const uploadId = await untilAborted(
      this.uploadId.catch(() => undefined),
      deadline
    )
    if (!uploadId) return
    await this.s3
      .send(new AbortMultipartUploadCommand({ Bucket: this.params.Bucket, Key: this.params.Key, UploadId: uploadId }), {
        abortSignal: deadline
      })
      .catch(() => undefined)
  }
}

/** The promise's value, or undefined if the signal aborts first. */
function untilAborted<T>(promise: Promise<T | undefined>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(undefined)
    signal.addEventListener('abort', onAbort, { once: true })
    void promise.then((value) => {
      signal.removeEventListener('abort', onAbort)
      resolve(value)
    })
  })
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
