import { closeSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { Readable } from 'node:stream'
import { deflateRawSync } from 'node:zlib'
import { ZipFile } from 'yazl'
import { isInside } from './paths.js'

/** Already compressed: deflating these again costs time and saves nothing. */
const COMPRESSED = /\.(zip|jar|war|ear|gz|tgz|bz2|xz|zst|7z|png|jpe?g|gif|webp|mp4|woff2?)$/i
/** Files at least this large are sampled before they are deflated. */
const SAMPLE_BYTES = 256 * 1024

interface Entry {
  readonly realPath: string
  readonly zipPath: string
  readonly directory: boolean
}

/**
 * A zip of a directory's contents, as a stream: entries relative to the
 * directory, in sorted order, with their modes, empty directories kept.
 * Symbolic links are followed only where they stay inside the directory.
 */
export function zipDirectory(root: string): Readable {
  const realRoot = realpathSync(root)
  const entries: Entry[] = []
  collect(realRoot, realRoot, '', entries, new Set([realRoot]))
  return zipEntries(entries)
}

/** A zip with one file at its root, under the file's own name. */
export function zipSingleFile(path: string): Readable {
  return zipEntries([{ realPath: realpathSync(path), zipPath: basename(path), directory: false }])
}

function collect(realRoot: string, directory: string, prefix: string, entries: Entry[], visiting: Set<string>): void {
  const names = readdirSync(directory).sort()
  if (names.length === 0 && prefix !== '') entries.push({ realPath: directory, zipPath: prefix, directory: true })
  for (const name of names) {
    const path = join(directory, name)
    const zipPath = prefix === '' ? name : `${prefix}/${name}`
    let realPath = path
    if (lstatSync(path).isSymbolicLink()) {
      realPath = realpathSync(path)
      if (!isInside(realRoot, realPath)) {
        throw new Error(`${zipPath} is a symbolic link to ${realPath}, outside the directory being zipped`)
      }
    }
    const stats = statSync(realPath)
    if (stats.isDirectory()) {
      if (visiting.has(realPath)) throw new Error(`${zipPath} links back into itself`)
      visiting.add(realPath)
      collect(realRoot, realPath, zipPath, entries, visiting)
      visiting.delete(realPath)
    } else if (stats.isFile()) {
      entries.push({ realPath, zipPath, directory: false })
    } else {
      throw new Error(`${zipPath} is not a regular file (a socket, pipe or device), so it cannot go into an artifact`)
    }
  }
}

/**
 * Deflating data that does not shrink is the slowest part of a large upload,
 * so a large file is stored as it is when a sample of it barely compresses.
 */
function worthDeflating(entry: Entry, size: number): boolean {
  if (COMPRESSED.test(entry.zipPath)) return false
  if (size < SAMPLE_BYTES) return true
  const sample = Buffer.alloc(SAMPLE_BYTES)
  const fd = openSync(entry.realPath, 'r')
  try {
    const read = readSync(fd, sample, 0, SAMPLE_BYTES, 0)
    return deflateRawSync(sample.subarray(0, read), { level: 1 }).length < read * 0.9
  } finally {
    closeSync(fd)
  }
}

function zipEntries(entries: readonly Entry[]): Readable {
  const zip = new ZipFile()
  for (const entry of entries) {
    const stats = statSync(entry.realPath)
    if (entry.directory) {
      zip.addEmptyDirectory(entry.zipPath, { mode: stats.mode, mtime: stats.mtime })
    } else {
      // yazl opens each file only when it gets to it, so memory stays flat.
      zip.addFile(entry.realPath, entry.zipPath, {
        mode: stats.mode,
        mtime: stats.mtime,
        compress: worthDeflating(entry, stats.size)
      })
    }
  }
  const output = zip.outputStream as Readable
  // A file that vanishes or changes while it is read fails the upload, instead of the process.
  zip.on('error', (error: Error) => output.destroy(error))
  zip.end()
  return output
}
