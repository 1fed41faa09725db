/**
 * The artifact code's door, loaded with `await import()` only when a step
 * moves artifacts, so that reporting alone never loads S3 or zip code.
 */
import type { AWSSessionCredentials } from '@aws-sdk/client-codepipeline'
import type { S3Client } from '@aws-sdk/client-s3'
import type { CodePipeline } from '../portable/codepipeline.js'
import { downloadInputArtifacts, type DeclaredInput, type DownloadedArtifact } from './download.js'
import { jobCredentialProvider } from './job-credentials.js'
import type { OutputArtifactPlan } from './output-mapping.js'
import { artifactStoreClient } from './s3.js'
import { uploadOutputArtifacts, type UploadOptions, type UploadedArtifact } from './upload.js'

/** How a job reaches its pipeline's artifact store. */
export interface JobArtifactStore {
  /** The CodePipeline client that read the job: the store is in its Region, and it fetches fresh credentials. */
  readonly pipeline: Pick<CodePipeline, 'region' | 'getJobDetails'>
  readonly jobId: string
  /** The temporary S3 credentials that came with the job. */
  readonly credentials: AWSSessionCredentials
  /** Attempts per S3 request, as 'max-attempts' allows CodePipeline calls. */
  readonly maxAttempts: number
  /** Keeps a secret out of every log: the credentials GetJobDetails refreshes go through it. */
  readonly maskSecret: (secret: string) => void
}

/** Uploads the output artifacts to the locations the job gave them. */
export async function uploadJobOutputs(
  plans: readonly OutputArtifactPlan[],
  store: JobArtifactStore,
  options: UploadOptions
): Promise<UploadedArtifact[]> {
  return withClient(store, (s3) => uploadOutputArtifacts(plans, s3, options))
}

/** Downloads the job's input artifacts, each into `<root>/<ArtifactName>/`. */
export async function downloadJobInputs(
  inputs: readonly DeclaredInput[],
  root: string,
  store: JobArtifactStore
): Promise<DownloadedArtifact[]> {
  return withClient(store, (s3) => downloadInputArtifacts(inputs, root, s3))
}

async function withClient<T>(store: JobArtifactStore, use: (s3: S3Client) => Promise<T>): Promise<T> {
  const s3 = artifactStoreClient({
    region: await store.pipeline.region,
    credentials: jobCredentialProvider(
      store.credentials,
      async () => (await store.pipeline.getJobDetails(store.jobId))?.data?.artifactCredentials,
      store.maskSecret
    ),
    maxAttempts: store.maxAttempts
  })
  try {
    return await use(s3)
  } finally {
    s3.destroy()
  }
}

export { ArtifactError } from './artifact-error.js'
export type { DownloadedArtifact, UploadedArtifact }
