import { closeSync, constants, fstatSync, openSync, read, readSync, type Stats } from 'node:fs'

/**
 * Reads up to `length` bytes from `position` into `buffer` at `offset`, and
 * gives how many it read: 0 at the end of the source.
 */
export type ReadAt = (buffer: Buffer, offset: number, length: number, position: number) => Promise<number>

/** A file opened for an upload, with what it looked like when it was opened. */
export interface OpenedFile {
  readonly fd: number
  readonly stats: Stats
  /** How the file is named in messages. */
  readonly name: string
  readonly read: ReadAt
}

// A FIFO would block the open and the reads, and a device may never end, so
// the open does not block and anything but a regular file is refused before
// a byte is read. A link put in place of the file is not followed.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0)
/**
 * Small files are read in one blocking call: it takes microseconds, where a
 * round trip through the thread pool takes far longer, and a directory of
 * many small files is common. Larger reads go through the thread pool, so
 * that parts keep uploading meanwhile.
 */
const BLOCKING_READ_BYTES = 256 * 1024

/**
 * Runs `use` on a regular file opened for reading, and closes it after.
 * Refuses FIFOs, sockets, devices and directories before reading a byte.
 */
export async function withRegularFile<T>(
  path: string,
  name: string,
  use: (file: OpenedFile) => Promise<T>
): Promise<T> {
  const fd = openSync(path, READ_FLAGS)
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) throw new Error(`${JSON.stringify(name)} is ${describeType(stats)}, not a regular file`)
    const readAt: ReadAt =
      stats.size <= BLOCKING_READ_BYTES
        ? (buffer, offset, length, position) => Promise.resolve(readSync(fd, buffer, offset, length, position))
        : (buffer, offset, length, position) =>
            new Promise((resolve, reject) =>
              read(fd, buffer, offset, length, position, (error, bytesRead) =>
                error ? reject(error) : resolve(bytesRead)
              )
            )
    return await use({ fd, stats, name, read: readAt })
  } finally {
    closeSync(fd)
  }
}

/** Fails unless the file is as it was when opened: nothing wrote to it, or put another in its place. */
export function checkUnchanged(file: OpenedFile, bytesRead: number): void {
  const after = fstatSync(file.fd)
  const before = file.stats
  const same =
    bytesRead === before.size &&
    after.size === before.size &&
    after.mtimeMs === before.mtimeMs &&
    after.ino === before.ino &&
    after.dev === before.dev
  if (!same) {
    throw new Error(
      `${JSON.stringify(file.name)} changed while it was being read (${before.size} bytes before, ${after.size} after); make sure nothing still writes to it when the artifact is uploaded`
    )
  }
}

/** What a file is, in words, for a message that refuses it. */
export function describeType(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory'
  if (stats.isFIFO()) return 'a named pipe (FIFO)'
  if (stats.isSocket()) return 'a socket'
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device'
  if (stats.isSymbolicLink()) return 'a symbolic link'
  return 'not a regular file'
}
