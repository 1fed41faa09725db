import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { extractZip } from '../../src/artifacts/unzip.js'
import { listDirectory, listSingleFile, writeZip, type ZipEntry } from '../../src/artifacts/zip-writer.js'
import { writeToFile } from '../support/zip-to-file.js'
import { lyingZip } from '../support/lying-zip.js'
import { craftedZip } from '../support/crafted-zip.js'

const scratchRoot = mkdtempSync(join(tmpdir(), 'unzip-test-'))
const scratch = (): string => mkdtempSync(join(scratchRoot, 'case-'))
afterAll(() => rmSync(scratchRoot, { recursive: true, force: true }))

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

  const link = (name: string, target: string): string =>
    `i = zipfile.ZipInfo(${JSON.stringify(name)}); i.external_attr = 0o120777 << 16; z.writestr(i, ${JSON.stringify(target)})`

  it('checks the real parent of every write, so a link the file system finds under another name is never written through', async () => {
    // Where upper and lower case are one (macOS, Windows), a link "B" is also found as "b", which no
    // comparison of names in the archive sees. Here the file system's answer is staged: "b" is a link
    // out, already in the destination, and the archive writes below "b".
    const outside = scratch()
    const target = join(scratch(), 'x')
    mkdirSync(target)
    symlinkSync(outside, join(target, 'b'))
    const archive = hostile("z.writestr('ok.txt', 'ok')\nz.writestr('b/ws/build.sh', 'echo owned')")
    await expect(extractZip(archive, target)).rejects.toThrow(
      /entry "b\/ws\/build\.sh" would be written through a symbolic link/
    )
    expect(readdirSync(outside)).toEqual([])
    expect(readdirSync(target)).toEqual([])
  })

  it('refuses the case-folding archive from a link chain, and writes nothing outside', async () => {
    const parent = scratch()
    const target = join(parent, 'x')
    const script = [link('a', '.'), link('B', 'a/a/a/../../..'), "z.writestr('b/ws/build.sh', 'echo owned')"].join('\n')
    await expect(extractZip(hostile(script), target)).rejects.toThrow(/"B" is a symbolic link that leads outside/)
    expect(existsSync(join(parent, 'ws'))).toBe(false)
    expect(existsSync(target)).toBe(false)
  })

  it('follows a dangling link through the links on its way, and refuses it when it leads out', async () => {
    const target = join(scratch(), 'x')
    const script = [link('a', '.'), link('hook', 'a/a/a/../../../X')].join('\n')
    await expect(extractZip(hostile(script), target)).rejects.toThrow(
      /entry "hook" is a symbolic link that leads outside the destination, through other links/
    )
    expect(existsSync(target)).toBe(false)
  })

  it('keeps a dangling link that stays inside, and refuses links that loop', async () => {
    const target = join(scratch(), 'x')
    await extractZip(hostile([link('a', '.'), link('later', 'a/build/output.log')].join('\n')), target)
    expect(readlinkSync(join(target, 'later'))).toBe('a/build/output.log')
    const looping = join(scratch(), 'x')
    await expect(extractZip(hostile([link('p', 'q'), link('q', 'p')].join('\n')), looping)).rejects.toThrow(
      /entry "p" is a symbolic link that cannot be followed: more than 40 links in a row, so they loop/
    )
  })

  it('refuses an entry that is in the archive twice', async () => {
    const target = join(scratch(), 'x')
    await expect(extractZip(hostile("z.writestr('a.txt', '1')\nz.writestr('a.txt', '2')"), target)).rejects.toThrow(
      /entry "a\.txt" names a file that is already there: the archive holds it twice/
    )
    expect(existsSync(target)).toBe(false)
  })

  it('refuses an archive larger than the free space where it goes, and says so', async () => {
    const target = join(scratch(), 'x')
    const archive = hostile("z.writestr('a.txt', 'x' * 3000)")
    await expect(
      extractZip(archive, target, () => Promise.resolve({ size: 10 * 1024 ** 3, free: 1024 ** 3 + 2048 }))
    ).rejects.toThrow(
      /the archive unpacks to 0\.0 MiB, more than the 0\.0 MiB free on the file system that holds .*\/x once 1\.0 GiB is kept for the rest of the job; free up space, or use a runner with a larger disk/
    )
    expect(existsSync(target)).toBe(false)
  })

  it('refuses an archive that declares more than 20 GiB, even with the disk to hold it', async () => {
    const target = join(scratch(), 'x')
    await expect(
      extractZip(lyingZip(scratch(), 6, 0xf0000000), target, () =>
        Promise.resolve({ size: 1024 ** 5, free: 1024 ** 5 })
      )
    ).rejects.toThrow(/the archive unpacks to 22\.5 GiB, more than the 20\.0 GiB any artifact is allowed/)
  })

  it('refuses entries that share their data, before writing anything', async () => {
    const target = join(scratch(), 'x')
    await expect(extractZip(craftedZip(scratch(), 'overlapping'), target)).rejects.toThrow(
      /entries "outer\.bin" and "inner\.bin" share bytes in the archive, which no zip writer does/
    )
    expect(existsSync(target)).toBe(false)
  })

  it('refuses a local header that names another file than the central directory', async () => {
    await expect(extractZip(craftedZip(scratch(), 'renamed-local'), join(scratch(), 'x'))).rejects.toThrow(
      /entry "a\.bin" has a local header that disagrees with the central directory on its name/
    )
  })

  it('refuses an entry whose data runs into the central directory', async () => {
    await expect(extractZip(craftedZip(scratch(), 'into-directory'), join(scratch(), 'x'))).rejects.toThrow(
      /entry "a\.bin" reaches into the archive's central directory/
    )
  })

  it('keeps a reserve free on the disk: 5% of it, and at least 1 GiB', async () => {
    const archive = hostile("z.writestr('a.txt', 'x' * 3000)")
    const disk = { size: 100 * 1024 ** 3, free: 5 * 1024 ** 3 + 2048 }
    await expect(extractZip(archive, join(scratch(), 'x'), () => Promise.resolve(disk))).rejects.toThrow(
      /more than the 0\.0 MiB free on the file system that holds .* once 5\.0 GiB is kept for the rest of the job/
    )
    const roomy = { ...disk, free: 5 * 1024 ** 3 + 4096 }
    expect(await extractZip(archive, join(scratch(), 'y'), () => Promise.resolve(roomy))).toBe(1)
  })

  it('accepts ./ entries', async () => {
    const target = join(scratch(), 'x')
    await extractZip(hostile("z.writestr('./', '')\nz.writestr('./ok.txt', 'ok')"), target)
    expect(readFileSync(join(target, 'ok.txt'), 'utf8')).toBe('ok')
  })
})
