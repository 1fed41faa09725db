import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { PartSink } from '../../src/artifacts/multipart.js'
import { listDirectory, listSingleFile, writeZip } from '../../src/artifacts/zip-writer.js'
import { writeToFile } from '../support/zip-to-file.js'

const scratchRoot = mkdtempSync(join(tmpdir(), 'zip-writer-'))
const scratch = (): string => mkdtempSync(join(scratchRoot, 'case-'))
afterAll(() => rmSync(scratchRoot, { recursive: true, force: true }))

describe('writeZip', () => {
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
})

describe('listDirectory', () => {
  it('refuses a link that leads out of the directory', () => {
    const source = scratch()
    symlinkSync('/etc', join(source, 'escape'))
    expect(() => listDirectory(source)).toThrow(
      /"escape" is a symbolic link to \/etc, outside the directory being zipped/
    )
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
