import { describe, expect, it } from 'vitest'
import {
  LENGTH,
  OUTPUT_VARIABLES_MAX_BYTES,
  outputVariablesBytes,
  requestProblems,
  truncate
} from '../../src/portable/limits.js'

const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'

describe('truncate', () => {
  it('leaves text within the limit alone', () => {
    expect(truncate('short', 5)).toBe('short')
  })

  it('cuts to the limit and marks the cut', () => {
    expect(truncate('abcdefgh', 5)).toBe('abcd…')
  })

  it('never splits a surrogate pair', () => {
    const cut = truncate('ab😀cdef', 4)
    expect(cut).toBe('ab…')
    expect(cut.length).toBeLessThanOrEqual(4)
  })
})

describe('outputVariablesBytes', () => {
  it('counts names and values in UTF-8', () => {
    expect(outputVariablesBytes({ A: '€', BB: '' })).toBe(1 + 3 + 2)
  })
})

describe('requestProblems', () => {
  it('accepts a request at every limit', () => {
    expect(
      requestProblems({
        jobId: JOB,
        currentRevision: {
          revision: 'r'.repeat(1500),
          changeIdentifier: 'c'.repeat(100),
          revisionSummary: 's'.repeat(2048)
        },
        executionDetails: { summary: 's'.repeat(2048), externalExecutionId: 'e'.repeat(1500), percentComplete: 100 },
        outputVariables: { A: 'x'.repeat(OUTPUT_VARIABLES_MAX_BYTES - 1) }
      })
    ).toEqual([])
  })

  it('names each broken limit', () => {
    expect(
      requestProblems({
        jobId: 'nope',
        currentRevision: { revision: '', changeIdentifier: 'c'.repeat(101) },
        continuationToken: 't',
        executionDetails: { percentComplete: 101 },
        outputVariables: { 'bad name': '1' },
        failureDetails: { type: 'Oops', message: '' }
      })
    ).toEqual([
      'jobId must be a lowercase UUID',
      'currentRevision.revision must be 1–1500 characters, but is 0',
      'currentRevision.changeIdentifier must be 1–100 characters, but is 101',
      'executionDetails.percentComplete must be a whole number from 0 to 100, but is 101',
      'outputVariables cannot go with a continuationToken',
      'output variable name "bad name" must match [A-Za-z0-9@\\-_]+',
      'failureDetails.type must be one of JobFailed, ConfigurationError, PermissionError, RevisionOutOfSync, RevisionUnavailable, SystemUnavailable',
      'failureDetails.message must be 1–5000 characters, but is 0'
    ])
  })

  it('requires the members CodePipeline requires', () => {
    expect(requestProblems({ jobId: JOB, currentRevision: { revision: 'r' } })).toEqual([
      'currentRevision.changeIdentifier is required'
    ])
    expect(requestProblems({ jobId: JOB, failureDetails: { type: 'JobFailed' } })).toEqual([
      'failureDetails.message is required'
    ])
  })

  it('keeps the model limits', () => {
    expect(LENGTH).toMatchObject({
      revision: { max: 1500 },
      changeIdentifier: { max: 100 },
      revisionSummary: { max: 2048 },
      executionSummary: { max: 2048 },
      externalExecutionId: { max: 1500 },
      failureMessage: { max: 5000 },
      continuationToken: { max: 2048 }
    })
  })
})
