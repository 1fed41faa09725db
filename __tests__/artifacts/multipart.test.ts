import { crc32 } from 'node:zlib'
import type { S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it, vi } from 'vitest'
import { uploadObject, type ObjectWriter } from '../../src/artifacts/multipart.js'

/** What a stopped upload may spend aborting itself, as the reporting step allows it. */
const CLEANUP_MS = 5_000

interface Call {
  name: string
  input: Record<string, unknown>
  /** Whether the request was cancelled before S3 answered. */
  cancelled?: boolean
}

interface FakeOptions {
  /** The part number whose upload fails. */
  failOnPart?: number
  /** Fails CreateMultipartUpload. */
  failCreate?: boolean
  /** How long requests take, in ms, by command name; 1 ms when not given. */
  delays?: Partial<Record<string, number>>
}

/** Records each S3 command by name and input, answering as S3 would, and honours a request's abort signal. */
function fakeS3(options: FakeOptions = {}) {
  const calls: Call[] = []
  const client = {
    send: async (
      command: { constructor: { name: string }; input: Record<string, unknown> },
      sendOptions?: { abortSignal?: AbortSignal }
    ) => {
      const name = command.constructor.name.replace(/Command$/, '')
      // Keep the part's bytes as sent: the buffer is reused for later parts.
      const input = command.input.Body
        ? { ...command.input, Body: Buffer.from(command.input.Body as Buffer) }
        : command.input
      const call: Call = { name, input }
      calls.push(call)
      const delay = options.delays?.[name] ?? 1
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, delay)
        sendOptions?.abortSignal?.addEventListener('abort', () => {
          clearTimeout(timer)
          call.cancelled = true
          reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }))
        })
      })
      if (name === 'CreateMultipartUpload') {
        if (options.failCreate) throw new Error('AccessDenied')
        return { UploadId: 'up-1' }
      }
      if (name === 'UploadPart') {
        if (input.PartNumber === options.failOnPart) throw new Error('connection reset')
        return { ETag: `"etag-${String(input.PartNumber)}"` }
      }
      return {}
    }
  }
  return { client: client as unknown as S3Client, calls }
}

/**
 * A writer that writes `total` bytes in chunks of `size`, each on a later turn
 * of the event loop, as from a file, then fails with `error` if given.
 */
function chunks(total: number, size: number, error?: Error): ObjectWriter {
  return async (sink) => {
    for (let sent = 0; sent < total; sent += size) {
      await new Promise((resolve) => setImmediate(resolve))
      await sink.write(Buffer.alloc(Math.min(size, total - sent), sent % 251))
    }
    if (error) throw error
  }
}

const params = { Bucket: 'b', Key: 'k', ServerSideEncryption: 'aws:kms' as const }
const names = (calls: Call[]): string[] => calls.map((call) => call.name)

