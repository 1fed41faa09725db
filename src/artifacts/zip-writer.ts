import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { createDeflateRaw, crc32, deflateRawSync } from 'node:zlib'
import type { PartSink } from './multipart.js'
import { isInside } from './paths.js'
import { checkUnchanged, describeType, withRegularFile, type OpenedFile } from './source-file.js'

/** Already compressed: deflating these again costs time and saves nothing. */
const COMPRESSED = /\.(zip|jar|war|ear|gz|tgz|bz2|xz|zst|7z|png|jpe?g|gif|webp|mp4|woff2?)$/i
/** Files at least this large are sampled before they are deflated. */
const SAMPLE_BYTES = 256 * 1024
/** What a deflated file is read in; also the sample's size. */
const READ_BYTES = SAMPLE_BYTES
const DEFLATE_LEVEL = 6

/** One entry of a zip to write. */
export interface ZipEntry {
  /** Its name in the zip: relative, with / between folders; a directory's ends in /. */
  readonly name: string
  /** The file or directory it is read from, with links already followed. */
  readonly path: string
  readonly directory: boolean
}

/**
 * The entries of a zip of a directory's contents: relative to the directory,
 * in sorted order, empty directories kept. Symbolic links are followed only
 * where they stay inside the directory. Anything but regular files and
 * directories is refused, and so is a name a zip cannot carry unchanged.
 */
export function listDirectory(root: string): ZipEntry[] {
  const realRoot = realpathSync(root)
  const entries: ZipEntry[] = []
  collect(realRoot, realRoot, '', entries, new Set([realRoot]))
  return entries
}

