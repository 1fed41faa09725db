import { crc32 } from 'node:zlib'
import type { S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { uploadStream } from '../../src/artifacts/multipart.js'

/** Records each S3 command by name and input, answering as S3 would. */
function fakeS3(failOnPart?: number) {
  const calls: { name: string; input: Record<string, unknown> }[] = []
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '')
      // Keep the part's bytes as sent: the buffer is reused for later parts.
      const input = command.input.Body
        ? { ...command.input, Body: Buffer.from(command.input.Body as Buffer) }
        : command.input
      calls.push({ name, input })
      await new Promise((resolve) => setTimeout(resolve, 1))
      if (name === 'CreateMultipartUpload') return { UploadId: 'up-1' }
      if (name === 'UploadPart') {
        if (input.PartNumber === failOnPart) throw new Error('connection reset')
        return { ETag: `"etag-${String(input.PartNumber)}"` }
      }
      return {}
    }
  }
  return { client: client as unknown as S3Client, calls }
}

/** `total` bytes in chunks of `size`, each arriving on a later turn of the event loop, as from a file. */
async function* chunks(total: number, size: number): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < total; sent += size) {
    await new Promise((resolve) => setImmediate(resolve))
    yield Buffer.alloc(Math.min(size, total - sent), sent % 251)
  }
}

const params = { Bucket: 'b', Key: 'k', ServerSideEncryption: 'aws:kms' as const }

describe('uploadStream', () => {
  it('sends a stream shorter than a part with one PutObject, with its CRC32', async () => {
    const s3 = fakeS3()
    expect(await uploadStream(s3.client, params, chunks(10, 3), { partSize: 16, concurrency: 2 })).toEqual({
      bytes: 10,
      parts: 1
    })
    expect(s3.calls.map((call) => call.name)).toEqual(['PutObject'])
    const body = s3.calls[0]?.input.Body as Buffer
    expect(body).toHaveLength(10)
    const expected = Buffer.alloc(4)
    expected.writeUInt32BE(crc32(body))
    expect(s3.calls[0]?.input).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      ChecksumCRC32: expected.toString('base64')
    })
  })

  it('splits a longer stream into parts of the part size, in order, whatever the chunk sizes', async () => {
    const s3 = fakeS3()
    expect(await uploadStream(s3.client, params, chunks(50, 7), { partSize: 16, concurrency: 2 })).toEqual({
      bytes: 50,
      parts: 4
    })
    const names = s3.calls.map((call) => call.name)
    expect(names[0]).toBe('CreateMultipartUpload')
    expect(names.at(-1)).toBe('CompleteMultipartUpload')
    const parts = s3.calls.filter((call) => call.name === 'UploadPart')
    expect(parts.map((call) => (call.input.Body as Buffer).length)).toEqual([16, 16, 16, 2])
    expect(s3.calls[0]?.input).toMatchObject({ ServerSideEncryption: 'aws:kms', ChecksumAlgorithm: 'CRC32' })
    expect(parts.every((call) => call.input.ServerSideEncryption === undefined)).toBe(true)
    expect(
      (s3.calls.at(-1)!.input.MultipartUpload as { Parts: { PartNumber: number }[] }).Parts.map(
        (part) => part.PartNumber
      )
    ).toEqual([1, 2, 3, 4])
  })

  it('aborts the upload when a part fails', async () => {
    const s3 = fakeS3(2)
    await expect(uploadStream(s3.client, params, chunks(64, 16), { partSize: 16, concurrency: 1 })).rejects.toThrow(
      'connection reset'
    )
    expect(s3.calls.at(-1)).toMatchObject({ name: 'AbortMultipartUpload', input: { UploadId: 'up-1' } })
    expect(s3.calls.some((call) => call.name === 'CompleteMultipartUpload')).toBe(false)
  })
})
