import { repositoryId, type FakeRun } from './fake-github-actions.js'
import type { FakeOidcIssuer } from './fake-oidc-issuer.js'

/** The audience a run asks for when it calls the bridge at this endpoint: the endpoint's origin, as https. */
export function endpointAudience(endpoint: string): string {
  return `https://${new URL(endpoint).host}`
}

/** The claims GitHub puts in an OIDC token of this run, for this audience; `overrides` go on top. */
export function runClaims(
  run: FakeRun,
  audience: string,
  overrides: Record<string, string> = {}
): Record<string, string> {
  const ref = `refs/heads/${run.ref}`
  const workflowRef = `${run.repository}/.github/workflows/${run.workflow}@${ref}`
  return {
    aud: audience,
    sub: `repo:${run.repository}:ref:${ref}`,
    repository: run.repository,
    repository_id: String(repositoryId(run.repository)),
    repository_owner: run.repository.split('/')[0] ?? '',
    run_id: String(run.id),
    run_attempt: String(run.run_attempt),
    event_name: 'workflow_dispatch',
    workflow_ref: workflowRef,
    job_workflow_ref: workflowRef,
    sha: '6dcb09b5b57875f334f61aebed695e2e4193db5e',
    ref,
    actor: run.actor.login,
    actor_id: String(run.actor.id),
    ...overrides
  }
}

/**
 * A runner's environment in credential-free mode: where to ask for an OIDC
 * token, and no AWS credentials or Region at all. Every AWS endpoint points
 * at `awsEndpoint` (a trap, in the tests), so that any AWS call shows.
 */
export function credentialFreeEnvironment(
  issuer: FakeOidcIssuer,
  awsEndpoint = 'http://127.0.0.1:9'
): Record<string, string | undefined> {
  return {
    ...issuer.runnerEnvironment(),
    AWS_REGION: undefined,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_ENDPOINT_URL_S3: awsEndpoint,
    AWS_ENDPOINT_URL_STS: awsEndpoint
  }
}
