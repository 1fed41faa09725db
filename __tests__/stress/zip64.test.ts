import { execFileSync } from 'node:child_process'
import { truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listDirectory, type ZipEntry } from '../../src/artifacts/zip-writer.js'
import { hasUnzip, readWithPython, readWithYauzl, scratch, zipOf } from '../support/zip-readers.js'

// ZIP64: an entry past 4 GiB and more than 65,535 entries, read back by every reader.
describe('writeZip', () => {
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
})