describe('uploadObject', () => {
  it('sends an object shorter than a part with one PutObject, with its CRC32', async () => {
    const s3 = fakeS3()
    expect(await uploadObject(s3.client, params, chunks(10, 3), { partSize: 16, concurrency: 2 })).toEqual({
      bytes: 10,
      parts: 1
    })
    expect(names(s3.calls)).toEqual(['PutObject'])
    const body = s3.calls[0]?.input.Body as Buffer
    expect(body).toHaveLength(10)
    const expected = Buffer.alloc(4)
    expected.writeUInt32BE(crc32(body))
    expect(s3.calls[0]?.input).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      ChecksumCRC32: expected.toString('base64')
    })
  })

  it('splits a longer object into parts of the part size, in order, whatever the chunk sizes', async () => {
    const s3 = fakeS3()
    expect(await uploadObject(s3.client, params, chunks(50, 7), { partSize: 16, concurrency: 2 })).toEqual({
      bytes: 50,
      parts: 4
    })
    expect(names(s3.calls)[0]).toBe('CreateMultipartUpload')
    expect(names(s3.calls).at(-1)).toBe('CompleteMultipartUpload')
    const parts = s3.calls.filter((call) => call.name === 'UploadPart')
    expect(parts.map((call) => (call.input.Body as Buffer).length)).toEqual([16, 16, 16, 2])
    expect(s3.calls[0]?.input).toMatchObject({ ServerSideEncryption: 'aws:kms', ChecksumAlgorithm: 'CRC32' })
    expect(parts.every((call) => call.input.ServerSideEncryption === undefined)).toBe(true)
    expect(
      (s3.calls.at(-1)?.input.MultipartUpload as { Parts: { PartNumber: number }[] }).Parts.map(
        (part) => part.PartNumber
      )
    ).toEqual([1, 2, 3, 4])
  })

  it('reads a file straight into the part buffers, across part boundaries, with its CRC32', async () => {
    const s3 = fakeS3()
    const source = Buffer.from(Array.from({ length: 40 }, (_, index) => index))
    let result: { bytes: number; crc: number } | undefined
    await uploadObject(
      s3.client,
      params,
      async (sink) => {
        await sink.write(Buffer.from('head'))
        // Asks for more than there is: the copy stops at the end of the source.
        result = await sink.copyFrom(
          (buffer, offset, length, position) => {
            const end = Math.min(source.length, position + Math.min(length, 5))
            source.copy(buffer, offset, position, end)
            return Promise.resolve(Math.max(0, end - position))
          },
          2,
          100
        )
      },
      { partSize: 16, concurrency: 2 }
    )
    expect(result).toEqual({ bytes: 38, crc: crc32(source.subarray(2)) })
    const sent = Buffer.concat(
      s3.calls.filter((call) => call.name === 'UploadPart').map((call) => call.input.Body as Buffer)
    )
    expect(sent).toEqual(Buffer.concat([Buffer.from('head'), source.subarray(2)]))
  })

  it('aborts the upload when a part fails, and cancels the parts still in flight', async () => {
    const s3 = fakeS3({ failOnPart: 2, delays: { UploadPart: 20 } })
    await expect(uploadObject(s3.client, params, chunks(80, 16), { partSize: 16, concurrency: 3 })).rejects.toThrow(
      'connection reset'
    )
    expect(s3.calls.at(-1)).toMatchObject({ name: 'AbortMultipartUpload', input: { UploadId: 'up-1' } })
    expect(names(s3.calls)).not.toContain('CompleteMultipartUpload')
  })

  it('aborts the upload when the writer fails after parts went out', async () => {
    const s3 = fakeS3()
    await expect(
      uploadObject(s3.client, params, chunks(40, 8, new Error('file changed')), { partSize: 16, concurrency: 2 })
    ).rejects.toThrow('file changed')
    expect(names(s3.calls)).toContain('UploadPart')
    expect(s3.calls.at(-1)).toMatchObject({ name: 'AbortMultipartUpload', input: { UploadId: 'up-1' } })
  })

  it('waits for a slow CreateMultipartUpload to answer, then aborts, when the writer fails meanwhile', async () => {
    const s3 = fakeS3({ delays: { CreateMultipartUpload: 50 } })
    await expect(
      uploadObject(s3.client, params, chunks(20, 20, new Error('file changed')), { partSize: 16, concurrency: 2 })
    ).rejects.toThrow('file changed')
    expect(names(s3.calls)).toEqual(['CreateMultipartUpload', 'AbortMultipartUpload'])
  })

  it('sends no part and has nothing to abort when CreateMultipartUpload fails', async () => {
    const s3 = fakeS3({ failCreate: true })
    await expect(uploadObject(s3.client, params, chunks(64, 16), { partSize: 16, concurrency: 2 })).rejects.toThrow(
      'AccessDenied'
    )
    expect(names(s3.calls)).toEqual(['CreateMultipartUpload'])
  })

  it('sends nothing when the writer fails before the first part is full', async () => {
    const s3 = fakeS3()
    await expect(
      uploadObject(s3.client, params, chunks(4, 4, new Error('not a zip')), { partSize: 16, concurrency: 2 })
    ).rejects.toThrow('not a zip')
    expect(s3.calls).toEqual([])
  })

  it('stops when told to: cancels the parts in flight and aborts the upload', async () => {
    const s3 = fakeS3({ delays: { UploadPart: 10_000 } })
    let written = 0
    const endless: ObjectWriter = async (sink) => {
      for (;;) {
        await sink.write(Buffer.alloc(8))
        written += 8
      }
    }
    const stop = new AbortController()
    const upload = uploadObject(s3.client, { ...params }, endless, {
      partSize: 16,
      concurrency: 2,
      stop: { signal: stop.signal, cleanupMs: CLEANUP_MS }
    })
    const settled = upload.catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 50))
    stop.abort()
    const error = await settled
    expect(String(error)).toMatch(/the upload was stopped before it finished, as the step was told to stop/)
    expect(written).toBeGreaterThan(0)
    const parts = s3.calls.filter((call) => call.name === 'UploadPart')
    expect(parts.length).toBeGreaterThan(0)
    expect(parts.every((call) => call.cancelled)).toBe(true)
    expect(s3.calls.at(-1)).toMatchObject({ name: 'AbortMultipartUpload', input: { UploadId: 'up-1' } })
    expect(s3.calls.at(-1)?.cancelled).toBeUndefined()
  })

  it('starts nothing once the step has been told to stop', async () => {
    const s3 = fakeS3()
    let asked = false
    const writer: ObjectWriter = async (sink) => {
      asked = true
      await sink.write(Buffer.alloc(64))
    }
    const stopped = AbortSignal.abort()
    await expect(
      uploadObject(s3.client, params, writer, {
        partSize: 16,
        concurrency: 2,
        stop: { signal: stopped, cleanupMs: CLEANUP_MS }
      })
    ).rejects.toThrow(/the upload was stopped before it finished/)
    expect(asked).toBe(false)
    expect(s3.calls).toEqual([])
  })

  it('gives up on aborting after a few seconds once stopped, so a cancelled step can still report', async () => {
    vi.useFakeTimers()
    try {
      const s3 = fakeS3({ delays: { UploadPart: 60_000, AbortMultipartUpload: 60_000 } })
      const endless: ObjectWriter = async (sink) => {
        for (;;) await sink.write(Buffer.alloc(8))
      }
      const stop = new AbortController()
      let cleanedUp = false
      const upload = uploadObject(s3.client, params, endless, {
        partSize: 16,
        concurrency: 2,
        stop: { signal: stop.signal, cleanupMs: CLEANUP_MS }
      }).catch((error: unknown) => {
        cleanedUp = true
        return error
      })
      await vi.advanceTimersByTimeAsync(10)
      stop.abort()
      await vi.advanceTimersByTimeAsync(CLEANUP_MS - 100)
      expect(cleanedUp).toBe(false)
      expect(s3.calls.at(-1)?.name).toBe('AbortMultipartUpload')
      await vi.advanceTimersByTimeAsync(200)
      expect(cleanedUp).toBe(true)
      expect(s3.calls.at(-1)?.cancelled).toBe(true)
      expect(String(await upload)).toMatch(/the upload was stopped/)
    } finally {
      vi.useRealTimers()
    }
  })
})
