import type { RunClaims } from './oidc.js'
import type { WorkflowRun } from './github.js'
import type { WorkflowTarget } from './target.js'

/**
 * What GitHub says of the run the bridge started, read once and kept with
 * the record: a run's token is held against these, never against what the
 * run says of itself.
 */
export interface RunFacts {
  readonly repositoryId: number
  /** The attempt the bridge saw start; a later attempt (a re-run) may not answer. */
  readonly attempt: number
  /** `.github/workflows/FILE`, the workflow GitHub ran. */
  readonly path: string
  readonly event: string
  readonly branch: string
  readonly actorId: number
  readonly actorLogin: string
  readonly createdAt: number
}

/** The facts in a run as GitHub answered it; undefined when a field is missing or of another type. */
export function runFacts(run: WorkflowRun): RunFacts | undefined {
  const { repository, actor, run_attempt: attempt, path, event, head_branch: branch } = run
  if (
    typeof repository?.id !== 'number' ||
    typeof actor?.id !== 'number' ||
    typeof actor.login !== 'string' ||
    typeof attempt !== 'number' ||
    typeof path !== 'string' ||
    typeof event !== 'string' ||
    typeof branch !== 'string'
  )
    return undefined
  return {
    repositoryId: repository.id,
    attempt,
    path: path.replace(/@.*$/, ''),
    event,
    branch,
    actorId: actor.id,
    actorLogin: actor.login,
    createdAt: Date.parse(run.created_at)
  }
}

/** The run a job is bound to, as the record holds it. */
export interface BoundRun {
  readonly jobId: string
  readonly target: WorkflowTarget
  readonly runId: number
  /** The branch or tag the bridge dispatched. */
  readonly ref: string
  /** When the dispatch went out. */
  readonly dispatchedAt: number
  /** Set when the run was found by the job ID in its name, with how many runs carried it. */
  readonly foundByName?: number
}

/** Runs may be listed this long before the bridge's clock says it dispatched them. */
const CLOCK_SKEW_MS = 2 * 60_000

/**
 * Why this token may not answer this job; undefined when it may. The token
 * was verified already (signature, issuer, audience, time). Each check says
 * which claim failed and, where the user can do something, what.
 */
export function bindingProblem(
  claims: RunClaims,
  bound: BoundRun,
  facts: RunFacts,
  identity: string | undefined
): string | undefined {
  const { target } = bound
  const repository = `${target.owner}/${target.repo}`
  if (claims.repository.toLowerCase() !== repository.toLowerCase())
    return `the token is from ${claims.repository}, and the job's run is in ${repository}`
  if (claims.repository_id !== String(facts.repositoryId))
    return `the token's repository_id ${claims.repository_id} is not the job's repository (${facts.repositoryId})`
  if (claims.run_id !== String(bound.runId))
    return `the token is from run ${claims.run_id}, and job ${bound.jobId} belongs to run ${bound.runId}`
  // A dispatch always starts attempt 1: a re-run, whatever its number, may not answer.
  if (claims.run_attempt !== '1' || facts.attempt !== 1)
    return `the token is from attempt ${claims.run_attempt} of run ${bound.runId}, and the bridge takes answers only from attempt 1, which its dispatch started. Retry the pipeline stage to run the workflow again`
  if (claims.event_name !== 'workflow_dispatch' || facts.event !== 'workflow_dispatch')
    return `the run was started by ${claims.event_name}, not by the bridge's workflow_dispatch`
  const refs = bound.ref.startsWith('refs/') ? [bound.ref] : [`refs/heads/${bound.ref}`, `refs/tags/${bound.ref}`]
  if (!refs.includes(claims.ref)) return `the token is for ${claims.ref}, and the bridge dispatched ${bound.ref}`
  const workflowRef = `${claims.repository}/${facts.path}@${claims.ref}`
  const file = /^\d+$/.test(target.workflow) ? undefined : `.github/workflows/${target.workflow}`
  if (claims.workflow_ref !== workflowRef || (file !== undefined && facts.path !== file))
    return `the token's workflow_ref ${claims.workflow_ref} is not the workflow the bridge dispatched (${file ?? facts.path} at ${bound.ref})`
  if (claims.actor_id !== String(facts.actorId))
    return `the token's actor_id ${claims.actor_id} is not the account that started the run (${facts.actorId})`
  if (identity !== undefined && facts.actorLogin.toLowerCase() !== identity.toLowerCase())
    return `the run was started by ${facts.actorLogin}, not by the bridge (${identity})`
  if (bound.foundByName !== undefined) {
    if (bound.foundByName !== 1)
      return `${bound.foundByName} runs carry the job ID in their name, so none of them can answer for it`
    if (facts.createdAt < bound.dispatchedAt - CLOCK_SKEW_MS || facts.branch !== bound.ref.replace(/^refs\/\w+\//, ''))
      return 'the run carrying the job ID in its name was not created by the bridge’s dispatch'
  }
  return undefined
}
