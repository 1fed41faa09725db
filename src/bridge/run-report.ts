import type { PutJobFailureResultInput, PutJobSuccessResultInput } from '@aws-sdk/client-codepipeline'
import { errorCode } from '../portable/aws-errors.js'
import { CodePipelineCallError } from '../portable/codepipeline.js'
import { FAILURE_TYPES, requestProblems } from '../portable/limits.js'
import { acknowledgeFirst } from './answer.js'
import type { BridgeRecord, ReportedRecord } from './record.js'
import type { Session } from './session.js'

/** A run's result as it is kept and sent: the request's fields less the job ID, which the bridge sets. */
export interface RunReport {
  readonly kind: 'success' | 'failure'
  readonly fields: Readonly<Record<string, unknown>>
}

/** Stored reports stay well inside DynamoDB's 400 KB item. */
const REPORT_MAX_BYTES = 300_000

/**
 * Reads the `result` body into the request CodePipeline will get, or says
 * what is wrong with it. Pure. The run's ID goes in as the external
 * execution ID, whatever the run said: the console's link opens the run
 * the bridge bound, and a run cannot continue the job on its own.
 */
export function readReport(body: Record<string, unknown>, runId: number): RunReport | { problems: string[] } {
  const { success, failure } = body
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
  if (isObject(success) === isObject(failure))
    return { problems: ['the body must have either success or failure, an object'] }
  if (isObject(failure)) {
    const { type, message } = failure
    if (typeof message !== 'string') return { problems: ['failure.message must be text'] }
    if (!FAILURE_TYPES.includes(type as never))
      return { problems: [`failure.type must be one of ${FAILURE_TYPES.join(', ')}`] }
    const fields = { failureDetails: { type, message, externalExecutionId: String(runId) } }
    const problems = requestProblems({ jobId: body.jobId as string, ...fields } as Parameters<
      typeof requestProblems
    >[0])
    return problems.length > 0 ? { problems } : { kind: 'failure', fields }
  }
  const {
    currentRevision,
    executionDetails = {},
    outputVariables,
    continuationToken
  } = success as Record<string, unknown>
  const problems: string[] = []
  if (continuationToken !== undefined)
    problems.push(
      'a run may not continue the job: the bridge holds the job while the run goes on, so leave out continuation-token and send progress instead'
    )
  if (!isObject(executionDetails)) problems.push('success.executionDetails must be an object')
  const { summary, percentComplete } = isObject(executionDetails) ? executionDetails : {}
  if (summary !== undefined && typeof summary !== 'string') problems.push('executionDetails.summary must be text')
  if (percentComplete !== undefined && typeof percentComplete !== 'number')
    problems.push('executionDetails.percentComplete must be a number')
  if (currentRevision !== undefined && !isRevision(currentRevision))
    problems.push(
      'success.currentRevision must hold revision and changeIdentifier, and may hold revisionSummary, all text'
    )
  if (
    outputVariables !== undefined &&
    !(isObject(outputVariables) && Object.values(outputVariables).every((value) => typeof value === 'string'))
  )
    problems.push('success.outputVariables must map names to text')
  if (problems.length > 0) return { problems }
  const fields = {
    ...(currentRevision !== undefined && { currentRevision }),
    executionDetails: { summary, percentComplete: percentComplete ?? 100, externalExecutionId: String(runId) },
    ...(outputVariables !== undefined && { outputVariables })
  }
  problems.push(...requestProblems({ jobId: body.jobId as string, ...fields } as Parameters<typeof requestProblems>[0]))
  if (Buffer.byteLength(JSON.stringify(fields)) > REPORT_MAX_BYTES)
    problems.push(
      `the result takes more than ${REPORT_MAX_BYTES} bytes as JSON: send fewer or shorter output variables`
    )
  return problems.length > 0 ? { problems } : { kind: 'success', fields }
}

/** A revision of exactly the fields PutJobSuccessResult takes from a run, each text. */
function isRevision(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const fields = value as Record<string, unknown>
  const allowed = ['revision', 'changeIdentifier', 'revisionSummary']
  return (
    Object.keys(fields).every((name) => allowed.includes(name)) &&
    typeof fields.revision === 'string' &&
    typeof fields.changeIdentifier === 'string' &&
    (fields.revisionSummary === undefined || typeof fields.revisionSummary === 'string')
  )
}

/** The report as the record keeps it. */
export function storedReport(report: RunReport): Pick<ReportedRecord, 'report' | 'reportKind'> {
  return { report: Buffer.from(JSON.stringify(report.fields)), reportKind: report.kind }
}

/**
 * Whether a record closed because CodePipeline has this report: closed by
 * its delivery, or by the action's SUCCEEDED or FAILED event, which can
 * arrive before the delivery's own write.
 */
export function closedDelivered(closedBecause: string | undefined, kind: RunReport['kind']): boolean {
  return (
    closedBecause?.startsWith('delivered') === true ||
    closedBecause === `the action ${kind === 'success' ? 'succeeded' : 'failed'}`
  )
}

/** Whether a report sent again is the one the record holds. */
export function sameReport(record: Pick<ReportedRecord, 'report' | 'reportKind'>, report: RunReport): boolean {
  return record.reportKind === report.kind && Buffer.from(record.report).equals(storedReport(report).report)
}

/**
 * Sends the run's result to CodePipeline, after acknowledging the job if
 * that is still open, and closes the record. Kept and tried again at each
 * sweep until CodePipeline has it, within the retry window.
 */
export async function deliverReport(session: Session, record: ReportedRecord): Promise<BridgeRecord | undefined> {
  const { jobId } = record
  const { acknowledged, nonce } = await acknowledgeFirst(session, record)
  const fields = JSON.parse(Buffer.from(record.report).toString('utf8')) as Omit<PutJobFailureResultInput, 'jobId'> &
    Omit<PutJobSuccessResultInput, 'jobId'>
  const { pipeline } = session.parts
  try {
    if (record.reportKind === 'success') await pipeline.putJobSuccessResult({ jobId, ...fields })
    else await pipeline.putJobFailureResult({ jobId, ...fields })
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error
    if (error.landedEarlier('InvalidJobStateException')) return delivered(session, record)
    const code = errorCode(error.cause)
    if (code === 'InvalidJobStateException' || code === 'JobNotFoundException')
      return session.close(record, `CodePipeline refused the run's result: ${session.explain(error, jobId)}`)
    session.log.error(`Could not give CodePipeline the run's result: ${session.explain(error, jobId)}`, { jobId })
    if (session.now - record.reportedAt > session.parts.settings.retryWindowMs)
      return session.close(record, 'CodePipeline did not take the run’s result')
    return session.letGo(record, { acknowledged, nonce })
  }
  return delivered(session, record)
}

async function delivered(session: Session, record: ReportedRecord): Promise<undefined> {
  session.log.info(`Gave CodePipeline the run's ${record.reportKind}`, { jobId: record.jobId, runId: record.runId })
  return session.close(record, `delivered the run's ${record.reportKind}`)
}
