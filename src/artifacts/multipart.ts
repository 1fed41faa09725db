import { crc32 } from 'node:zlib'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type PutObjectCommandInput,
  type S3Client
} from '@aws-sdk/client-s3'
import type { ReadAt } from './source-file.js'

/** What the object is stored with: everything PutObject takes but the body. */
export type ObjectParams = Pick<
  PutObjectCommandInput,
  'Bucket' | 'Key' | 'ContentType' | 'ServerSideEncryption' | 'SSEKMSKeyId'
>

/** A part as the store took it. */
export interface SentPart {
  readonly partNumber: number
  readonly etag?: string
  /** The part's CRC32 in base64, which the store checked the part against. */
  readonly checksumCRC32?: string
}

/**
 * Where one object's upload goes: S3 itself, with the job's credentials, or
 * URLs the bridge signs. A request given a signal is cancelled with it.
 */
export interface UploadTarget {
  /** Starts a multipart upload, and gives its ID. */
  createUpload(): Promise<string>
  putPart(
    uploadId: string,
    partNumber: number,
    body: Buffer,
    checksumCRC32: string,
    signal: AbortSignal
  ): Promise<SentPart>
  completeUpload(uploadId: string, parts: readonly SentPart[], signal: AbortSignal): Promise<void>
  abortUpload(uploadId: string, signal: AbortSignal): Promise<void>
  /** Sends an object shorter than one part in one request; without it, such an object goes up as a single part. */
  putObject?(body: Buffer, checksumCRC32: string, signal: AbortSignal): Promise<void>
}

/** An upload target on S3 itself: the object is stored with `params`. */
export function s3UploadTarget(s3: S3Client, params: ObjectParams): UploadTarget {
  const object = { Bucket: params.Bucket, Key: params.Key }
  return {
    async createUpload() {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ ...params, ChecksumAlgorithm: 'CRC32' }))
      if (!UploadId) throw new Error('S3 gave no upload ID for the multipart upload')
      return UploadId
    },
    async putPart(uploadId, partNumber, body, checksumCRC32, signal) {
      const { ETag, ChecksumCRC32 } = await s3.send(
        new UploadPartCommand({
          ...object,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ChecksumCRC32: checksumCRC32
        }),
        { abortSignal: signal }
      )
      return { partNumber, etag: ETag, checksumCRC32: ChecksumCRC32 }
    },
    async completeUpload(uploadId, parts, signal) {
      await s3.send(
        new CompleteMultipartUploadCommand({
          ...object,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: parts.map((part) => ({
              PartNumber: part.partNumber,
              ETag: part.etag,
              ChecksumCRC32: part.checksumCRC32
            }))
          }
        }),
        { abortSignal: signal }
      )
    },
    async abortUpload(uploadId, signal) {
      await s3.send(new AbortMultipartUploadCommand({ ...object, UploadId: uploadId }), { abortSignal: signal })
    },
    async putObject(body, checksumCRC32, signal) {
      await s3.send(new PutObjectCommand({ ...params, Body: body, ChecksumCRC32: checksumCRC32 }), {
        abortSignal: signal
      })
    }
  }
}

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
  return uploadTo(s3UploadTarget(s3, params), write, options)
}

/** Uploads an object as `uploadObject` does, to any upload target. */
export async function uploadTo(
  target: UploadTarget,
  write: ObjectWriter,
  options: PartOptions
): Promise<{ bytes: number; parts: number }> {
  const { stop } = options
  if (stop?.signal.aborted) throw new UploadStopped()
  const upload = new PartUpload(target, options)
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
  private uploadId: Promise<string> | undefined
  private readonly completed: SentPart[] = []
  private readonly inFlight = new Set<Promise<void>>()
  /** The first thing that went wrong; everything after it is a consequence. */
  private failure: { error: unknown } | undefined
  /** Cancels the requests in flight once the upload has failed or been stopped. */
  private readonly cancel = new AbortController()
  /** Ends the cleanup a few seconds after a stop: a cancelled step is given only a few. */
  private readonly cleanupDeadline = new AbortController()

  constructor(
    private readonly target: UploadTarget,
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
      if (this.partNumber === 0 && this.target.putObject) {
        const whole = this.current.subarray(0, this.filled)
        await this.target.putObject(whole, crc32Base64(whole), this.cancel.signal)
        return { bytes: this.offset, parts: 1 }
      }
      // A target without a single request takes even an object shorter than a part as one part.
      if (this.filled > 0 || this.partNumber === 0) this.dispatch(this.current, this.filled)
      await Promise.all(this.inFlight)
      this.throwIfFailed()
      this.completed.sort((a, b) => a.partNumber - b.partNumber)
      const uploadId = await this.uploadId
      if (uploadId === undefined) throw new Error('the multipart upload never started')
      await this.target.completeUpload(uploadId, this.completed, this.cancel.signal)
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
    this.uploadId ??= this.target.createUpload()
    const uploadId = await this.uploadId
    this.throwIfFailed()
    this.completed.push(await this.target.putPart(uploadId, number, part, crc32Base64(part), this.cancel.signal))
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
    await this.target.abortUpload(uploadId, deadline).catch(() => undefined)
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
