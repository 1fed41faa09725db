import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import type { ObjectWriter, PartSink } from '../../src/artifacts/multipart.js'
import type { ReadAt } from '../../src/artifacts/source-file.js'

const CHUNK = 8 * 1024 * 1024
const zeros = Buffer.alloc(CHUNK)

/**
 * Runs an object writer into a file instead of S3. Runs of zeros are skipped
 * rather than written, so that a sparse file zipped stays sparse on disk and a
 * ZIP64-sized archive costs almost no space.
 */
export async function writeToFile(file: string, write: ObjectWriter): Promise<number> {
  const fd = openSync(file, 'w')
  const buffer = Buffer.allocUnsafe(CHUNK)
  // Small writes, such as headers, are gathered here and written together.
  let pending = 0
  let written = 0
  const flush = (): void => {
    writeSync(fd, buffer, 0, pending, written)
    written += pending
    pending = 0
  }
  const sink: PartSink & { offset: number } = {
    offset: 0,
    write(bytes) {
      if (pending + bytes.length > CHUNK) flush()
      if (bytes.length > CHUNK) {
        writeSync(fd, bytes, 0, bytes.length, written)
        written += bytes.length
      } else {
        buffer.set(bytes, pending)
        pending += bytes.length
      }
      sink.offset += bytes.length
      return Promise.resolve()
    },
    async copyFrom(read: ReadAt, position: number, length: number) {
      flush()
      let crc = 0
      let bytes = 0
      while (bytes < length) {
        const bytesRead = await read(buffer, 0, Math.min(CHUNK, length - bytes), position + bytes)
        if (bytesRead === 0) break
        const chunk = buffer.subarray(0, bytesRead)
        crc = crc32(chunk, crc)
        if (!chunk.equals(zeros.subarray(0, bytesRead))) writeSync(fd, chunk, 0, bytesRead, written)
        written += bytesRead
        bytes += bytesRead
      }
      sink.offset += bytes
      return { bytes, crc }
    }
  }
  try {
    await write(sink)
    flush()
    ftruncateSync(fd, sink.offset)
    return sink.offset
  } finally {
    closeSync(fd)
  }
}
