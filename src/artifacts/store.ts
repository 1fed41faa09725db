/**
 * The artifact code's door, loaded with `await import()` only when a step
 * moves artifacts, so that reporting alone never loads S3 or zip code.
 */
import type { AWSSessionCredentials } from '@aws-sdk/client-codepipeline'
import { downloadInputArtifacts, type DeclaredInput, type DownloadedArtifact } from './download.js'
import { jobCredentialProvider, type CredentialsRefresh } from './credentials.js'
import type { OutputArtifactPlan } from './output-mapping.js'
import { artifactStoreClient } from './s3.js'
import { uploadOutputArtifacts, type UploadedArtifact } from './upload.js'

export interface ArtifactStoreAccess {
  readonly region: string
  readonly credentials: AWSSessionCredentials
  readonly refresh: CredentialsRefresh
  readonly maxAttempts: number
}

function client(access: ArtifactStoreAccess) {
  return artifactStoreClient(
    access.region,
    jobCredentialProvider(access.credentials, access.refresh),
    access.maxAttempts
  )
}

export async function uploadOutputs(
  plans: readonly OutputArtifactPlan[],
  access: ArtifactStoreAccess,
  kmsKeyId: string | undefined,
  onUploaded?: (artifact: UploadedArtifact) => void
): Promise<UploadedArtifact[]> {
  const s3 = client(access)
  try {
    return await uploadOutputArtifacts(plans, s3, kmsKeyId, onUploaded)
  } finally {
    s3.destroy()
  }
}

export async function downloadInputs(
  inputs: readonly DeclaredInput[],
  root: string,
  access: ArtifactStoreAccess
): Promise<DownloadedArtifact[]> {
  const s3 = client(access)
  try {
    return await downloadInputArtifacts(inputs, root, s3)
  } finally {
    s3.destroy()
  }
}

export { ArtifactError } from './artifact-error.js'
export type { DownloadedArtifact, UploadedArtifact }
