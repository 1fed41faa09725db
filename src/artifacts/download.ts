import { createWriteStream } from 'node:fs'
import { copyFile, mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { ArtifactError } from './artifact-error.js'
import { extractZip } from './unzip.js'

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
 * is then extracted, and anything else is saved as it is.
 */
export async function downloadInputArtifacts(
  inputs: readonly DeclaredInput[],
  root: string,
  s3: S3Client,
  temporaryRoot: string = process.env.RUNNER_TEMP || tmpdir()
): Promise<DownloadedArtifact[]> {
  const downloaded: DownloadedArtifact[] = []
  const scratch = await mkdtemp(join(temporaryRoot, 'codepipeline-input-'))
  try {
    for (const input of inputs) {
      const name = input.name ?? ''
      try {
        downloaded.push(await downloadOne(input, resolve(root, name), s3, join(scratch, 'artifact')))
      } catch (error) {
        throw new ArtifactError('Input', name, error)
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
  return downloaded
}

async function downloadOne(
  input: DeclaredInput,
  destination: string,
  s3: S3Client,
  file: string
): Promise<DownloadedArtifact> {
  const { bucketName, objectKey } = input.location?.s3Location ?? {}
  if (!bucketName || !objectKey) throw new Error('the job gives no S3 location for it')
  const existing = await readdir(destination).catch(() => [])
  if (existing.length > 0) throw new Error(`${destination} is not empty; download into a new directory`)

  const object = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: objectKey }))
  if (!object.Body) throw new Error(`s3://${bucketName}/${objectKey} has no body`)
  await pipeline(object.Body as Readable, createWriteStream(file))
  const { size: bytes } = await stat(file)
  await mkdir(destination, { recursive: true })
  if (isZip(await firstBytes(file))) {
    const entries = await extractZip(file, destination)
    return { name: input.name!, path: destination, format: 'zip', bytes, entries }
  }
  await copyFile(file, join(destination, basename(objectKey)))
  return { name: input.name!, path: destination, format: 'raw', bytes }
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
