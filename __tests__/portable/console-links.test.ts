import { describe, expect, it } from 'vitest'
import { pipelineExecution, pipelineExecutionUrl } from '../../src/portable/console-links.js'

describe('pipelineExecutionUrl', () => {
  it('opens the execution timeline in the console of the Region', () => {
    expect(pipelineExecutionUrl('eu-west-1', 'checkout-service', '3137f7cb-8d9e-4c1d-a9b8-0c5e0f0a8e52')).toBe(
      'https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/checkout-service/executions/3137f7cb-8d9e-4c1d-a9b8-0c5e0f0a8e52/timeline?region=eu-west-1'
    )
  })

  it('encodes every part', () => {
    expect(pipelineExecutionUrl('us-east-1', 'a b/c?d', 'e#f')).toBe(
      'https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/a%20b%2Fc%3Fd/executions/e%23f/timeline?region=us-east-1'
    )
  })

  it('uses the console of the China and GovCloud partitions', () => {
    expect(pipelineExecutionUrl('cn-north-1', 'p', 'e')).toMatch(/^https:\/\/cn-north-1\.console\.amazonaws\.cn\//)
    expect(pipelineExecutionUrl('us-gov-west-1', 'p', 'e')).toMatch(
      /^https:\/\/us-gov-west-1\.console\.amazonaws-us-gov\.com\//
    )
  })

  it('gives no link where the console address is not public or the Region is not a Region code', () => {
    for (const region of ['us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'eusc-de-east-1', 'evil.com/x']) {
      expect(pipelineExecutionUrl(region, 'p', 'e'), region).toBeUndefined()
    }
  })
})

describe('pipelineExecution', () => {
  it('names and links the execution of a job', () => {
    expect(pipelineExecution({ pipelineName: 'p', pipelineExecutionId: 'e' }, 'us-east-1')).toEqual({
      pipelineName: 'p',
      executionId: 'e',
      url: 'https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/p/executions/e/timeline?region=us-east-1'
    })
  })

  it('names it without a link when the Region is unknown, and not at all without a context', () => {
    expect(pipelineExecution({ pipelineName: 'p', pipelineExecutionId: 'e' }, undefined)).toEqual({
      pipelineName: 'p',
      executionId: 'e'
    })
    expect(pipelineExecution({ pipelineName: 'p' }, 'us-east-1')).toBeUndefined()
    expect(pipelineExecution(undefined, 'us-east-1')).toBeUndefined()
  })
})
