import * as core from '@actions/core'

/** A set of AWS credentials, as the environment, the SDK or a job's data hold them. */
export interface CredentialValues {
  readonly accessKeyId?: string
  readonly secretAccessKey?: string
  readonly sessionToken?: string
}

/** Masks every part of a set of AWS credentials; runs before anything can print them. */
export function maskCredentials(credentials: CredentialValues | undefined): void {
  for (const value of [credentials?.accessKeyId, credentials?.secretAccessKey, credentials?.sessionToken]) {
    if (value) core.setSecret(value)
  }
}

/** Masks the AWS credentials in the environment, which the SDK reads. */
export function maskEnvironmentSecrets(env: NodeJS.ProcessEnv = process.env): void {
  maskCredentials({
    accessKeyId: env.AWS_ACCESS_KEY_ID?.trim(),
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY?.trim(),
    sessionToken: env.AWS_SESSION_TOKEN?.trim()
  })
}
