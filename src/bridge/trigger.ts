import type { PipelinePlace } from './record.js'
import type { BridgeSettings } from './settings.js'
import { SWEEP_EVENT } from './sweep-schedule.js'

const STATE_CHANGE = 'CodePipeline Action Execution State Change'

/** What started an invocation. */
export type Trigger =
  | { readonly kind: 'sweep' }
  | {
      readonly kind: 'action'
      readonly state: 'STARTED' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'ABANDONED'
      readonly actionExecutionId: string
      readonly place: PipelinePlace
    }
  /** Not for this bridge: another action type, or an event it does not act on. */
  | { readonly kind: 'ignored'; readonly reason: string }

const STATES = ['STARTED', 'SUCCEEDED', 'FAILED', 'CANCELED', 'ABANDONED'] as const

/**
 * Reads an invocation's event: the sweep schedule's, or an action execution
 * state change from EventBridge. The rule filters on the action type
 * already; this checks again, as a rule can be edited by hand. The version
 * is compared as text, since older events carry it as a number.
 */
export function readTrigger(event: unknown, actionType: BridgeSettings['actionType']): Trigger {
  const given = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>
  if (given.bridge === SWEEP_EVENT.bridge) return { kind: 'sweep' }
  if (given.source !== 'aws.codepipeline' || given['detail-type'] !== STATE_CHANGE)
    return { kind: 'ignored', reason: 'not a CodePipeline action execution state change' }
  const detail = (given.detail ?? {}) as Record<string, unknown>
  const type = (detail.type ?? {}) as Record<string, unknown>
  if (
    type.owner !== actionType.owner ||
    type.category !== actionType.category ||
    type.provider !== actionType.provider ||
    String(type.version) !== actionType.version
  ) {
    return { kind: 'ignored', reason: 'an action of another type' }
  }
  const state = STATES.find((known) => known === detail.state)
  const text = (name: string): string => {
    const value = detail[name]
    return typeof value === 'string' ? value : ''
  }
  const actionExecutionId = text('action-execution-id')
  if (state === undefined || actionExecutionId === '')
    return { kind: 'ignored', reason: `state ${String(detail.state)} or no action execution ID` }
  return {
    kind: 'action',
    state,
    actionExecutionId,
    place: {
      pipeline: text('pipeline'),
      executionId: text('execution-id'),
      stage: text('stage'),
      action: text('action')
    }
  }
}
