import { checkRun, deliver, stop } from './answer.js'
import { nextStep, type BridgeRecord, type RunningRecord, type Step } from './record.js'
import type { Session } from './session.js'
import { deliverReport } from './run-report.js'
import { acknowledge, dispatch, findRun } from './start.js'

/** Steps one record goes through in one go, at most: dispatch, acknowledge, and a few more. */
const MAX_STEPS = 8

/** Works a running record with its run looked at now, whenever its next look was due: a list or a delivery says it changed. */
export function workLookingNow(session: Session, record: RunningRecord): Promise<void> {
  return work(session, { ...record, nextCheckAt: undefined })
}

/** Takes a record through its steps while it holds the lease, and lets go when there is nothing to do now. */
export async function work(session: Session, record: BridgeRecord): Promise<void> {
  let current: BridgeRecord | undefined = record
  let started = false
  for (let steps = 0; current !== undefined; steps++) {
    const step = nextStep(current, session.now)
    // A run started just now is looked at by the next sweep, not at once.
    const fresh = started && step.kind === 'check-run'
    if (step.kind === 'wait' || fresh || steps >= MAX_STEPS || !session.hasTime()) {
      await session.letGo(current)
      return
    }
    started ||= step.kind === 'dispatch' || step.kind === 'find-run'
    current = await perform(session, step)
  }
}

/** The record after the step, still leased; undefined once it is closed, let go of, or taken over. */
function perform(session: Session, step: Exclude<Step, { kind: 'wait' }>): Promise<BridgeRecord | undefined> {
  switch (step.kind) {
    case 'stop':
      return stop(session, step.record)
    case 'deliver':
      return deliver(session, step.record)
    case 'deliver-report':
      return deliverReport(session, step.record)
    case 'forget':
      return session.close(step.record, 'no job showed up in the queue')
    case 'discard':
      return session.close(step.record, `the stored record cannot be read: ${step.record.problem}`)
    case 'dispatch':
      return dispatch(session, step.record)
    case 'find-run':
      return findRun(session, step.record)
    case 'acknowledge':
      return acknowledge(session, step.record)
    case 'check-run':
      return checkRun(session, step.record)
  }
}
