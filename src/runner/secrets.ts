import * as core from '@actions/core'
import { proxyCredentials } from '../portable/proxy.js'

/** A set of AWS credentials, as the environment, the SDK or a job's data hold them. */
export interface CredentialValues {
  readonly accessKeyId?: string
  readonly secretAccessKey?: string
  readonly sessionToken?: string
}

/** Keeps a value out of every line the runner shows from here on. */
export function maskSecret(secret: string): void {
  core.setSecret(secret)
}

/** Masks every part of a set of AWS credentials; runs before anything can print them. */
export function maskCredentials(credentials: CredentialValues | undefined): void {
  for (const value of [credentials?.accessKeyId, credentials?.secretAccessKey, credentials?.sessionToken]) {
    if (value) maskSecret(value)
  }
}

/** Masks the AWS credentials in the environment, which the SDK reads, and the proxy's password. */
export function maskEnvironmentSecrets(env: NodeJS.ProcessEnv = process.env): void {
  maskCredentials({
    accessKeyId: env.AWS_ACCESS_KEY_ID?.trim(),
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY?.trim(),
    sessionToken: env.AWS_SESSION_TOKEN?.trim()
  })
  for (const secret of proxyCredentials(env)) maskSecret(secret)
}
