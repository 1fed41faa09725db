/**
 * The artifact code's door, loaded with `await import()` only when a step
 * moves artifacts, so that reporting alone never loads S3 or zip code.
 */
import type { AWSSessionCredentials } from '@aws-sdk/client-codepipeline'
import type { S3Client } from '@aws-sdk/client-s3'
import type { CodePipeline } from '../portable/codepipeline.js'
import { bridgeObjectStore, type BridgeConnection } from './bridge-store.js'
import { downloadInputArtifacts, type DeclaredInput, type DownloadedArtifact } from './download.js'
import { jobCredentialProvider } from './job-credentials.js'
import { s3ObjectStore } from './object-store.js'
import type { OutputArtifactPlan } from './output-mapping.js'
import { artifactStoreClient } from './s3.js'
import { uploadOutputArtifacts, type UploadOptions, type UploadProgress, type UploadedArtifact } from './upload.js'

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
  return withClient(store, (s3) => uploadOutputArtifacts(plans, s3ObjectStore(s3, options), options))
}

/** Downloads the job's input artifacts, each into `<root>/<ArtifactName>/`. */
export async function downloadJobInputs(
  inputs: readonly DeclaredInput[],
  root: string,
  store: JobArtifactStore
): Promise<DownloadedArtifact[]> {
  return withClient(store, (s3) => downloadInputArtifacts(inputs, root, s3ObjectStore(s3)))
}

/**
 * Uploads the output artifacts through the bridge, for a run that holds no AWS
 * credentials: by name, to the locations the job gave them, encrypted as the
 * job asks. A plan needs no bucket or key here; the bridge knows them.
 */
export async function uploadJobOutputsThroughBridge(
  plans: readonly OutputArtifactPlan[],
  bridge: BridgeConnection,
  options: UploadProgress = {}
): Promise<UploadedArtifact[]> {
  return uploadOutputArtifacts(plans, bridgeObjectStore(bridge), options)
}

/** Downloads the job's input artifacts through the bridge, each into `<root>/<ArtifactName>/`, as `downloadJobInputs` does. */
export async function downloadJobInputsThroughBridge(
  inputs: readonly DeclaredInput[],
  root: string,
  bridge: BridgeConnection
): Promise<DownloadedArtifact[]> {
  return downloadInputArtifacts(inputs, root, bridgeObjectStore(bridge))
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
export type { BridgeCall, BridgeConnection } from './bridge-store.js'
export type { DownloadedArtifact, UploadedArtifact, UploadProgress }
