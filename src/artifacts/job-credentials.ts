import type { AWSSessionCredentials } from '@aws-sdk/client-codepipeline'

/** What the SDK takes as a credential provider. */
export interface SessionCredentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string
  readonly expiration?: Date
}
export type CredentialProvider = () => Promise<SessionCredentials>

/**
 * How long job credentials are trusted. AWS documents no lifetime; 15 minutes
 * is what the service has been seen to give, and the SDK refreshes them 5
 * minutes before this.
 */
export const JOB_CREDENTIALS_LIFETIME_MS = 15 * 60 * 1000

/** Fetches the job's current credentials again, with GetJobDetails. */
export type CredentialsRefresh = () => Promise<AWSSessionCredentials | undefined>

/**
 * The job's temporary S3 credentials as an SDK credential provider: the first
 * set as handed out, fresh ones from GetJobDetails before they expire. Each
 * part of each set goes through `mask` before the SDK gets it, so that the
 * caller can keep it out of every log.
 */
export function jobCredentialProvider(
  initial: AWSSessionCredentials,
  refresh: CredentialsRefresh,
  mask: (secret: string) => void,
  now: () => number = Date.now
): CredentialProvider {
  let next: AWSSessionCredentials | undefined = initial
  return async (): Promise<SessionCredentials> => {
    const credentials = next ?? (await refresh())
    next = undefined
    if (!credentials?.accessKeyId || !credentials.secretAccessKey) {
      throw new Error('CodePipeline gave no artifact credentials for this job.')
    }
    for (const part of [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken])
      if (part) mask(part)
    return {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiration: new Date(now() + JOB_CREDENTIALS_LIFETIME_MS)
    }
  }
}
