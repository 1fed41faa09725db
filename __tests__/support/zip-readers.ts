import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { openPromise } from 'yauzl'
import { writeZip, type ZipEntry } from '../../src/artifacts/zip-writer.js'
import { writeToFile } from './zip-to-file.js'

// What the zip writer's end-to-end and stress tests share: scratch folders, and the readers
// (yauzl, Python's zipfile and Info-ZIP's unzip) that every archive it writes must satisfy.
const scratchRoot = mkdtempSync(join(tmpdir(), 'zip-writer-'))
export const scratch = (): string => mkdtempSync(join(scratchRoot, 'case-'))
afterAll(() => rmSync(scratchRoot, { recursive: true, force: true }))

export const hasUnzip = (() => {
  try {
    execFileSync('unzip', ['-v'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

export async function zipOf(entries: ZipEntry[]): Promise<string> {
  const file = join(scratch(), 'out.zip')
  await writeToFile(file, (sink) => writeZip(entries, sink))
  return file
}

export interface Listed {
  name: string
  mode: number
  size: number
  method: number
  offset: number
}

/** What yauzl sees, with the content of entries of up to 1 MiB. */
export async function readWithYauzl(file: string): Promise<{ entries: Listed[]; contents: Record<string, Buffer> }> {
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
export function readWithPython(
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
