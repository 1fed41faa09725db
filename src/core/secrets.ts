import * as core from '@actions/core'
import { proxyCredentials } from './proxy.js'

/** Environment variables whose values must never reach a log, output or summary. */
const SECRET_ENVIRONMENT = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const

/** Masks the AWS credentials and proxy passwords in the environment; runs before anything can print them. */
export function maskEnvironmentSecrets(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of SECRET_ENVIRONMENT) {
    const value = env[name]?.trim()
    if (value) core.setSecret(value)
  }
  for (const secret of proxyCredentials(env)) core.setSecret(secret)
}
