import { beforeEach, describe, expect, it, vi } from 'vitest'
import { objectContaining, stringMatching } from '../../__fixtures__/expect.js'
import * as core from '../../__fixtures__/core.js'
import type { CodePipeline } from '../../src/portable/codepipeline.js'
import { ACTION_SETTING_NAMES } from '../../src/runner/inputs.js'

// main and the reporter, with the runner and CodePipeline mocked at the module edges.
vi.mock('@actions/core', () => core)

const inputs = new Map<string, string>()
const failingOutput: { name?: string } = {}
const calls = {
  failed: [] as string[],
  outputs: {} as Record<string, string>,
  warnings: [] as string[],
  errors: [] as string[],
  exported: {} as Record<string, string>
}

const putJobSuccessResult = vi.fn<CodePipeline['putJobSuccessResult']>()
const putJobFailureResult = vi.fn<CodePipeline['putJobFailureResult']>()
const constructed = vi.fn<(settings: unknown) => void>()
vi.mock('../../src/portable/codepipeline.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/portable/codepipeline.js')>()
  return {
    ...original,
    CodePipeline: class {
      constructor(settings: unknown) {
        constructed(settings)
      }
      putJobSuccessResult = putJobSuccessResult
      putJobFailureResult = putJobFailureResult
    }
  }
})

const { run } = await import('../../src/report/main.js')
const { CodePipelineCallError } = await import('../../src/portable/codepipeline.js')

const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'
const env = {
  GITHUB_SHA: 'e'.repeat(40),
  GITHUB_REF_NAME: 'main',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_RUN_ID: '5',
  AWS_REGION: 'us-east-1'
}

function sdkError(name: string): Error {
  return Object.assign(new Error(`${name} text`), { name })
}

beforeEach(() => {
  inputs.clear()
  core.getInput.mockImplementation((name) => inputs.get(name) ?? '')
  core.setFailed.mockImplementation((message) => calls.failed.push(String(message)))
  core.setOutput.mockImplementation((name, value) => {
    if (name === failingOutput.name) throw new Error('output file gone')
    calls.outputs[name] = String(value)
  })
  core.warning.mockImplementation((message) => calls.warnings.push(String(message)))
  core.error.mockImplementation((message) => calls.errors.push(String(message)))
  core.exportVariable.mockImplementation((name, value) => (calls.exported[name] = String(value)))
  calls.failed.length = 0
  calls.warnings.length = 0
  calls.errors.length = 0
  calls.outputs = {}
  calls.exported = {}
  putJobSuccessResult.mockReset().mockResolvedValue({ attempts: 1 })
  putJobFailureResult.mockReset().mockResolvedValue({ attempts: 1 })
  constructed.mockReset()
})

