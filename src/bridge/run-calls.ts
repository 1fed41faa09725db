import { BRIDGE_ROUTES } from '../portable/bridge-protocol.js'
import { abortOpenUploads, answerArtifactCall } from './artifact-calls.js'
import { CodePipelineCallError } from '../portable/codepipeline.js'
import { errorMessage } from '../portable/errors.js'
import { PERCENT_COMPLETE } from '../portable/limits.js'
import { admit, answer, readBody, UNAUTHORIZED, type HttpAnswer, type UrlEvent } from './endpoint.js'
import { GitHubError } from './github-request.js'
import type { RunClaims, TokenVerdict } from './oidc.js'
import { mayHold, passOn } from './hold.js'
import type { BridgeRecord, ReportedRecord, RunningRecord } from './record.js'
import { bindingProblem, runFacts, type BoundRun, type RunFacts } from './run-binding.js'
import { closedDelivered, readReport, sameReport, storedReport } from './run-report.js'
import { work } from './steps.js'
import { Session, type BridgeParts, type Invocation } from './session.js'

/** The endpoint's parts beyond the bridge's own: the OIDC key set. */
export interface EndpointParts extends BridgeParts {
  readonly keys: { verify(token: string, audience: string): Promise<TokenVerdict> }
}

/** A closed record that still holds the run's report. */
type KeptReport = Omit<ReportedRecord, 'phase'> & { readonly phase: 'closed'; readonly closedBecause?: string }

/** A run's call, verified and bound: who made it, for which job, and the job's record. */
interface BoundCall {
  readonly claims: RunClaims
  readonly jobId: string
  readonly fields: Record<string, unknown>
  readonly record: BridgeRecord & BoundRun
}

/**
 * Answers a call to the endpoint. The order is the security: the cheap
 * checks first, then the token's signature, issuer, audience and time,
 * and only then anything that reads the state or names a check.
 */
export async function answerRunCall(
  parts: EndpointParts,
  event: UrlEvent,
  invocation: Invocation
): Promise<HttpAnswer> {
  const { log } = parts
  const admitted = admit(event)
  if ('refusal' in admitted) {
    log.info(`Refused a call: ${admitted.reason}`)
    return admitted.refusal
  }
  // The audience is unique to the stack: its endpoint's origin, which Lambda names, and the action derives from its input.
  const { domainName } = event.requestContext
  if (!domainName) return UNAUTHORIZED
  const audience = `https://${domainName}`
  let verdict: TokenVerdict
  try {
    verdict = await parts.keys.verify(admitted.token, audience)
  } catch (error) {
    log.warn(`Could not read the OIDC issuer's keys: ${errorMessage(error)}`)
    return answer(503, { error: 'unavailable', message: "The bridge could not read GitHub's OIDC keys; try again" })
  }
  if (!verdict.ok) {
    log.warn(`Refused a call: ${verdict.reason}`)
    return UNAUTHORIZED
  }
  const { claims } = verdict
  const caller = { repository: claims.repository, runId: claims.run_id, attempt: claims.run_attempt, jti: claims.jti }
  const body = readBody(admitted.body)
  if (typeof body === 'string') return refuse(parts, 400, 'malformed', body, caller)
  try {
    const bound = await bind(parts, claims, body.jobId, caller)
    if ('statusCode' in bound) return bound
    const call = { claims, jobId: body.jobId, fields: body.fields, record: bound }
    if (admitted.route === BRIDGE_ROUTES.result) return await answerResult(parts, call, invocation)
    if (admitted.route === BRIDGE_ROUTES.progress) return await answerProgress(parts, call, invocation)
    // Artifacts only while the run may still report: none is replaced once the job has its result.
    if (admitted.route !== BRIDGE_ROUTES.job && bound.phase !== 'running')
      return answer(409, { error: 'already-answered', message: `Job ${body.jobId} already has its result` })
    // Read while the job is still the current one, before a first call continues it.
    const job = await parts.pipeline.getJobDetails(bound.jobId)
    if (job?.data === undefined)
      return refuse(parts, 404, 'unknown-job', `CodePipeline has no job ${body.jobId} any more`, caller)
    // The run's first call: from now on the bridge holds the action for it, and the console links to the run.
    if (mayHold(bound) && bound.heldAt === undefined)
      await withLease(parts, invocation, bound, (session, leased) =>
        passOn(session, leased, { percentComplete: 0, summary: `Running in GitHub Actions: run ${leased.runId}` })
      )
    if (admitted.route === BRIDGE_ROUTES.job) {
      // The job as GetJobDetails gives it, without the S3 credentials: the run gets signed URLs instead.
      return answer(200, { job: { ...job, data: { ...job.data, artifactCredentials: undefined } } })
    }
    return await answerArtifactCall(parts, bound, admitted.route, job, body.fields)
  } catch (error) {
    const retryable = error instanceof GitHubError || error instanceof CodePipelineCallError
    log.error(`Could not answer a run's call: ${errorMessage(error)}`, { jobId: body.jobId, ...caller })
    return answer(retryable ? 503 : 500, {
      error: retryable ? 'unavailable' : 'internal',
      message: retryable
        ? 'GitHub or CodePipeline did not answer the bridge; try again'
        : 'The bridge failed; see its log'
    })
  }
}

