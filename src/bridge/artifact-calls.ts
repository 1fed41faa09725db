import type { JobDetails } from '@aws-sdk/client-codepipeline'
import type { S3ClientConfig } from '@aws-sdk/client-s3'
import { BRIDGE_ROUTES, type BridgeRoute } from '../portable/bridge-protocol.js'
import { errorMessage } from '../portable/errors.js'
import { ArtifactCallRefused, jobArtifactUrls, type JobArtifactUrls } from './artifact-urls.js'
import type { Clock } from './clock.js'
import { answer, type HttpAnswer } from './endpoint.js'
import type { Logger } from './json-log.js'
import type { BridgeRecord } from './record.js'
import type { StateStore } from './state-store.js'

/** How the bridge reaches a job's artifact store: its Region, and the client settings its other calls use. */
export interface ArtifactAccess {
  readonly region: string
  readonly client: Omit<S3ClientConfig, 'region' | 'credentials'>
}

interface ArtifactParts {
  readonly artifactAccess: ArtifactAccess
  readonly store: StateStore
  readonly clock: Pick<Clock, 'now'>
  readonly log: Logger
}

/** An open upload as the record lists it: `<uploadId> <artifact name>`; neither holds a space. */
const entry = (uploadId: string, name: string): string => `${uploadId} ${name}`

function urlsFor(parts: ArtifactParts, job: JobDetails): JobArtifactUrls {
  const { region, client } = parts.artifactAccess
  return jobArtifactUrls(job.data ?? {}, { region, now: () => parts.clock.now(), s3: client })
}

/**
 * The artifact routes for a bound run: URLs signed with the job's own
 * credentials, for the job's own buckets and keys. Each upload the run starts
 * is noted on the record until it completes, so that one left open is
 * aborted once the job has its result.
 */
export async function answerArtifactCall(
  parts: ArtifactParts,
  record: BridgeRecord,
  route: BridgeRoute,
  job: JobDetails,
  fields: Record<string, unknown>
): Promise<HttpAnswer> {
  const urls = urlsFor(parts, job)
  const call = fields as never
  try {
    switch (route) {
      case BRIDGE_ROUTES.download:
        return answer(200, await urls.signDownload(call))
      case BRIDGE_ROUTES.uploadPart:
        return answer(200, await urls.signUploadPart(call))
      case BRIDGE_ROUTES.uploadStart: {
        const uploadId = await urls.startUpload(call)
        if (await parts.store.noteUpload(record.key, entry(uploadId, String(fields.name)), true))
          return answer(200, { uploadId })
        await urls.abortUpload({ jobId: String(fields.jobId), name: String(fields.name), uploadId })
        return answer(409, { error: 'too-many-uploads', message: 'The job has as many open uploads as it may have' })
      }
      default: {
        const done = route === BRIDGE_ROUTES.uploadComplete
        await (done ? urls.completeUpload(call) : urls.abortUpload(call))
        await parts.store.noteUpload(record.key, entry(String(fields.uploadId), String(fields.name)), false)
        return answer(200, {})
      }
    }
  } catch (error) {
    if (error instanceof ArtifactCallRefused) return answer(400, { error: error.code, message: error.message })
    throw error
  } finally {
    urls.destroy()
  }
}

/** Aborts the uploads a run left open: once the job has its result, none of them can complete. */
export async function abortOpenUploads(
  parts: ArtifactParts & { readonly pipeline: { getJobDetails(jobId: string): Promise<JobDetails | undefined> } },
  record: BridgeRecord
): Promise<void> {
  const open = 'uploads' in record ? (record.uploads ?? []) : []
  if (open.length === 0 || record.jobId === undefined) return
  const jobId = record.jobId
  try {
    const job = await parts.pipeline.getJobDetails(jobId)
    if (job === undefined) return
    const urls = urlsFor(parts, job)
    try {
      for (const listed of open) {
        const [uploadId = '', name = ''] = listed.split(' ')
        await urls.abortUpload({ jobId, name, uploadId })
        await parts.store.noteUpload(record.key, listed, false)
      }
    } finally {
      urls.destroy()
    }
  } catch (error) {
    // An upload left open costs its parts until the bucket's lifecycle rule removes them; it harms nothing else.
    parts.log.warn(`Could not abort an output artifact's open upload: ${errorMessage(error)}`, { jobId })
  }
}
