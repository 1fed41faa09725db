import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { extractZip } from '../../src/artifacts/unzip.js'
import { listDirectory, listSingleFile, writeZip, type ZipEntry } from '../../src/artifacts/zip-writer.js'
import { writeToFile } from './zip-to-file.js'

const scratch = (): string => mkdtempSync(join(tmpdir(), 'zip-test-'))

async function roundTrip(entries: ZipEntry[]): Promise<string> {
  const dir = scratch()
  const file = join(dir, 'out.zip')
  await writeToFile(file, (sink) => writeZip(entries, sink))
  const target = join(dir, 'x')
  await extractZip(file, target)
  return target
}

describe('writeZip and extractZip', () => {
  it('round-trip contents, modes, empty directories and links that stay inside', async () => {
    const source = scratch()
    mkdirSync(join(source, 'bin'))
    mkdirSync(join(source, 'empty'))
    writeFileSync(join(source, 'bin/run.sh'), '#!/bin/sh', { mode: 0o755 })
    writeFileSync(join(source, 'readme.md'), 'hi')
    symlinkSync('readme.md', join(source, 'alias.md'))
    const out = await roundTrip(listDirectory(source))
    expect(readFileSync(join(out, 'alias.md'), 'utf8')).toBe('hi')
    expect(statSync(join(out, 'bin/run.sh')).mode & 0o777).toBe(0o755)
    expect(statSync(join(out, 'readme.md')).mode & 0o777).toBe(0o644)
    expect(statSync(join(out, 'empty')).isDirectory()).toBe(true)
  })

  it('round-trip one file at the root', async () => {
    const dir = scratch()
    writeFileSync(join(dir, 'imagedefinitions.json'), '[]')
    const out = await roundTrip(listSingleFile(join(dir, 'imagedefinitions.json')))
    expect(readFileSync(join(out, 'imagedefinitions.json'), 'utf8')).toBe('[]')
  })
})

describe('extractZip on hostile archives', () => {
  function hostile(script: string): string {
    const file = join(scratch(), 'h.zip')
    execFileSync('python3', [
      '-c',
      `import zipfile\nz = zipfile.ZipFile(${JSON.stringify(file)}, 'w')\n${script}\nz.close()`
    ])
    return file
  }

  it.each([
    ["z.writestr('a/../../evil', 'x')", /invalid relative path/],
    ["z.writestr('a\\\\..\\\\..\\\\evil', 'x')", /invalid characters in fileName|invalid relative path/],
    ["i = zipfile.ZipInfo('l'); i.external_attr = 0o120777 << 16; z.writestr(i, '/etc')", /symbolic link to "\/etc"/],
    [
      "i = zipfile.ZipInfo('l'); i.external_attr = 0o120777 << 16; z.writestr(i, 'inside')\nz.writestr('l', 'twice')",
      /would write through a symbolic link/
    ]
  ])('refuses %s', async (script, message) => {
    const target = join(scratch(), 'x')
    await expect(extractZip(hostile(`z.writestr('ok.txt', 'ok')\n${script}`), target)).rejects.toThrow(message)
  })

  it('refuses an entry written through a link, as in a link chain that climbs out', async () => {
    const target = join(scratch(), 'x')
    const script = [
      "i = zipfile.ZipInfo('sub'); i.external_attr = 0o120777 << 16; z.writestr(i, '.')",
      "i = zipfile.ZipInfo('sub/esc'); i.external_attr = 0o120777 << 16; z.writestr(i, '..')",
      "z.writestr('sub/esc/evil.txt', 'x')"
    ].join('\n')
    await expect(extractZip(hostile(script), target)).rejects.toThrow(/written through a symbolic link/)
    expect(() => statSync(join(target, '..', 'evil.txt'))).toThrow()
  })

  it('refuses links that each point inside but together lead out, and removes what it wrote', async () => {
    const target = join(scratch(), 'x')
    const script = [
      "i = zipfile.ZipInfo('a'); i.external_attr = 0o120777 << 16; z.writestr(i, '.')",
      "i = zipfile.ZipInfo('b'); i.external_attr = 0o120777 << 16; z.writestr(i, 'a/..')"
    ].join('\n')
    await expect(extractZip(hostile(script), target)).rejects.toThrow(
      /leads outside the destination, through other links/
    )
    expect(() => statSync(target)).toThrow()
  })

  it('checks every entry before writing any', async () => {
    const target = join(scratch(), 'x')
    await expect(
      extractZip(hostile("z.writestr('ok.txt', 'ok')\nz.writestr('../evil', 'x')"), target)
    ).rejects.toThrow()
    expect(() => statSync(join(target, 'ok.txt'))).toThrow()
  })

  it('accepts ./ entries', async () => {
    const target = join(scratch(), 'x')
    await extractZip(hostile("z.writestr('./', '')\nz.writestr('./ok.txt', 'ok')"), target)
    expect(readFileSync(join(target, 'ok.txt'), 'utf8')).toBe('ok')
  })
})
