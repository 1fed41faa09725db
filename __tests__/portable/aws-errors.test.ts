import { describe, expect, it } from 'vitest'
import { errorCode, explainCallError, isAnswerLost } from '../../src/portable/aws-errors.js'
import { CodePipelineCallError } from '../../src/portable/codepipeline.js'
import { CODEPIPELINE_CALLS } from '../../src/bridge/settings.js'
import { ACTION_SETTING_NAMES } from '../../src/runner/inputs.js'

const context = { jobId: 'job-1', region: 'eu-west-1', timeoutSeconds: 30, names: ACTION_SETTING_NAMES }

/** A PutJobSuccessResult call that failed with `cause` after 4 attempts. */
function failedCall(cause: unknown): CodePipelineCallError {
  return new CodePipelineCallError('PutJobSuccessResult', cause, { attempts: 4, earlierAnswerLost: false })
}

function named(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} message`), { name, ...extra })
}

describe('isAnswerLost', () => {
  it('is true for a connection that dropped after sending, or a timeout', () => {
    expect(isAnswerLost(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true)
    expect(isAnswerLost(named('TimeoutError'))).toBe(true)
  })

  it('is false when the request never left, or an answer came', () => {
    expect(isAnswerLost(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(false)
    expect(isAnswerLost(named('ThrottlingException', { $metadata: { httpStatusCode: 400 } }))).toBe(false)
    expect(isAnswerLost(named('ValidationException', { $response: {} }))).toBe(false)
  })
})

describe('errorCode', () => {
  it('prefers a Node error code and falls back to the name', () => {
    expect(errorCode(Object.assign(new Error('x'), { code: 'EPIPE' }))).toBe('EPIPE')
    expect(errorCode(named('JobNotFoundException'))).toBe('JobNotFoundException')
    expect(errorCode('text')).toBe('Error')
  })
})

describe('explainCallError', () => {
  it.each([
    [
      'InvalidJobStateException',
      /not waiting for one.*retry the stage in CodePipeline \(InvalidJobStateException: InvalidJobStateException message\)/
    ],
    ['JobNotFoundException', /CodePipeline in Region eu-west-1 has no job job-1/],
    ['OutputVariablesSizeExceededException', /too large/],
    ['ValidationException', /please report this/],
    ['AccessDeniedException', /may not call codepipeline:PutJobSuccessResult/],
    ['ExpiredTokenException', /right before this step/],
    ['UnrecognizedClientException', /did not recognise the credentials/],
    ['CredentialsProviderError', /No AWS credentials were found/],
    ['AbortError', /did not answer within 30 s/],
    ['ThrottlingException', /failed after 4 attempts.*raise 'max-attempts'/]
  ])('explains %s', (name, message) => {
    expect(explainCallError(failedCall(named(name)), context)).toMatch(message)
  })

  it('explains a missing Region', () => {
    expect(explainCallError(failedCall(new Error('Region is missing')), context)).toMatch(/No AWS Region is set/)
  })

  it.each([
    'JobNotFoundException',
    'OutputVariablesSizeExceededException',
    'ActionTypeNotFoundException',
    'ValidationException',
    'AccessDeniedException',
    'ExpiredTokenException',
    'CredentialsProviderError',
    'AbortError',
    'ThrottlingException'
  ])('names only what an operator of the bridge can change, for %s', (name) => {
    const explained = explainCallError(failedCall(named(name)), { jobId: 'job-1', ...CODEPIPELINE_CALLS })
    expect(explained).not.toMatch(/'[a-z]+(-[a-z]+)+'|'query'|configure-aws-credentials|this step|workflow/)
  })

  it('tells an operator where the Region, the action type and the policy are', () => {
    const explain = (name: string): string =>
      explainCallError(failedCall(named(name)), { jobId: 'job-1', ...CODEPIPELINE_CALLS })
    expect(explain('JobNotFoundException')).toMatch(/Check that the stack's Region is the pipeline's Region/)
    expect(explain('ActionTypeNotFoundException')).toMatch(
      /the stack's ActionCategory, ActionProvider and ActionVersion/
    )
    expect(explain('AccessDeniedException')).toMatch(/in the policy of the stack's FunctionRole/)
    expect(explain('ThrottlingException')).toMatch(/it is tried again later/)
  })
})
