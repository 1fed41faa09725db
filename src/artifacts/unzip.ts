import { constants } from 'node:fs'
import { lstat, mkdir, open, readdir, readlink, realpath, rm, statfs, symlink } from 'node:fs/promises'
import { dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { openPromise, type Entry, type LocalFileHeader, type ZipFile } from 'yauzl'
import { isInside } from './paths.js'

const S_IFMT = 0o170000
const S_IFLNK = 0o120000
const S_IFDIR = 0o040000
/** A link target is a path, not data: anything longer is not one. */
const MAX_LINK_TARGET = 4096
/** As many links as Linux follows in one path before it gives up with ELOOP. */
const MAX_LINK_HOPS = 40
/** Beyond these an archive is a bomb, not an artifact, whatever the disk. */
const MAX_ENTRIES = 500_000
const MAX_UNCOMPRESSED_BYTES = 20 * 1024 ** 3
/** A file is created only where nothing is: never over another entry, never through a link. */
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0)

interface PlannedEntry {
  readonly entry: Entry
  /** The path below the destination, as the archive names it. */
  readonly relativePath: string
  readonly kind: 'directory' | 'file' | 'symlink'
  readonly executable: boolean
  readonly linkTarget?: string
}

/** The file system that holds a path: what it holds in all, and what can still be written to it. */
export interface DiskSpace {
  readonly size: number
  readonly free: number
}
export type FreeSpace = (path: string) => Promise<DiskSpace>

/** What a download or an extraction leaves free, for the rest of the job: 5% of the disk, and never under 1 GiB. */
export function diskReserve(size: number): number {
  return Math.max(1024 ** 3, Math.ceil(size * 0.05))
}

/** A local header's CRC and sizes when they follow the data in a descriptor instead. */
const FLAG_DATA_DESCRIPTOR = 0x0008
/** A 32-bit size or offset whose real value is in the ZIP64 extra field. */
const ZIP64_MARKER = 0xffffffff

/**
 * Extracts a zip file into `destination`, which must be empty or absent,
 * reading the zip's central directory, which a streaming reader can misread.
 *
 * Every entry is checked before anything is written: none may land outside
 * the destination, the whole must fit on the disk, and each entry's data
 * must be its own: no two entries may share bytes, or reach into the central
 * directory, and each local header must say what the central directory says,
 * so that a small archive cannot unpack one stored file many times over.
 * Then every write is
 * checked against the file system itself, not against names: each folder on
 * the way is looked at with lstat and must be a real directory, and each file
 * is created where nothing is yet. So a link cannot be written through even
 * where the file system folds case (a link `B` and an entry `b/x` on macOS or
 * Windows) or otherwise names one file two ways. Finally every link is
 * followed, one component at a time as the kernel does, dangling or not, and
 * must stay inside. On any failure, everything extracted is removed.
 * Executable bits are kept.
 */
export async function extractZip(
  file: string,
  destination: string,
  freeSpace: FreeSpace = freeSpaceAt
): Promise<number> {
  const root = resolve(destination)
  // yauzl itself refuses absolute names and '..' segments while reading them.
  const zip = await openPromise(file, {
    lazyEntries: true,
    autoClose: false,
    decodeStrings: true,
    validateEntrySizes: true
  })
  try {
    const centralDirectoryStart = centralDirectoryOffset(zip)
    const planned: PlannedEntry[] = []
    const links = new Set<string>()
    let bytes = 0
    for await (const entry of zip.eachEntry()) {
      if (planned.length >= MAX_ENTRIES) {
        throw new Error(`the archive holds more than ${MAX_ENTRIES} entries, which no artifact needs`)
      }
      bytes += entry.uncompressedSize
      const item = await plan(zip, entry, root, links)
      if (item.kind === 'symlink') links.add(item.relativePath)
      planned.push(item)
    }
    await checkRoom(root, bytes, freeSpace)
    await checkEntriesApart(zip, planned, centralDirectoryStart)
    const existed = await exists(root)
    await mkdir(root, { recursive: true })
    try {
      const writer = new ContainedWriter(await realpath(root))
      for (const item of planned) await writer.write(zip, item)
      await checkLinksStayInside(writer.root, planned)
    } catch (error) {
      await removeExtracted(root, existed)
      throw error
    }
    return planned.length
  } finally {
    zip.close()
  }
}