describe('run', () => {
  it('fails alone, without a client, when the job ID is bad', async () => {
    inputs.set('job-id', 'nope')
    await run(env)
    expect(calls.failed).toEqual([stringMatching(/Invalid input 'job-id'/)])
    expect(constructed).not.toHaveBeenCalled()
  })

  it('reports success and sets the outputs', async () => {
    inputs.set('job-id', JOB)
    inputs.set('output-variables', 'A=1')
    await run(env)
    expect(putJobSuccessResult).toHaveBeenCalledWith(
      objectContaining({
        jobId: JOB,
        outputVariables: { A: '1' },
        currentRevision: objectContaining({ changeIdentifier: 'main' })
      })
    )
    expect(calls.outputs).toEqual({
      'job-id': JOB,
      reported: 'success',
      confirmed: 'true',
      revision: 'e'.repeat(40),
      'change-identifier': 'main'
    })
    expect(calls.failed).toEqual([])
    // The job action's step at the end of the GitHub job learns that it need not ask.
    expect(calls.exported).toEqual({ CODEPIPELINE_ANSWERED_JOBS: JOB })
  })

  it('reports a configuration error to the pipeline and fails the step', async () => {
    inputs.set('job-id', JOB)
    inputs.set('percent-complete', '300')
    await run(env)
    expect(putJobFailureResult).toHaveBeenCalledWith({
      jobId: JOB,
      failureDetails: {
        type: 'ConfigurationError',
        message: stringMatching(/percent-complete/),
        externalExecutionId: '5'
      }
    })
    expect(putJobSuccessResult).not.toHaveBeenCalled()
    expect(calls.errors).toHaveLength(1)
    expect(calls.failed).toEqual([stringMatching(/so the pipeline stops instead of waiting/)])
    expect(calls.outputs.reported).toBe('failure')
  })

  it('reports bad AWS inputs through the good ones and the defaults', async () => {
    inputs.set('job-id', JOB)
    inputs.set('aws-region', 'ap-south-1')
    inputs.set('max-attempts', '99')
    await run(env)
    expect(constructed).toHaveBeenCalledWith({
      region: 'ap-south-1',
      maxAttempts: 10,
      timeoutSeconds: 120,
      names: ACTION_SETTING_NAMES
    })
    expect(putJobFailureResult).toHaveBeenCalledWith(
      objectContaining({
        failureDetails: objectContaining({
          type: 'ConfigurationError',
          message: stringMatching(/max-attempts/)
        })
      })
    )
    expect(calls.errors).toEqual([stringMatching(/Invalid input 'max-attempts'/)])
  })

  it('says so when even the configuration error cannot reach CodePipeline', async () => {
    inputs.set('job-id', JOB)
    inputs.set('status', 'unknown')
    putJobFailureResult.mockRejectedValue(
      new CodePipelineCallError('PutJobFailureResult', sdkError('AccessDeniedException'), {
        attempts: 1,
        earlierAnswerLost: false
      })
    )
    await run(env)
    expect(calls.failed).toEqual([
      stringMatching(/^Could not tell CodePipeline about the problem above: .*codepipeline:PutJobFailureResult/)
    ])
    expect(calls.outputs.reported).toBeUndefined()
  })

  it('passes with a warning when only a lost answer stands between it and success', async () => {
    inputs.set('job-id', JOB)
    putJobSuccessResult.mockRejectedValue(
      new CodePipelineCallError('PutJobSuccessResult', sdkError('InvalidJobStateException'), {
        attempts: 2,
        earlierAnswerLost: true
      })
    )
    await run(env)
    expect(calls.failed).toEqual([])
    expect(calls.warnings).toContainEqual(
      stringMatching(/Most likely that first attempt delivered this result, but CodePipeline cannot confirm it/)
    )
    expect(calls.outputs.reported).toBe('success')
    expect(calls.exported).toEqual({ CODEPIPELINE_ANSWERED_JOBS: JOB })
    expect(calls.outputs.confirmed).toBe('false')
  })

  it('fails on InvalidJobStateException when no answer was lost', async () => {
    inputs.set('job-id', JOB)
    putJobSuccessResult.mockRejectedValue(
      new CodePipelineCallError('PutJobSuccessResult', sdkError('InvalidJobStateException'), {
        attempts: 1,
        earlierAnswerLost: false
      })
    )
    await run(env)
    expect(calls.failed).toEqual([stringMatching(/is not waiting for one/)])
    expect(putJobFailureResult).not.toHaveBeenCalled()
    expect(calls.exported).toEqual({})
  })

  it('turns a success CodePipeline refuses as invalid into a failure report', async () => {
    inputs.set('job-id', JOB)
    putJobSuccessResult.mockRejectedValue(
      new CodePipelineCallError('PutJobSuccessResult', sdkError('ValidationException'), {
        attempts: 1,
        earlierAnswerLost: false
      })
    )
    await run(env)
    expect(putJobFailureResult).toHaveBeenCalledWith(
      objectContaining({ failureDetails: objectContaining({ type: 'JobFailed' }) })
    )
    expect(calls.failed[0]).toMatch(/refused the request as invalid/)
  })

  it('still tells the pipeline when something unexpected breaks the report', async () => {
    inputs.set('job-id', JOB)
    putJobSuccessResult.mockRejectedValue(new Error('disk full'))
    await run(env)
    expect(calls.failed[0]).toBe('disk full')
    expect(putJobFailureResult).toHaveBeenCalledWith(
      objectContaining({
        failureDetails: objectContaining({ type: 'JobFailed', message: 'The reporting step failed: disk full' })
      })
    )
  })

  it('reports nothing more once a result went out', async () => {
    inputs.set('job-id', JOB)
    failingOutput.name = 'reported'
    await run(env)
    failingOutput.name = undefined
    expect(putJobSuccessResult).toHaveBeenCalled()
    expect(calls.failed).toEqual(['output file gone'])
    expect(putJobFailureResult).not.toHaveBeenCalled()
  })

  it('reports the workflow failure without failing the step', async () => {
    inputs.set('job-id', JOB)
    inputs.set('status', 'failure')
    inputs.set('failure-message', 'Tests failed')
    await run(env)
    expect(putJobFailureResult).toHaveBeenCalledWith({
      jobId: JOB,
      failureDetails: { type: 'JobFailed', message: 'Tests failed', externalExecutionId: '5' }
    })
    expect(calls.failed).toEqual([])
    expect(calls.outputs.reported).toBe('failure')
  })

  it('sends a failure with the external-execution-id input', async () => {
    inputs.set('job-id', JOB)
    inputs.set('status', 'cancelled')
    inputs.set('external-execution-id', 'ext-9')
    await run(env)
    expect(putJobFailureResult.mock.lastCall?.[0].failureDetails?.externalExecutionId).toBe('ext-9')
  })
})
