/**
 * Credential-free mode holds the action for its run: the bridge answers the
 * job with a continuation token and the run's ID, so that the console links
 * to the run while it goes on, and passes on the run's progress the same
 * way. CodePipeline then queues the next job of the action, carrying the
 * token, which the bridge adopts when it polls it (intake.ts).
 */
import { randomBytes } from 'node:crypto'
import { CodePipelineCallError } from '../portable/codepipeline.js'
import { LENGTH, truncate } from '../portable/limits.js'
import type { BridgeRecord, RunningRecord } from './record.js'
import type { Session } from './session.js'

/** Every token the bridge writes starts so; any other token is a run's own, in direct mode. */
const TOKEN_PREFIX = 'codepipeline-bridge:'

export function isBridgeToken(token: string): boolean {
  return token.startsWith(TOKEN_PREFIX)
}

/** An opaque key into the bridge's own record: random, and checked against the record, never trusted alone. */
function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`
}

/** A held job: acknowledged, and with no continuation on its way. */
export function mayHold(record: BridgeRecord): record is RunningRecord & { readonly runId: number } {
  return (
    record.phase === 'running' &&
    record.acknowledged === true &&
    record.runId !== undefined &&
    record.continuation === undefined &&
    !record.stopped
  )
}

/**
 * Answers the current job with progress and a fresh token. The token is
 * written before the request goes out, so that the job it leads to is
 * recognised however soon it is polled. True once CodePipeline has it.
 */
export async function passOn(
  session: Session,
  record: RunningRecord & { readonly runId: number },
  progress: { readonly percentComplete: number; readonly summary: string }
): Promise<boolean> {
  const continuation = newToken()
  const saved = await session.save(record, {
    continuation,
    continuationSentAt: session.now,
    ...(record.heldAt === undefined && { heldAt: session.now })
  })
  if (saved === undefined) return false
  try {
    await session.parts.pipeline.putJobSuccessResult({
      jobId: record.jobId,
      continuationToken: continuation,
      executionDetails: {
        summary: truncate(progress.summary, LENGTH.executionSummary.max),
        externalExecutionId: String(record.runId),
        percentComplete: progress.percentComplete
      }
    })
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error
    if (error.landedEarlier('InvalidJobStateException')) return true
    session.log.warn(`Could not pass on the run's progress: ${session.explain(error, record.jobId)}`, {
      jobId: record.jobId
    })
    // Nothing was continued: the job stays the current one.
    await session.save(saved, {
      continuation: undefined,
      continuationSentAt: undefined,
      ...(record.heldAt === undefined && { heldAt: undefined })
    })
    return false
  }
  session.log.info('Held the action for its run, with a continuation', {
    jobId: record.jobId,
    runId: record.runId,
    percentComplete: progress.percentComplete
  })
  return true
}