/** Finds the job's record and holds the token against the run the bridge started for it. */
async function bind(
  parts: EndpointParts,
  claims: RunClaims,
  jobId: string,
  caller: Record<string, string>
): Promise<HttpAnswer | BoundCall['record']> {
  const [owner = '', repo = ''] = claims.repository.split('/')
  if (!parts.settings.allowedRepos.allows(owner, repo))
    return refuse(
      parts,
      403,
      'repository-not-allowed',
      `${claims.repository} is not in the bridge's AllowedRepos`,
      caller
    )
  const record = await parts.store.findByJob(jobId)
  const bound = record && boundRun(record)
  if (record === undefined || bound === undefined)
    return refuse(
      parts,
      404,
      'unknown-job',
      `The bridge started no run for job ${jobId}: pass the job-id input the run was dispatched with`,
      caller
    )
  // What the token says of itself is checked first: a wrong token costs no GitHub call.
  if (claims.run_id !== String(bound.runId) || claims.event_name !== 'workflow_dispatch')
    return refuse(
      parts,
      403,
      'not-your-job',
      `This run may not answer the job: it is not the run the bridge started for job ${jobId}`,
      caller
    )
  let facts: RunFacts | undefined = 'runFacts' in record ? record.runFacts : undefined
  if (facts === undefined) {
    const run = await parts.github.run(bound.target.owner, bound.target.repo, bound.runId)
    facts = runFacts(run)
    if (facts === undefined)
      return refuse(parts, 403, 'not-bound', `GitHub did not say enough of run ${bound.runId} to bind it`, caller)
    await parts.store.keepRunFacts(record.key, jobId, bound.runId, facts)
  }
  const identity = await parts.github.identity(bound.target.owner, bound.target.repo)
  const problem = bindingProblem(claims, bound, facts, identity)
  if (problem !== undefined)
    return refuse(parts, 403, 'not-your-job', `This run may not answer the job: ${problem}`, caller)
  return { ...record, ...bound }
}

/** The run a record is bound to: a run the bridge started and recorded; undefined before that. */
function boundRun(record: BridgeRecord): BoundRun | undefined {
  if (record.phase === 'unreadable' || record.phase === 'expected' || record.phase === 'dispatching') return undefined
  if (!('runId' in record) || record.runId === undefined || record.jobId === undefined) return undefined
  const { jobId, runId } = record
  const target = 'target' in record ? record.target : undefined
  const ref = 'ref' in record ? record.ref : undefined
  const dispatchedAt = 'dispatchedAt' in record ? record.dispatchedAt : undefined
  if (target === undefined || ref === undefined || dispatchedAt === undefined) return undefined
  const foundByName = 'foundByName' in record ? record.foundByName : undefined
  return { jobId, runId, target, ref, dispatchedAt, ...(foundByName !== undefined && { foundByName }) }
}

/**
 * The run's result: checked at once against CodePipeline's limits, kept,
 * then delivered. 200 once CodePipeline has it; 202 when it is kept and
 * the sweep delivers it; 409 when the job already has another result.
 */
