import { createWriteStream } from 'node:fs'
import { copyFile, mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { quote } from '../portable/errors.js'
import { ArtifactError } from './artifact-error.js'
import type { ObjectStore } from './object-store.js'
import { ARTIFACT_NAME } from './paths.js'
import { ensureRoom, extractZip, freeSpaceAt, type FreeSpace } from './unzip.js'

/** What the job says about an input artifact. */
export interface DeclaredInput {
  readonly name?: string
  readonly location?: { readonly s3Location?: { readonly bucketName?: string; readonly objectKey?: string } }
}

export interface DownloadedArtifact {
  readonly name: string
  readonly path: string
  readonly format: 'zip' | 'raw'
  readonly bytes: number
  readonly entries?: number
}

/**
 * Downloads each input artifact into `<root>/<ArtifactName>/`. Each object goes
 * to a temporary file first; a zip, known by its first bytes and not its key,
 * is then extracted, and anything else is saved as it is. Names and keys come
 * from the job, and are checked as any input is before they name a path.
 */
export async function downloadInputArtifacts(
  inputs: readonly DeclaredInput[],
  root: string,
  store: Pick<ObjectStore, 'read'>,
  temporaryRoot: string = process.env.RUNNER_TEMP || tmpdir(),
  freeSpace: FreeSpace = freeSpaceAt
): Promise<DownloadedArtifact[]> {
  const downloaded: DownloadedArtifact[] = []
  const scratch = await mkdtemp(join(temporaryRoot, 'codepipeline-input-'))
  try {
    for (const input of inputs) {
      const name = input.name ?? ''
      const valid = ARTIFACT_NAME.test(name)
      try {
        if (!valid) {
          throw new Error(
            'its name is not a CodePipeline artifact name (1–100 letters, digits, _ or -), so it cannot name a directory'
          )
        }
        downloaded.push(
          await downloadOne(name, input, join(resolve(root), name), store, join(scratch, 'artifact'), freeSpace)
        )
      } catch (error) {
        throw new ArtifactError('Input', valid ? name : quote(name), error)
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
  return downloaded
}

async function downloadOne(
  name: string,
  input: DeclaredInput,
  destination: string,
  store: Pick<ObjectStore, 'read'>,
  file: string,
  freeSpace: FreeSpace
): Promise<DownloadedArtifact> {
  const { bucketName, objectKey } = input.location?.s3Location ?? {}
  const existing = await readdir(destination).catch(() => [])
  if (existing.length > 0) throw new Error(`${destination} is not empty; download into a new directory`)

  const object = await store.read({ name, bucketName, objectKey })
  if (object.length !== undefined) {
    await ensureRoom('it is', object.length, dirname(file), freeSpace).catch((error: unknown) => {
      object.body.destroy()
      throw error
    })
  }
  await pipeline(object.body, createWriteStream(file))
  const { size: bytes } = await stat(file)
  if (isZip(await firstBytes(file))) {
    const entries = await extractZip(file, destination, freeSpace)
    return { name, path: destination, format: 'zip', bytes, entries }
  }
  await mkdir(destination, { recursive: true })
  // Through the bridge the run may not know the key: the artifact's name stands in for it.
  await moveFile(file, join(destination, objectKey ? rawFileName(objectKey) : name))
  return { name, path: destination, format: 'raw', bytes }
}

/** The name a raw artifact is saved under: its key's last segment, when that is a plain file name. */
function rawFileName(objectKey: string): string {
  const name = objectKey.split('/').at(-1) ?? ''
  if (name === '' || name === '.' || name === '..' || name.includes('\\') || name.includes('\0')) {
    throw new Error(`its object key ${quote(objectKey)} does not end in a file name to save it under`)
  }
  return name
}

/** Moves the download into place without a second copy on disk, copying only across file systems. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
    await copyFile(from, to)
  }
}

/** A zip starts with a local file header, or is an empty archive's end record. */
function isZip(head: Buffer): boolean {
  return (
    head.length >= 4 &&
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))
  )
}

async function firstBytes(file: string): Promise<Buffer> {
  const handle = await open(file)
  try {
    const buffer = Buffer.alloc(4)
    const { bytesRead } = await handle.read(buffer, 0, 4, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}
