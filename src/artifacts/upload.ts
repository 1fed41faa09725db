import { fromFd } from 'yauzl'
import { ArtifactError } from './artifact-error.js'
import { uploadTo, type ObjectWriter, type UploadStop } from './multipart.js'
import type { ObjectStore } from './object-store.js'
import type { OutputArtifactPlan } from './output-mapping.js'
import type { OpenedFile } from './source-file.js'
import { listDirectory, listSingleFile, writeFileAsIs, writeZip } from './zip-writer.js'

/**
 * Parts of 8 MiB, three at once: three 8 MiB buffers in all, whatever the
 * artifact's size. Measured, three send as fast as lib-storage's four, and
 * keep the whole process under 150 MiB.
 */
const PART_SIZE = 8 * 1024 * 1024
const CONCURRENCY = 3

export interface UploadedArtifact {
  readonly name: string
  readonly bytes: number
  readonly bucketName: string
  readonly objectKey: string
}

export interface UploadOptions extends UploadProgress {
  /** The job's KMS key; undefined for the AWS-managed key. */
  readonly kmsKeyId?: string
}

/** What the caller hears of, and may do to, uploads under way. */
export interface UploadProgress {
  /** Called as each artifact is in place. */
  readonly onUploaded?: (artifact: UploadedArtifact) => void
  /** When the step is told to stop: the upload in progress aborts itself, and no other starts. */
  readonly stop?: UploadStop
}

/**
 * Uploads each output artifact as a zip to the location the job gave it, one
 * after another, encrypted as the store does it. The zip is made as it is
 * sent, never held in memory.
 */
export async function uploadOutputArtifacts(
  plans: readonly OutputArtifactPlan[],
  store: Pick<ObjectStore, 'uploadTarget'>,
  { onUploaded, stop }: UploadProgress = {}
): Promise<UploadedArtifact[]> {
  const uploaded: UploadedArtifact[] = []
  for (const plan of plans) {
    try {
      const { bytes } = await uploadTo(store.uploadTarget(plan), artifactWriter(plan), {
        partSize: PART_SIZE,
        concurrency: CONCURRENCY,
        stop
      })
      const artifact = { name: plan.name, bytes, bucketName: plan.bucketName, objectKey: plan.objectKey }
      uploaded.push(artifact)
      onUploaded?.(artifact)
    } catch (error) {
      throw new ArtifactError('Output', plan.name, error)
    }
  }
  return uploaded
}

/** What goes up for a plan; every file is listed and checked before a byte is sent. */
function artifactWriter(plan: OutputArtifactPlan): ObjectWriter {
  if (plan.kind === 'zip') return (sink) => writeFileAsIs(plan.path, sink, checkZip)
  const entries = plan.kind === 'directory' ? listDirectory(plan.path) : listSingleFile(plan.path)
  return (sink) => writeZip(entries, sink)
}

/** A .zip goes up as it is, so it must be one: later actions will open it. */
function checkZip(file: OpenedFile): Promise<void> {
  return new Promise((resolve, reject) => {
    // Not closed here: yauzl would close the descriptor, which is still to be read from and is closed by its owner.
    fromFd(file.fd, { lazyEntries: true, autoClose: false }, (error) => {
      if (error)
        return reject(
          new Error(
            `${JSON.stringify(file.name)} is not a readable zip file (${error.message}). A path ending in .zip is uploaded as it is: rebuild the zip, or map a directory or a file not named .zip to have it zipped`
          )
        )
      resolve()
    })
  })
}