/** The one entry of a zip with a single file at its root, under the file's own name. */
export function listSingleFile(path: string): ZipEntry[] {
  const name = basename(path)
  checkName(name, name, true)
  return [{ name, path: realpathSync(path), directory: false }]
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function collect(
  realRoot: string,
  directory: string,
  prefix: string,
  entries: ZipEntry[],
  visiting: Set<string>
): void {
  const names = readdirSync(directory, { encoding: 'buffer' })
    .map((raw) => decodeName(raw, prefix))
    .sort()
  if (names.length === 0 && prefix !== '') entries.push({ name: `${prefix}/`, path: directory, directory: true })
  for (const name of names) {
    const path = join(directory, name)
    const zipPath = prefix === '' ? name : `${prefix}/${name}`
    checkName(zipPath, name, prefix === '')
    let realPath = path
    if (lstatSync(path).isSymbolicLink()) {
      realPath = realpathSync(path)
      if (!isInside(realRoot, realPath)) {
        throw new Error(
          `${JSON.stringify(zipPath)} is a symbolic link to ${realPath}, outside the directory being zipped`
        )
      }
    }
    const stats = statSync(realPath)
    if (stats.isDirectory()) {
      if (visiting.has(realPath)) throw new Error(`${JSON.stringify(zipPath)} links back into itself`)
      visiting.add(realPath)
      collect(realRoot, realPath, zipPath, entries, visiting)
      visiting.delete(realPath)
    } else if (stats.isFile()) {
      entries.push({ name: zipPath, path: realPath, directory: false })
    } else {
      throw new Error(
        `${JSON.stringify(zipPath)} is ${describeType(stats)}; only regular files and directories go into an artifact`
      )
    }
  }
}

function decodeName(raw: Buffer, prefix: string): string {
  try {
    return utf8.decode(raw)
  } catch {
    const shown = prefix === '' ? raw.toString() : `${prefix}/${raw.toString()}`
    throw new Error(
      `the file name ${JSON.stringify(shown)} is not valid UTF-8, so a zip cannot hold it unchanged; rename it`
    )
  }
}

/**
 * Refuses a name that would unpack as something else. Zip readers take a
 * backslash for a folder separator, and a leading drive letter (C:) for an
 * absolute path, so such a file would land elsewhere or not at all.
 */
function checkName(zipPath: string, name: string, topLevel: boolean): void {
  if (name.includes('\\')) {
    throw new Error(
      `the file name ${JSON.stringify(zipPath)} has a backslash, which zip readers take for a folder separator, so it would unpack as a different tree; rename it`
    )
  }
  if (topLevel && /^[A-Za-z]:/.test(name)) {
    throw new Error(
      `the file name ${JSON.stringify(zipPath)} starts with a drive letter and a colon, which zip readers take for an absolute path; rename it`
    )
  }
}

// The zip format, as written here: each entry's local header, its data, then a
// data descriptor with its CRC-32 and sizes, which are known only once the
// data is written; at the end the central directory, which readers go by.
// ZIP64 fields are added where a size, an offset or the entry count needs them.
const LOCAL_HEADER = 0x04034b50
const DATA_DESCRIPTOR = 0x08074b50
const CENTRAL_HEADER = 0x02014b50
const ZIP64_END = 0x06064b50
const ZIP64_LOCATOR = 0x07064b50
const END = 0x06054b50
const FLAG_DATA_DESCRIPTOR = 1 << 3
const FLAG_UTF8 = 1 << 11
const STORED = 0
const DEFLATED = 8
/** Made on Unix (3), to version 6.3 of the specification, so that readers take the mode from the attributes. */
const VERSION_MADE_BY = (3 << 8) | 63
const VERSION_NEEDED = 20
const VERSION_NEEDED_ZIP64 = 45
const MAX_16 = 0xffff
const MAX_32 = 0xffffffff
const MSDOS_DIRECTORY = 0x10
const EXTENDED_TIMESTAMP = 0x5455
const ZIP64_EXTRA = 0x0001

/** What the central directory says about one written entry. */
interface WrittenEntry {
  readonly name: Buffer
  readonly method: number
  readonly flags: number
  readonly mtime: Date
  readonly crc: number
  readonly compressedSize: number
  readonly size: number
  readonly offset: number
  readonly attributes: number
  /** The local header has a ZIP64 field, so the data descriptor has 8-byte sizes. */
  readonly zip64Local: boolean
}

/**
 * Writes a zip of the entries into the sink. Regular files are read straight
 * into the sink's buffers when stored, or through one reused buffer when
 * deflated, so memory does not grow with the data. A file that changes while
 * it is read fails the zip.
 */
export async function writeZip(entries: readonly ZipEntry[], sink: PartSink): Promise<void> {
  const scratch = Buffer.allocUnsafe(READ_BYTES)
  const written: WrittenEntry[] = []
  for (const entry of entries) {
    written.push(entry.directory ? await writeDirectory(entry, sink) : await writeFile(entry, sink, scratch))
  }
  const start = sink.offset
  for (const entry of written) await sink.write(centralHeader(entry))
  await sink.write(endRecords(written.length, start, sink.offset - start))
}

async function writeDirectory(entry: ZipEntry, sink: PartSink): Promise<WrittenEntry> {
  const stats = statSync(entry.path)
  const written: WrittenEntry = {
    name: Buffer.from(entry.name),
    method: STORED,
    flags: FLAG_UTF8,
    mtime: stats.mtime,
    crc: 0,
    compressedSize: 0,
    size: 0,
    offset: sink.offset,
    attributes: (((stats.mode & MAX_16) << 16) | MSDOS_DIRECTORY) >>> 0,
    zip64Local: false
  }
  await sink.write(localHeader(written))
  return written
}

function writeFile(entry: ZipEntry, sink: PartSink, scratch: Buffer): Promise<WrittenEntry> {
  return withRegularFile(entry.path, entry.name, async (file) => {
    const { size } = file.stats
    const deflate = await worthDeflating(entry.name, file, scratch)
    const header = {
      name: Buffer.from(entry.name),
      method: deflate ? DEFLATED : STORED,
      flags: FLAG_UTF8 | FLAG_DATA_DESCRIPTOR,
      mtime: file.stats.mtime,
      offset: sink.offset,
      attributes: ((file.stats.mode & MAX_16) << 16) >>> 0,
      zip64Local: (deflate ? deflateBound(size) : size) >= MAX_32
    }
    await sink.write(localHeader({ ...header, crc: 0, compressedSize: 0, size: 0 }))
    const data = !deflate
      ? await storeInto(file, sink)
      : size <= scratch.length
        ? await deflateWholeInto(file, sink, scratch)
        : await deflateInto(file, sink, scratch)
    checkUnchanged(file, data.size)
    const written: WrittenEntry = { ...header, ...data }
    await sink.write(dataDescriptor(written))
    return written
  })
}

/**
 * Sends a file as it is, such as a ready-made zip, read straight into the
 * sink's buffers; `check` looks at the opened file before a byte is sent.
 */
export function writeFileAsIs(
  path: string,
  sink: PartSink,
  check: (file: OpenedFile) => Promise<void> = () => Promise.resolve()
): Promise<void> {
  return withRegularFile(realpathSync(path), basename(path), async (file) => {
    await check(file)
    const { size } = await storeInto(file, sink)
    checkUnchanged(file, size)
  })
}

interface EntryData {
  readonly crc: number
  readonly size: number
  readonly compressedSize: number
}

async function storeInto(file: OpenedFile, sink: PartSink): Promise<EntryData> {
  const { bytes, crc } = await sink.copyFrom(file.read, 0, file.stats.size)
  return { crc, size: bytes, compressedSize: bytes }
}

/** A small file is read and deflated in one go: a deflate stream costs more to set up than such a file to deflate. */
async function deflateWholeInto(file: OpenedFile, sink: PartSink, buffer: Buffer): Promise<EntryData> {
  let size = 0
  for (let read = -1; read !== 0 && size < file.stats.size; size += read) {
    read = await file.read(buffer, size, file.stats.size - size, size)
  }
  const data = buffer.subarray(0, size)
  const deflated = deflateRawSync(data, { level: DEFLATE_LEVEL })
  await sink.write(deflated)
  return { crc: crc32(data), size, compressedSize: deflated.length }
}

/**
 * Deflates a larger file into the sink in lockstep: one buffer read, deflated
 * and copied on before the next is read, so only one buffer's worth is in
 * flight, whatever the file's size.
 */
async function deflateInto(file: OpenedFile, sink: PartSink, input: Buffer): Promise<EntryData> {
  const deflater = createDeflateRaw({ level: DEFLATE_LEVEL })
  const output: Buffer[] = []
  let failed: Error | undefined
  deflater.on('data', (chunk: Buffer) => output.push(chunk))
  deflater.on('error', (error: Error) => (failed ??= error))
  const closed = new Promise<void>((resolve) => deflater.once('close', resolve))
  let crc = 0
  let size = 0
  let compressedSize = 0
  const passOn = async (): Promise<void> => {
    if (failed) throw failed
    for (let chunk = output.shift(); chunk; chunk = output.shift()) {
      compressedSize += chunk.length
      await sink.write(chunk)
    }
  }
  try {
    while (size < file.stats.size) {
      const read = await file.read(input, 0, Math.min(input.length, file.stats.size - size), size)
      if (read === 0) break
      const chunk = input.subarray(0, read)
      crc = crc32(chunk, crc)
      size += read
      // The input buffer is reused only once the deflater has taken all of it.
      await new Promise<void>((resolve, reject) =>
        deflater.write(chunk, (error) => (error ? reject(error) : resolve()))
      )
      await passOn()
    }
    deflater.end()
    await closed
    await passOn()
    return { crc, size, compressedSize }
  } finally {
    deflater.destroy()
  }
}

/**
 * Deflating data that does not shrink is the slowest part of a large upload,
 * so a large file is stored as it is when a sample of it barely compresses.
 */
async function worthDeflating(name: string, file: OpenedFile, sample: Buffer): Promise<boolean> {
  if (COMPRESSED.test(name)) return false
  if (file.stats.size < SAMPLE_BYTES) return true
  const read = await file.read(sample, 0, SAMPLE_BYTES, 0)
  return deflateRawSync(sample.subarray(0, read), { level: 1 }).length < read * 0.9
}

/** zlib's bound on deflated size, so that ZIP64 sizes are chosen before the data is written. */
function deflateBound(size: number): number {
  return size + Math.ceil(size / 4096) + Math.ceil(size / 16384) + 64
}

function localHeader(entry: WrittenEntry): Buffer {
  const name = entry.name
  const timestamp = extendedTimestamp(entry.mtime)
  const zip64 = entry.zip64Local ? zip64Extra([0, 0]) : Buffer.alloc(0)
  const header = Buffer.alloc(30)
  header.writeUInt32LE(LOCAL_HEADER, 0)
  // With ZIP64 the sizes are in its field; with a data descriptor they follow the data.
  writeSharedFields(header, 4, entry, entry.zip64Local, timestamp.length + zip64.length)
  return Buffer.concat([header, name, timestamp, zip64])
}

/**
 * The fields the local and the central header share, in the same order:
 * version needed, flags, method, time, date, CRC-32, both sizes (in the
 * ZIP64 field when `zip64`), and the lengths of the name and the extra field.
 */
function writeSharedFields(header: Buffer, at: number, entry: WrittenEntry, zip64: boolean, extraLength: number): void {
  const { time, date } = dosDateTime(entry.mtime)
  header.writeUInt16LE(zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED, at)
  header.writeUInt16LE(entry.flags, at + 2)
  header.writeUInt16LE(entry.method, at + 4)
  header.writeUInt16LE(time, at + 6)
  header.writeUInt16LE(date, at + 8)
  header.writeUInt32LE(entry.crc, at + 10)
  header.writeUInt32LE(zip64 ? MAX_32 : entry.compressedSize, at + 14)
  header.writeUInt32LE(zip64 ? MAX_32 : entry.size, at + 18)
  header.writeUInt16LE(entry.name.length, at + 22)
  header.writeUInt16LE(extraLength, at + 24)
}

function dataDescriptor(entry: WrittenEntry): Buffer {
  const wide = entry.zip64Local
  const descriptor = Buffer.alloc(wide ? 24 : 16)
  descriptor.writeUInt32LE(DATA_DESCRIPTOR, 0)
  descriptor.writeUInt32LE(entry.crc, 4)
  if (wide) {
    descriptor.writeBigUInt64LE(BigInt(entry.compressedSize), 8)
    descriptor.writeBigUInt64LE(BigInt(entry.size), 16)
  } else {
    descriptor.writeUInt32LE(entry.compressedSize, 8)
    descriptor.writeUInt32LE(entry.size, 12)
  }
  return descriptor
}

function centralHeader(entry: WrittenEntry): Buffer {
  const zip64 = entry.zip64Local || entry.size >= MAX_32 || entry.compressedSize >= MAX_32 || entry.offset >= MAX_32
  const timestamp = extendedTimestamp(entry.mtime)
  const extra = zip64 ? zip64Extra([entry.size, entry.compressedSize, entry.offset]) : Buffer.alloc(0)
  const header = Buffer.alloc(46)
  header.writeUInt32LE(CENTRAL_HEADER, 0)
  header.writeUInt16LE(VERSION_MADE_BY, 4)
  writeSharedFields(header, 6, entry, zip64, timestamp.length + extra.length)
  // File comment length, disk number and internal attributes stay 0.
  header.writeUInt32LE(entry.attributes, 38)
  header.writeUInt32LE(zip64 ? MAX_32 : entry.offset, 42)
  return Buffer.concat([header, entry.name, timestamp, extra])
}

/** The end of central directory record, preceded by its ZIP64 form when a count, size or offset needs it. */
function endRecords(count: number, start: number, size: number): Buffer {
  const end = Buffer.alloc(22)
  end.writeUInt32LE(END, 0)
  end.writeUInt16LE(Math.min(count, MAX_16), 8)
  end.writeUInt16LE(Math.min(count, MAX_16), 10)
  end.writeUInt32LE(Math.min(size, MAX_32), 12)
  end.writeUInt32LE(Math.min(start, MAX_32), 16)
  if (count < MAX_16 && size < MAX_32 && start < MAX_32) return end

  const zip64End = Buffer.alloc(56)
  zip64End.writeUInt32LE(ZIP64_END, 0)
  zip64End.writeBigUInt64LE(BigInt(56 - 12), 4)
  zip64End.writeUInt16LE(VERSION_MADE_BY, 12)
  zip64End.writeUInt16LE(VERSION_NEEDED_ZIP64, 14)
  zip64End.writeBigUInt64LE(BigInt(count), 24)
  zip64End.writeBigUInt64LE(BigInt(count), 32)
  zip64End.writeBigUInt64LE(BigInt(size), 40)
  zip64End.writeBigUInt64LE(BigInt(start), 48)
  const locator = Buffer.alloc(20)
  locator.writeUInt32LE(ZIP64_LOCATOR, 0)
  locator.writeBigUInt64LE(BigInt(start + size), 8)
  locator.writeUInt32LE(1, 16)
  return Buffer.concat([zip64End, locator, end])
}

function zip64Extra(values: readonly number[]): Buffer {
  const extra = Buffer.alloc(4 + 8 * values.length)
  extra.writeUInt16LE(ZIP64_EXTRA, 0)
  extra.writeUInt16LE(8 * values.length, 2)
  values.forEach((value, index) => extra.writeBigUInt64LE(BigInt(value), 4 + 8 * index))
  return extra
}

/** The modification time in UTC to the second, which unzip restores; the DOS time alone is local and coarse. */
function extendedTimestamp(mtime: Date): Buffer {
  const field = Buffer.alloc(9)
  field.writeUInt16LE(EXTENDED_TIMESTAMP, 0)
  field.writeUInt16LE(5, 2)
  field.writeUInt8(1, 4)
  field.writeInt32LE(Math.max(-0x80000000, Math.min(0x7fffffff, Math.floor(mtime.getTime() / 1000))), 5)
  return field
}

const FIRST_DOS_DATE = new Date(1980, 0, 1)
const LAST_DOS_DATE = new Date(2107, 11, 31, 23, 59, 58)

/** MS-DOS date and time, in local time as the format has it, to two seconds. */
function dosDateTime(mtime: Date): { time: number; date: number } {
  const when = mtime < FIRST_DOS_DATE ? FIRST_DOS_DATE : mtime > LAST_DOS_DATE ? LAST_DOS_DATE : mtime
  return {
    time: (when.getHours() << 11) | (when.getMinutes() << 5) | Math.floor(when.getSeconds() / 2),
    date: ((when.getFullYear() - 1980) << 9) | ((when.getMonth() + 1) << 5) | when.getDate()
  }
}