async function plan(zip: ZipFile, entry: Entry, root: string, links: ReadonlySet<string>): Promise<PlannedEntry> {
  const name = JSON.stringify(entry.fileName)
  const target = resolve(root, entry.fileName)
  if (!isInside(root, target)) throw new Error(`entry ${name} would be written outside the destination`)
  const relativePath = relative(root, target)
  // A first look by name, so that most hostile archives are refused before anything is written.
  for (let parent = dirname(relativePath); parent !== '.'; parent = dirname(parent)) {
    if (links.has(parent)) throw new Error(`entry ${name} would be written through a symbolic link`)
  }
  const mode = entry.externalFileAttributes >>> 16
  const type = mode & S_IFMT
  if (entry.fileName.endsWith('/') || type === S_IFDIR) {
    return { entry, relativePath, kind: 'directory', executable: false }
  }
  if (relativePath === '') throw new Error(`entry ${name} is a file in place of the destination itself`)
  if (type !== S_IFLNK) return { entry, relativePath, kind: 'file', executable: (mode & 0o111) !== 0 }
  if (entry.uncompressedSize > MAX_LINK_TARGET) {
    throw new Error(`entry ${name} is a symbolic link with a ${entry.uncompressedSize}-byte target`)
  }
  const linkTarget = (await readAll(await zip.openReadStreamPromise(entry))).toString('utf8')
  if (!isInside(root, resolve(dirname(target), linkTarget))) {
    throw new Error(`entry ${name} is a symbolic link to ${JSON.stringify(linkTarget)}, outside the destination`)
  }
  return { entry, relativePath, kind: 'symlink', executable: false, linkTarget }
}

/** Where the central directory starts: yauzl's read cursor, before it reads the first entry. */
function centralDirectoryOffset(zip: ZipFile): number {
  const offset = (zip as ZipFile & { readEntryCursor?: unknown }).readEntryCursor
  if (typeof offset !== 'number' || offset < 0 || offset > zip.fileSize) {
    throw new Error('the archive reader did not say where the central directory starts')
  }
  return offset
}

/**
 * Refuses an archive whose entries share bytes, with each other or with the
 * central directory, or whose local headers disagree with it: the way a few
 * kilobytes unpack to gigabytes, one stored file counted many times over.
 */
async function checkEntriesApart(
  zip: ZipFile,
  planned: readonly PlannedEntry[],
  centralDirectoryStart: number
): Promise<void> {
  const spans: { start: number; end: number; name: string }[] = []
  for (const { entry } of planned) {
    const name = JSON.stringify(entry.fileName)
    const local = await zip.readLocalFileHeaderPromise(entry)
    const disagreement = headerDisagreement(entry, local)
    if (disagreement !== undefined) {
      throw new Error(
        `entry ${name} has a local header that disagrees with the central directory on its ${disagreement}`
      )
    }
    spans.push({ start: entry.relativeOffsetOfLocalHeader, end: local.fileDataStart + entry.compressedSize, name })
  }
  spans.sort((a, b) => a.start - b.start)
  let previous: { end: number; name: string } | undefined
  for (const span of spans) {
    if (previous !== undefined && span.start < previous.end) {
      throw new Error(`entries ${previous.name} and ${span.name} share bytes in the archive, which no zip writer does`)
    }
    previous = span
  }
  if (previous !== undefined && previous.end > centralDirectoryStart) {
    throw new Error(`entry ${previous.name} reaches into the archive's central directory`)
  }
}

/** What a local header says otherwise than the central directory, if anything. */
function headerDisagreement(entry: Entry, local: LocalFileHeader): string | undefined {
  if (!local.fileName.equals(entry.fileNameRaw)) return 'name'
  if (local.compressionMethod !== entry.compressionMethod) return 'compression method'
  // With a data descriptor, or ZIP64, the local header leaves the CRC and sizes to elsewhere.
  if ((local.generalPurposeBitFlag & FLAG_DATA_DESCRIPTOR) !== 0) return undefined
  if (local.crc32 !== entry.crc32) return 'CRC-32'
  if (local.compressedSize !== ZIP64_MARKER && local.compressedSize !== entry.compressedSize) return 'compressed size'
  if (local.uncompressedSize !== ZIP64_MARKER && local.uncompressedSize !== entry.uncompressedSize) return 'size'
  return undefined
}

/**
 * Refuses an archive that would fill the disk, which would break the rest of
 * the job too, or that is larger than any artifact. The sizes are the ones
 * the archive declares; yauzl fails any entry that turns out larger.
 */
async function checkRoom(root: string, bytes: number, freeSpace: FreeSpace): Promise<void> {
  await ensureRoom('the archive unpacks to', bytes, root, freeSpace)
  if (bytes > MAX_UNCOMPRESSED_BYTES) {
    throw new Error(
      `the archive unpacks to ${describeBytes(bytes)}, more than the ${describeBytes(MAX_UNCOMPRESSED_BYTES)} any artifact is allowed`
    )
  }
}

/**
 * Refuses to write `bytes` where the file system that holds `path` (or the
 * nearest folder of it that exists) would be left with less than its
 * reserve: `what` the bytes are, as in `it is` or `the archive unpacks to`.
 */
export async function ensureRoom(what: string, bytes: number, path: string, freeSpace: FreeSpace): Promise<void> {
  let existing = path
  while (!(await exists(existing))) existing = dirname(existing)
  const { size, free } = await freeSpace(existing)
  const reserve = diskReserve(size)
  if (bytes > free - reserve) {
    throw new Error(
      `${what} ${describeBytes(bytes)}, more than the ${describeBytes(Math.max(0, free - reserve))} free on the file system that holds ${path} once ${describeBytes(reserve)} is kept for the rest of the job; free up space, or use a runner with a larger disk`
    )
  }
}

