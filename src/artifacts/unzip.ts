import { createWriteStream } from 'node:fs'
import { mkdir, readlink, realpath, rm, symlink } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { openPromise, type Entry, type ZipFile } from 'yauzl'
import { isInside } from './paths.js'

const S_IFMT = 0o170000
const S_IFLNK = 0o120000
const S_IFDIR = 0o040000
/** A link target is a path, not data: anything longer is not one. */
const MAX_LINK_TARGET = 4096
/** Beyond these an archive is a bomb, not an artifact: it would fill the runner's disk. */
export const MAX_ENTRIES = 500_000
export const MAX_UNCOMPRESSED_BYTES = 20 * 1024 ** 3

interface PlannedEntry {
  readonly entry: Entry
  readonly target: string
  readonly kind: 'directory' | 'file' | 'symlink'
  readonly executable: boolean
  readonly linkTarget?: string
}

/**
 * Extracts a zip file into `destination`, which must be empty or absent,
 * reading the zip's central directory, which a streaming reader can misread.
 * Every entry is checked before anything is written: no entry may land
 * outside the destination or be written through a symbolic link, and no link
 * may point outside it. Executable bits are kept.
 */
export async function extractZip(file: string, destination: string): Promise<number> {
  const root = resolve(destination)
  // yauzl itself refuses absolute names and '..' segments while reading them.
  const zip = await openPromise(file, {
    lazyEntries: true,
    autoClose: false,
    decodeStrings: true,
    validateEntrySizes: true
  })
  try {
    const planned: PlannedEntry[] = []
    const links = new Set<string>()
    let bytes = 0
    for await (const entry of zip.eachEntry()) {
      bytes += entry.uncompressedSize
      if (planned.length >= MAX_ENTRIES || bytes > MAX_UNCOMPRESSED_BYTES) {
        throw new Error(
          `the archive holds more than ${MAX_ENTRIES} entries or ${MAX_UNCOMPRESSED_BYTES / 1024 ** 3} GiB`
        )
      }
      const item = await plan(zip, entry, root, links)
      if (item.kind === 'symlink') links.add(item.target)
      planned.push(item)
    }
    await mkdir(root, { recursive: true })
    for (const item of planned) await write(zip, item)
    await checkLinksStayInside(root, planned)
    return planned.length
  } finally {
    zip.close()
  }
}

async function plan(zip: ZipFile, entry: Entry, root: string, links: ReadonlySet<string>): Promise<PlannedEntry> {
  const target = resolve(root, entry.fileName)
  if (!isInside(root, target)) {
    throw new Error(`entry ${JSON.stringify(entry.fileName)} would be written outside the destination`)
  }
  for (let parent = dirname(target); parent !== root && isInside(root, parent); parent = dirname(parent)) {
    if (links.has(parent))
      throw new Error(`entry ${JSON.stringify(entry.fileName)} would be written through a symbolic link`)
  }
  const mode = entry.externalFileAttributes >>> 16
  const type = mode & S_IFMT
  if (entry.fileName.endsWith('/') || type === S_IFDIR) return { entry, target, kind: 'directory', executable: false }
  if (type !== S_IFLNK) return { entry, target, kind: 'file', executable: (mode & 0o111) !== 0 }
  if (entry.uncompressedSize > MAX_LINK_TARGET)
    throw new Error(
      `entry ${JSON.stringify(entry.fileName)} is a symbolic link with a ${entry.uncompressedSize}-byte target`
    )
  const linkTarget = (await readAll(await zip.openReadStreamPromise(entry))).toString('utf8')
  if (!isInside(root, resolve(dirname(target), linkTarget))) {
    throw new Error(
      `entry ${JSON.stringify(entry.fileName)} is a symbolic link to ${JSON.stringify(linkTarget)}, outside the destination`
    )
  }
  return { entry, target, kind: 'symlink', executable: false, linkTarget }
}

async function write(zip: ZipFile, item: PlannedEntry): Promise<void> {
  if (item.kind === 'directory') {
    await mkdir(item.target, { recursive: true })
    return
  }
  await mkdir(dirname(item.target), { recursive: true })
  if (item.kind === 'symlink') {
    await symlink(item.linkTarget!, item.target)
    return
  }
  // An earlier entry may have made a link here; never write through it.
  const existing = await readlink(item.target).catch(() => undefined)
  if (existing !== undefined)
    throw new Error(`entry ${JSON.stringify(item.entry.fileName)} would write through a symbolic link`)
  await pipeline(
    await zip.openReadStreamPromise(item.entry),
    createWriteStream(item.target, { mode: item.executable ? 0o755 : 0o644 })
  )
}

/**
 * Links that each point inside can still lead out together (`a -> .` and
 * `b -> a/..`), so every link is followed once all are written. On a link that
 * leads out, everything extracted is removed.
 */
async function checkLinksStayInside(root: string, planned: readonly PlannedEntry[]): Promise<void> {
  const realRoot = await realpath(root)
  for (const item of planned) {
    if (item.kind !== 'symlink') continue
    const real = await realpath(item.target).catch(async () =>
      resolve(await realpath(dirname(item.target)), item.linkTarget!)
    )
    if (!isInside(realRoot, real)) {
      await rm(root, { recursive: true, force: true })
      throw new Error(
        `entry ${JSON.stringify(item.entry.fileName)} is a symbolic link that leads outside the destination, through other links`
      )
    }
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
