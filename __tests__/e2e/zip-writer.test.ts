import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listDirectory, writeFileAsIs } from '../../src/artifacts/zip-writer.js'
import { hasUnzip, readWithPython, readWithYauzl, scratch, zipOf } from '../support/zip-readers.js'
import { writeToFile } from '../support/zip-to-file.js'

// The zip writer against the readers it must satisfy, and against named pipes, which take a process to make.
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
})
