import { S3Client } from '@aws-sdk/client-s3'
import type { CredentialProvider } from './job-credentials.js'
import { proxyAgents } from '../portable/proxy.js'
import { ACTION_NAME, ACTION_VERSION } from '../portable/version.js'

/**
 * An S3 client for the pipeline's artifact bucket: the pipeline's Region, the
 * job's credentials, the SDK's own AWS_ENDPOINT_URL_S3 when set, and the
 * environment's proxy.
 */
export function artifactStoreClient(options: {
  readonly region: string
  readonly credentials: CredentialProvider
  readonly maxAttempts: number
}): S3Client {
  return new S3Client({
    region: options.region,
    credentials: options.credentials,
    maxAttempts: options.maxAttempts,
    retryMode: 'standard',
    customUserAgent: [[ACTION_NAME, ACTION_VERSION]],
    // The artifact store is in the pipeline's Region, but a redirect costs only a retry.
    followRegionRedirects: true,
    // A stalled transfer must fail and be retried, not hold the step until the job times out.
    requestHandler: {
      connectionTimeout: 10_000,
      requestTimeout: 120_000,
      socketTimeout: 120_000,
      throwOnRequestTimeout: true,
      ...proxyAgents()
    }
  })
}