/** The size of the file system that holds `path`, and the bytes an unprivileged process can still write on it. */
export async function freeSpaceAt(path: string): Promise<DiskSpace> {
  const stats = await statfs(path)
  return { size: stats.blocks * stats.bsize, free: stats.bavail * stats.bsize }
}

export function describeBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`
}

/**
 * Writes entries below a root, asking the file system, not the names, whether
 * each write stays inside: the folders on the way must be real directories,
 * and a file or link is created only where nothing is yet.
 */
class ContainedWriter {
  /** Folders below the root already seen to be real directories; nothing written later can change that. */
  private readonly directories = new Set<string>([''])

  constructor(readonly root: string) {}

  async write(zip: ZipFile, item: PlannedEntry): Promise<void> {
    const name = JSON.stringify(item.entry.fileName)
    if (item.kind === 'directory') {
      await this.makeDirectories(item.relativePath, name)
      return
    }
    await this.makeDirectories(dirname(item.relativePath), name)
    const target = join(this.root, item.relativePath)
    try {
      if (item.kind === 'symlink') {
        await symlink(item.linkTarget!, target)
        return
      }
      const handle = await open(target, CREATE_FLAGS, item.executable ? 0o755 : 0o644)
      await pipeline(await zip.openReadStreamPromise(item.entry), handle.createWriteStream())
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if ((await lstat(target)).isSymbolicLink()) {
        throw new Error(`entry ${name} would write through a symbolic link`, { cause: error })
      }
      throw new Error(
        `entry ${name} names a file that is already there: the archive holds it twice, or this file system does not tell the two names apart (as where upper and lower case are the same)`,
        { cause: error }
      )
    }
  }

  /** Makes each missing folder of `relativePath`, one at a time, refusing any that is a link or a file. */
  private async makeDirectories(relativePath: string, name: string): Promise<void> {
    if (relativePath === '.' || this.directories.has(relativePath)) return
    await this.makeDirectories(dirname(relativePath), name)
    const path = join(this.root, relativePath)
    let stats = await lstat(path).catch(() => undefined)
    if (stats === undefined) {
      await mkdir(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error
      })
      stats = await lstat(path)
    }
    if (stats.isSymbolicLink()) throw new Error(`entry ${name} would be written through a symbolic link`)
    if (!stats.isDirectory()) throw new Error(`entry ${name} would be written inside a file`)
    this.directories.add(relativePath)
  }
}

/**
 * Links that each point inside can still lead out together (`a -> .` and
 * `b -> a/..`), so every link is followed once all are written, through the
 * links on its way, whether or not its target exists.
 */
async function checkLinksStayInside(realRoot: string, planned: readonly PlannedEntry[]): Promise<void> {
  for (const item of planned) {
    if (item.kind !== 'symlink') continue
    const name = JSON.stringify(item.entry.fileName)
    const leadsTo = await followLinks(join(realRoot, item.relativePath)).catch((error: Error) => {
      throw new Error(`entry ${name} is a symbolic link that cannot be followed: ${error.message}`, { cause: error })
    })
    if (!isInside(realRoot, leadsTo)) {
      throw new Error(`entry ${name} is a symbolic link that leads outside the destination, through other links`)
    }
  }
}

/**
 * Where a path leads, resolved one component at a time as the kernel does:
 * each link is replaced by its target, and '..' goes up from where the links
 * led, not from the text. Past the first component that does not exist, the
 * rest is taken as written, which is where it would lead once created.
 */
async function followLinks(path: string): Promise<string> {
  const { root } = parse(path)
  let resolved = root
  // Components still to walk, the next one last.
  const pending = path.slice(root.length).split(sep).reverse()
  let hops = 0
  for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      resolved = dirname(resolved)
      continue
    }
    const next = join(resolved, part)
    const stats = await lstat(next).catch(() => undefined)
    if (stats === undefined) return resolve(next, ...pending.reverse())
    if (!stats.isSymbolicLink()) {
      resolved = next
      continue
    }
    if (++hops > MAX_LINK_HOPS) throw new Error(`more than ${MAX_LINK_HOPS} links in a row, so they loop`)
    const target = await readlink(next)
    if (isAbsolute(target)) resolved = parse(target).root
    pending.push(...target.split(sep).reverse())
  }
  return resolved
}

/** Undoes a failed extraction: the destination was empty or absent, so all in it is ours. */
async function removeExtracted(root: string, existed: boolean): Promise<void> {
  if (!existed) {
    await rm(root, { recursive: true, force: true })
    return
  }
  for (const name of await readdir(root)) await rm(join(root, name), { recursive: true, force: true })
}

function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false
  )
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
