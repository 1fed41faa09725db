/** A pipeline execution, named and linked for people. */
export interface PipelineExecution {
  readonly pipelineName: string
  readonly executionId: string
  /** Its page in the CodePipeline console; undefined where the console's address is not known. */
  readonly url?: string
}

/** What a job's pipelineContext says, as GetJobDetails and PollForJobs give it. */
export interface PipelineContextLike {
  readonly pipelineName?: string
  readonly pipelineExecutionId?: string
}

/**
 * The execution a job belongs to, with its page in the console of the job's
 * Region, so that a person looking at a run gets to the pipeline in one click.
 */
export function pipelineExecution(
  context: PipelineContextLike | undefined,
  region: string | undefined
): PipelineExecution | undefined {
  const pipelineName = context?.pipelineName
  const executionId = context?.pipelineExecutionId
  if (!pipelineName || !executionId) return undefined
  const url = region === undefined ? undefined : pipelineExecutionUrl(region, pipelineName, executionId)
  return { pipelineName, executionId, ...(url !== undefined && { url }) }
}

/**
 * The execution's timeline in the CodePipeline console:
 * `https://<region>.console.aws.amazon.com/codesuite/codepipeline/pipelines/<name>/executions/<id>/timeline?region=<region>`,
 * on the console of the Region's partition, every part URL-encoded. Undefined
 * for the isolated partitions, whose console addresses are not public.
 */
export function pipelineExecutionUrl(region: string, pipelineName: string, executionId: string): string | undefined {
  const console = consoleHost(region)
  if (console === undefined) return undefined
  const part = encodeURIComponent
  return `https://${console}/codesuite/codepipeline/pipelines/${part(pipelineName)}/executions/${part(executionId)}/timeline?region=${part(region)}`
}

function consoleHost(region: string): string | undefined {
  if (!/^[a-z0-9-]+$/.test(region) || /-iso[a-z]?-|^eusc-/.test(region)) return undefined
  if (region.startsWith('cn-')) return `${region}.console.amazonaws.cn`
  if (region.startsWith('us-gov-')) return `${region}.console.amazonaws-us-gov.com`
  return `${region}.console.aws.amazon.com`
}