async function answerResult(parts: EndpointParts, call: BoundCall, invocation: Invocation): Promise<HttpAnswer> {
  const { record, claims, jobId } = call
  const report = readReport(call.fields, record.runId)
  if ('problems' in report)
    return answer(400, {
      error: 'invalid-result',
      message: `The result breaks CodePipeline's rules: ${report.problems.join('; ')}`
    })
  const kept =
    'report' in record && record.report instanceof Uint8Array ? (record as ReportedRecord | KeptReport) : undefined
  if (kept) {
    if (!sameReport(kept, report))
      return answer(409, {
        error: 'already-answered',
        message: `Job ${jobId} already has a different result from this run`
      })
    if (kept.phase === 'reported') return answer(202, { confirmed: false, already: true })
    if (kept.phase === 'closed' && closedDelivered(kept.closedBecause, kept.reportKind))
      return answer(200, { confirmed: true, already: true })
    return answer(409, {
      error: 'already-answered',
      message: `Job ${jobId} already has another result: see the pipeline execution`
    })
  }
  if (record.phase !== 'running')
    return answer(409, {
      error: 'already-answered',
      message: `The bridge already decided job ${jobId}: see the pipeline execution for its result`
    })
  const session = new Session(parts, invocation, { kind: 'ignored', reason: "a run's result" })
  const leased = await parts.store.lease(record.key, session.lease())
  if (leased?.phase !== 'running' || leased.runJobId !== jobId) {
    await session.letGo(leased)
    return answer(
      503,
      { error: 'busy', message: 'The bridge is working on this job; try again in a few seconds' },
      { 'retry-after': '2' }
    )
  }
  parts.log.info(`Accepted the run's ${report.kind}`, {
    jobId,
    actionExecutionId: record.key,
    pipelineExecutionId: record.place?.executionId,
    repository: claims.repository,
    runId: claims.run_id,
    attempt: claims.run_attempt,
    sha: claims.sha,
    ref: claims.ref,
    actor: claims.actor,
    jti: claims.jti
  })
  // The run is done: an upload it left open can no longer complete.
  await abortOpenUploads(parts, leased)
  const reported = await session.save(leased, { phase: 'reported', ...storedReport(report), reportedAt: session.now })
  if (reported?.phase !== 'reported')
    return answer(503, { error: 'busy', message: 'The bridge lost the job; try again' })
  // Through the record's steps: the result waits there for the job a continuation leads to.
  await work(session, reported)
  const after = await parts.store.get(record.key)
  if (after?.phase === 'closed' && closedDelivered(after.closedBecause, report.kind))
    return answer(200, { confirmed: true })
  if (after?.phase === 'closed')
    return answer(409, {
      error: 'already-answered',
      message: `CodePipeline did not take the result for job ${jobId}, which already had one: see the pipeline execution`
    })
  return answer(202, { confirmed: false })
}

/**
 * Progress: passed on to CodePipeline as the current job's answer, with a
 * continuation. While the bridge waits for the job its last continuation
 * leads to, there is no job to answer: the progress is not passed on (202).
 */
async function answerProgress(parts: EndpointParts, call: BoundCall, invocation: Invocation): Promise<HttpAnswer> {
  const { percentComplete = 0, summary = `Running in GitHub Actions: run ${call.record.runId}` } = call.fields
  const { min, max } = PERCENT_COMPLETE
  if (!(Number.isInteger(percentComplete) && (percentComplete as number) >= min && (percentComplete as number) <= max))
    return answer(400, {
      error: 'invalid-progress',
      message: `percentComplete must be a whole number from ${min} to ${max}`
    })
  if (typeof summary !== 'string' || summary === '')
    return answer(400, { error: 'invalid-progress', message: 'summary must be text' })
  if (call.record.phase !== 'running')
    return answer(409, { error: 'already-answered', message: `Job ${call.jobId} already has its result` })
  const passed = await withLease(parts, invocation, call.record, (session, leased) =>
    passOn(session, leased, { percentComplete: percentComplete as number, summary })
  )
  return passed
    ? answer(200, { confirmed: true })
    : answer(202, {
        confirmed: false,
        message: 'The bridge is between two jobs of the action: this progress was not passed on; the next one will be'
      })
}

/** Runs `act` on the record under a lease of this call's own, when it may hold the job; false otherwise. */
async function withLease(
  parts: EndpointParts,
  invocation: Invocation,
  record: BoundCall['record'],
  act: (session: Session, record: RunningRecord & { readonly runId: number }) => Promise<boolean>
): Promise<boolean> {
  const session = new Session(parts, invocation, { kind: 'ignored', reason: "a run's call" })
  const leased = await parts.store.lease(record.key, session.lease())
  if (leased === undefined) return false
  // Still the same job and run as the call was bound to: a record claimed anew meanwhile is left alone.
  const runJobId = (record: BridgeRecord) => ('runJobId' in record ? record.runJobId : undefined)
  const same = runJobId(leased) === runJobId(record) && mayHold(leased) && leased.runId === record.runId
  const done = same && (await act(session, leased))
  await session.letGo(leased)
  return done
}

function refuse(
  parts: EndpointParts,
  status: number,
  error: string,
  message: string,
  caller: Record<string, string>
): HttpAnswer {
  parts.log.warn(`Refused a run's call: ${message}`, caller)
  return answer(status, { error, message })
}
