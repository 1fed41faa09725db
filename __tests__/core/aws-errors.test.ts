import { describe, expect, it } from 'vitest'
import { errorCode, explainCallError, isAnswerLost } from '../../src/core/aws-errors.js'
import { CodePipelineCallError } from '../../src/core/codepipeline.js'

const context = { jobId: 'job-1', region: 'eu-west-1', timeoutSeconds: 30 }

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
})
