import { execFileSync } from 'node:child_process'
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { extractZip } from '../src/artifacts/unzip.js'
import { zipDirectory, zipSingleFile } from '../src/artifacts/zip-writer.js'

const scratch = (): string => mkdtempSync(join(tmpdir(), 'zip-test-'))

async function roundTrip(stream: NodeJS.ReadableStream): Promise<string> {
  const dir = scratch()
  const file = join(dir, 'out.zip')
  await pipeline(stream, createWriteStream(file))
  const target = join(dir, 'x')
  await extractZip(file, target)
  return target
}

describe('zipDirectory and extractZip', () => {
  it('round-trips contents, modes, empty directories and links that stay inside', async () => {
    const source = scratch()
    mkdirSync(join(source, 'bin'))
    mkdirSync(join(source, 'empty'))
    writeFileSync(join(source, 'bin/run.sh'), '#!/bin/sh', { mode: 0o755 })
    writeFileSync(join(source, 'readme.md'), 'hi')
    symlinkSync('readme.md', join(source, 'alias.md'))
    const out = await roundTrip(zipDirectory(source))
    expect(readFileSync(join(out, 'alias.md'), 'utf8')).toBe('hi')
    expect(statSync(join(out, 'bin/run.sh')).mode & 0o777).toBe(0o755)
    expect(statSync(join(out, 'readme.md')).mode & 0o777).toBe(0o644)
    expect(statSync(join(out, 'empty')).isDirectory()).toBe(true)
  })

  it('refuses a link that leads out of the directory', () => {
    const source = scratch()
    symlinkSync('/etc', join(source, 'escape'))
    expect(() => zipDirectory(source)).toThrow(/escape is a symbolic link to \/etc, outside the directory being zipped/)
  })

  it('zips one file at the root', async () => {
    const dir = scratch()
    writeFileSync(join(dir, 'imagedefinitions.json'), '[]')
    const out = await roundTrip(zipSingleFile(join(dir, 'imagedefinitions.json')))
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
