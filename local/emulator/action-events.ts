import { randomUUID } from 'node:crypto'
import type { EmulatedJob } from './jobs.js'

export type ActionExecutionState = 'STARTED' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'ABANDONED'

/**
 * The EventBridge event CodePipeline sends when an action execution
 * changes state, at `time`. It names the action but never carries the job's ID or nonce.
 */
export function actionExecutionEvent(
  job: EmulatedJob,
  state: ActionExecutionState,
  time: number = Date.now()
): Record<string, unknown> {
  const context = job.data.pipelineContext
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CodePipeline Action Execution State Change',
    source: 'aws.codepipeline',
    account: job.accountId,
    time: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [context.pipelineArn],
    detail: {
      pipeline: context.pipelineName,
      'execution-id': context.pipelineExecutionId,
      stage: context.stage.name,
      action: context.action.name,
      'action-execution-id': context.action.actionExecutionId,
      state,
      region: 'us-east-1',
      type: { ...job.data.actionTypeId },
      version: 1
    }
  }
}
