import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openPromise } from 'yauzl'
import type { PartSink } from '../../src/artifacts/multipart.js'
import {
  listDirectory,
  listSingleFile,
  writeFileAsIs,
  writeZip,
  type ZipEntry
} from '../../src/artifacts/zip-writer.js'
import { writeToFile } from './zip-to-file.js'

const scratchRoot = mkdtempSync(join(tmpdir(), 'zip-writer-'))
const scratch = (): string => mkdtempSync(join(scratchRoot, 'case-'))
afterAll(() => rmSync(scratchRoot, { recursive: true, force: true }))

const hasUnzip = (() => {
  try {
    execFileSync('unzip', ['-v'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

async function zipOf(entries: ZipEntry[]): Promise<string> {
  const file = join(scratch(), 'out.zip')
  await writeToFile(file, (sink) => writeZip(entries, sink))
  return file
}

interface Listed {
  name: string
  mode: number
  size: number
  method: number
  offset: number
}

/** What yauzl sees, with the content of entries of up to 1 MiB. */
async function readWithYauzl(file: string): Promise<{ entries: Listed[]; contents: Record<string, Buffer> }> {
  const zip = await openPromise(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true })
  const entries: Listed[] = []
  const contents: Record<string, Buffer> = {}
  try {
    for await (const entry of zip.eachEntry()) {
      entries.push({
        name: entry.fileName,
        mode: entry.externalFileAttributes >>> 16,
        size: entry.uncompressedSize,
        method: entry.compressionMethod,
        offset: entry.relativeOffsetOfLocalHeader
      })
      if (entry.fileName.endsWith('/') || entry.uncompressedSize > 1024 * 1024) continue
      const chunks: Buffer[] = []
      for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer)
      contents[entry.fileName] = Buffer.concat(chunks)
    }
  } finally {
    zip.close()
  }
  return { entries, contents }
}

/** What Python's zipfile sees; `read` names the entries whose content to check, CRC included. */
function readWithPython(
  file: string,
  read: string[]
): { entries: Listed[]; contents: Record<string, string>; mtimes: Record<string, number[]> } {
  const script = `
import base64, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
entries = [{'name': i.filename, 'mode': i.external_attr >> 16, 'size': i.file_size, 'method': i.compress_type,
  'offset': i.header_offset} for i in z.infolist()]
contents = {name: base64.b64encode(z.read(name)).decode() for name in json.loads(sys.argv[2])}
mtimes = {i.filename: list(i.date_time) for i in z.infolist()}
print(json.dumps({'entries': entries, 'contents': contents, 'mtimes': mtimes}))`
  return JSON.parse(
    execFileSync('python3', ['-c', script, file, JSON.stringify(read)], { encoding: 'utf8', maxBuffer: 1 << 30 })
  ) as {
    entries: Listed[]
    contents: Record<string, string>
    mtimes: Record<string, number[]>
  }
}

describe('writeZip', () => {
  it('writes a zip that yauzl, Python and unzip all read alike: contents, modes, mtimes, empty directories, order', async () => {
    const source = scratch()
    mkdirSync(join(source, 'bin'))
    mkdirSync(join(source, 'empty'))
    writeFileSync(join(source, 'bin/run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 })
    writeFileSync(join(source, 'readme.md'), 'hello')
    const text = Array.from({ length: 40_000 }, (_, index) => `line ${index}\n`).join('')
    writeFileSync(join(source, 'numbers.txt'), text)
    const noise = randomBytes(300 * 1024)
    writeFileSync(join(source, 'noise.bin'), noise)
    writeFileSync(join(source, 'ünïcødé a:b.txt'), 'utf-8')
    symlinkSync('readme.md', join(source, 'alias.md'))
    const mtime = new Date('2024-05-06T07:08:10Z')
    for (const name of ['bin/run.sh', 'readme.md', 'numbers.txt', 'noise.bin', 'ünïcødé a:b.txt', 'empty']) {
      utimesSync(join(source, name), mtime, mtime)
    }

    const file = await zipOf(listDirectory(source))
    const names = ['alias.md', 'bin/run.sh', 'empty/', 'noise.bin', 'numbers.txt', 'readme.md', 'ünïcødé a:b.txt']

    const yauzl = await readWithYauzl(file)
    expect(yauzl.entries.map((entry) => entry.name)).toEqual(names)
    const byName = Object.fromEntries(yauzl.entries.map((entry) => [entry.name, entry]))
    expect(byName['bin/run.sh']?.mode).toBe(0o100755)
    expect(byName['readme.md']?.mode).toBe(0o100644)
    expect((byName['empty/']?.mode ?? 0) & 0o170000).toBe(0o040000)
    // Text is deflated; random bytes, which do not shrink, are stored.
    expect(byName['numbers.txt']?.method).toBe(8)
    expect(byName['noise.bin']?.method).toBe(0)
    expect(yauzl.contents['numbers.txt']?.toString()).toBe(text)
    expect(yauzl.contents['noise.bin']?.equals(noise)).toBe(true)
    expect(yauzl.contents['alias.md']?.toString()).toBe('hello')
    expect(yauzl.contents['ünïcødé a:b.txt']?.toString()).toBe('utf-8')

    const python = readWithPython(file, ['numbers.txt', 'noise.bin', 'bin/run.sh'])
    expect(python.entries).toEqual(yauzl.entries)
    expect(Buffer.from(python.contents['numbers.txt'] ?? '', 'base64').toString()).toBe(text)
    expect(Buffer.from(python.contents['noise.bin'] ?? '', 'base64').equals(noise)).toBe(true)
    const local = [mtime.getFullYear(), mtime.getMonth() + 1, mtime.getDate(), mtime.getHours(), mtime.getMinutes(), 10]
    expect(python.mtimes['readme.md']).toEqual(local)

    if (hasUnzip) {
      execFileSync('unzip', ['-tqq', file])
      const out = join(scratch(), 'unzipped')
      execFileSync('unzip', ['-qq', file, '-d', out])
      expect(readFileSync(join(out, 'numbers.txt'), 'utf8')).toBe(text)
      expect(statSync(join(out, 'bin/run.sh')).mode & 0o777).toBe(0o755)
      expect(statSync(join(out, 'empty')).isDirectory()).toBe(true)
      // unzip restores the exact time from the extended timestamp, not the local two-second DOS time.
      expect(statSync(join(out, 'readme.md')).mtime).toEqual(mtime)
    }
  })

  it('writes ZIP64 sizes and offsets past 4 GiB that every reader follows', async () => {
    const source = scratch()
    const huge = join(source, 'huge.gz')
    // A sparse file: 4 GiB and 1 MiB of zeros that take no disk space. Its name keeps it stored.
    writeFileSync(huge, '')
    truncateSync(huge, 4 * 1024 ** 3 + 1024 ** 2)
    writeFileSync(join(source, 'z-after.txt'), 'after the 4 GiB mark')
    const file = await zipOf(listDirectory(source))

    const python = readWithPython(file, ['z-after.txt'])
    expect(python.entries).toMatchObject([
      { name: 'huge.gz', size: 4 * 1024 ** 3 + 1024 ** 2, method: 0, offset: 0 },
      { name: 'z-after.txt', size: 20 }
    ])
    expect(python.entries[1]?.offset).toBeGreaterThan(4 * 1024 ** 3)
    expect(Buffer.from(python.contents['z-after.txt'] ?? '', 'base64').toString()).toBe('after the 4 GiB mark')
    const yauzl = await readWithYauzl(file)
    expect(yauzl.entries).toEqual(python.entries)
    expect(yauzl.contents['z-after.txt']?.toString()).toBe('after the 4 GiB mark')
    if (hasUnzip) {
      expect(execFileSync('unzip', ['-p', file, 'z-after.txt'], { encoding: 'utf8' })).toBe('after the 4 GiB mark')
      expect(execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' })).toBe('huge.gz\nz-after.txt\n')
    }
    // The 4 GiB entry's CRC-32, against Python's own for as many zeros.
    const crcs = execFileSync(
      'python3',
      [
        '-c',
        'import sys, zipfile, zlib\ncrc, zeros = 0, bytes(1 << 24)\nfor _ in range(256): crc = zlib.crc32(zeros, crc)\ncrc = zlib.crc32(bytes(1 << 20), crc)\nprint(crc, zipfile.ZipFile(sys.argv[1]).getinfo("huge.gz").CRC)',
        file
      ],
      { encoding: 'utf8' }
    )
    const [expected, written] = crcs.trim().split(' ')
    expect(written).toBe(expected)
  })

  it('writes more than 65,535 entries with a ZIP64 end record that every reader follows', async () => {
    const source = scratch()
    writeFileSync(join(source, 'file.txt'), 'x')
    const count = 65_540
    const entries: ZipEntry[] = Array.from({ length: count }, (_, index) =>
      index % 10 === 0
        ? { name: `f/${index}.txt`, path: join(source, 'file.txt'), directory: false }
        : { name: `d/${index}/`, path: source, directory: true }
    )
    const file = await zipOf(entries)

    const yauzl = await readWithYauzl(file)
    expect(yauzl.entries).toHaveLength(count)
    expect(yauzl.entries.at(-1)?.name).toBe(`d/${count - 1}/`)
    expect(yauzl.contents['f/65530.txt']?.toString()).toBe('x')
    expect(readWithPython(file, ['f/65530.txt']).entries).toHaveLength(count)
    if (hasUnzip) {
      execFileSync('unzip', ['-tqq', file])
      expect(execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n')).toHaveLength(count)
    }
  })

  it('fails when a file grows or shrinks while it is read', async () => {
    for (const change of [(path: string) => appendFileSync(path, 'more'), (path: string) => truncateSync(path, 10)]) {
      const source = scratch()
      const path = join(source, 'log.txt')
      writeFileSync(path, 'x'.repeat(100_000))
      const entries = listDirectory(source)
      const out = join(scratch(), 'out.zip')
      // The sink changes the file once its header is written, before its data is read.
      await expect(
        writeToFile(out, (sink) => {
          let changed = false
          const changing: PartSink = {
            get offset() {
              return sink.offset
            },
            write: async (bytes) => {
              await sink.write(bytes)
              if (!changed) change(path)
              changed = true
            },
            copyFrom: (file, position, length) => sink.copyFrom(file, position, length)
          }
          return writeZip(entries, changing)
        })
      ).rejects.toThrow(/"log\.txt" changed while it was being read/)
    }
  })

  it('fails, and does not hang, on a named pipe put where a listed file was', async () => {
    const source = scratch()
    writeFileSync(join(source, 'data.zip'), 'PK')
    const entries = listDirectory(source)
    rmSync(join(source, 'data.zip'))
    execFileSync('mkfifo', [join(source, 'data.zip')])
    await expect(zipOf(entries)).rejects.toThrow(/"data\.zip" is a named pipe \(FIFO\), not a regular file/)
    await expect(
      writeToFile(join(scratch(), 'as-is'), (sink) => writeFileAsIs(join(source, 'data.zip'), sink))
    ).rejects.toThrow(/named pipe/)
  })
})

describe('listDirectory', () => {
  it('refuses a link that leads out of the directory', () => {
    const source = scratch()
    symlinkSync('/etc', join(source, 'escape'))
    expect(() => listDirectory(source)).toThrow(
      /"escape" is a symbolic link to \/etc, outside the directory being zipped/
    )
  })

  it('refuses a named pipe, a socket or a device in the directory', () => {
    const source = scratch()
    execFileSync('mkfifo', [join(source, 'pipe')])
    expect(() => listDirectory(source)).toThrow(
      /"pipe" is a named pipe \(FIFO\); only regular files and directories go into an artifact/
    )
    const devices = scratch()
    symlinkSync('/dev/null', join(devices, 'null'))
    expect(() => listDirectory(devices)).toThrow(/symbolic link to \/dev\/null, outside/)
  })

  it.each([
    ['a backslash', 'back\\slash', /"back\\\\slash" has a backslash, which zip readers take for a folder separator/],
    ['a backslash in a folder', 'dir\\name/file', /"dir\\\\name" has a backslash/],
    ['a drive letter', 'C:evil.txt', /"C:evil\.txt" starts with a drive letter and a colon/]
  ])('refuses a name with %s rather than change the tree', (_, name, message) => {
    const source = scratch()
    mkdirSync(join(source, name, '..'), { recursive: true })
    writeFileSync(join(source, name), 'x')
    expect(() => listDirectory(source)).toThrow(message)
  })

  it('keeps a colon that is not a drive letter', () => {
    const source = scratch()
    mkdirSync(join(source, 'C:'))
    writeFileSync(join(source, 'C:', 'x'), 'x')
    expect(() => listDirectory(source)).toThrow(/"C:" starts with a drive letter/)
    const fine = scratch()
    mkdirSync(join(fine, 'dir'))
    writeFileSync(join(fine, 'dir', 'C:x'), 'x')
    writeFileSync(join(fine, 'ab:c'), 'x')
    expect(listDirectory(fine).map((entry) => entry.name)).toEqual(['ab:c', 'dir/C:x'])
  })

  it('refuses a name that is not UTF-8', () => {
    const source = scratch()
    writeFileSync(Buffer.concat([Buffer.from(`${source}/caf`), Buffer.from([0xe9])]), 'x')
    expect(() => listDirectory(source)).toThrow(/the file name "caf\uFFFD" is not valid UTF-8/)
  })

  it('checks the name of a single file too', () => {
    const source = scratch()
    writeFileSync(join(source, 'back\\slash.json'), '[]')
    expect(() => listSingleFile(join(source, 'back\\slash.json'))).toThrow(/has a backslash/)
    writeFileSync(join(source, 'imagedefinitions.json'), '[]')
    expect(listSingleFile(join(source, 'imagedefinitions.json'))).toEqual([
      { name: 'imagedefinitions.json', path: join(source, 'imagedefinitions.json'), directory: false }
    ])
  })
})
