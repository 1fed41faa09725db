import * as log from '../runner/step-log.js'
import { explainCallError } from '../portable/aws-errors.js'
import { CodePipelineCallError, type AwsSettings, type CodePipeline } from '../portable/codepipeline.js'
import { InputError } from '../portable/errors.js'
import { maskCredentials, maskSecret } from '../runner/secrets.js'
import { STOP_CLEANUP_MS } from '../runner/stop.js'
import { planOutputArtifacts, type OutputArtifactsRequest } from '../artifacts/output-mapping.js'
import type { UploadedArtifact } from '../artifacts/upload.js'
import type { FailureType } from '../portable/limits.js'
import { pipelineExecution, type PipelineExecution } from '../portable/console-links.js'
import { artifactConnection, BridgeJobCalls, regionOf } from '../runner/bridge-client.js'

export type ShipResult = (
  | { readonly ok: true; readonly uploaded: readonly UploadedArtifact[] }
  | { readonly ok: false; readonly type: FailureType; readonly message: string }
) & {
  /** The job's pipeline execution, learnt from reading the job; undefined when it could not be read. */
  readonly execution?: PipelineExecution
}

/**
 * Puts the build's output artifacts where the job says, before any result is
 * reported: a success is only reported once every artifact is in place.
 * Reads the job for its output locations, key and S3 credentials.
 */
export async function shipOutputArtifacts(
  request: OutputArtifactsRequest,
  pipeline: Pick<CodePipeline, 'getJobDetails'> & { readonly region?: CodePipeline['region'] },
  aws: AwsSettings,
  jobId: string,
  {
    workspace = process.env.GITHUB_WORKSPACE || process.cwd(),
    stopped
  }: { readonly workspace?: string; readonly stopped?: AbortSignal } = {}
): Promise<ShipResult> {
  let details
  try {
    details = await pipeline.getJobDetails(jobId)
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error
    const reason = explainCallError(error, { ...aws, jobId })
    return { ok: false, type: 'JobFailed', message: `Could not read the job's output artifact locations: ${reason}` }
  }
  const data = details?.data
  maskCredentials(data?.artifactCredentials)
  // Through the bridge, the pipeline's ARN says the Region, as the job action reads it.
  const region = pipeline.region === undefined ? regionOf(data?.pipelineContext?.pipelineArn) : await pipeline.region
  const execution = pipelineExecution(data?.pipelineContext, region)

  let plans
  try {
    plans = planOutputArtifacts(request, data?.outputArtifacts ?? [], workspace)
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    return { ok: false, type: 'ConfigurationError', message: error.message, execution }
  }
  const store = await import('../artifacts/index.js')
  const onUploaded = (artifact: UploadedArtifact): void =>
    log.info(
      `Uploaded output artifact ${artifact.name} (${artifact.bytes} bytes) ${artifact.bucketName ? `to s3://${artifact.bucketName}/${artifact.objectKey}` : 'through the bridge'}.`
    )
  const stop = stopped && { stop: { signal: stopped, cleanupMs: STOP_CLEANUP_MS } }
  if (pipeline instanceof BridgeJobCalls) {
    // Credential-free mode: the bridge signs each part's URL for the job's own bucket and key.
    try {
      const connection = artifactConnection(pipeline.client, jobId)
      const uploaded = await store.uploadJobOutputsThroughBridge(plans, connection, { ...stop, onUploaded })
      return { ok: true, uploaded, execution }
    } catch (error) {
      if (!(error instanceof store.ArtifactError)) throw error
      return { ok: false, type: 'JobFailed', message: error.message, execution }
    }
  }
  if (!data?.artifactCredentials) {
    return {
      ok: false,
      type: 'JobFailed',
      message: 'CodePipeline gave no artifact credentials with the job.',
      execution
    }
  }

  try {
    const uploaded = await store.uploadJobOutputs(
      plans,
      {
        pipeline: { getJobDetails: (id) => pipeline.getJobDetails(id), region: Promise.resolve(region ?? '') },
        jobId,
        credentials: data.artifactCredentials,
        maxAttempts: aws.maxAttempts,
        maskSecret
      },
      {
        kmsKeyId: data.encryptionKey?.type === 'KMS' ? data.encryptionKey.id : undefined,
        ...stop,
        onUploaded
      }
    )
    return { ok: true, uploaded, execution }
  } catch (error) {
    if (!(error instanceof store.ArtifactError)) throw error
    log.debug(`Upload failed: ${String(error.cause)}`)
    return { ok: false, type: 'JobFailed', message: error.message, execution }
  }
}
