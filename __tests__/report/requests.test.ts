import { describe, expect, it } from 'vitest'
import { stringMatching } from '../../__fixtures__/expect.js'
import type { GitHubContext } from '../../src/runner/github-context.js'
import type { ReportSettings } from '../../src/report/inputs.js'
import { failureRequest } from '../../src/portable/failure-request.js'
import { defaultFailureMessage, defaultSummary, successRequest } from '../../src/report/requests.js'

const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'
const context: GitHubContext = {
  payload: {},
  repository: 'acme/app',
  runId: '99',
  runNumber: '5',
  runAttempt: '1',
  workflow: 'CI',
  serverUrl: 'https://github.com',
  apiUrl: 'https://api.github.com'
}
const settings: ReportSettings = { jobId: JOB, status: 'success', revision: {}, failureType: 'JobFailed' }

describe('successRequest', () => {
  it('sends 100 percent, the run ID and the variables with a final result', () => {
    expect(
      successRequest({ ...settings, outputVariables: { A: '1' } }, { revision: 'r', changeIdentifier: 'c' }, context)
    ).toEqual({
      jobId: JOB,
      currentRevision: { revision: 'r', changeIdentifier: 'c' },
      executionDetails: {
        summary: "Succeeded in workflow 'CI', run #5, attempt 1: https://github.com/acme/app/actions/runs/99",
        externalExecutionId: '99',
        percentComplete: 100
      },
      outputVariables: { A: '1' }
    })
  })

  it('sends no percent and no variables with progress', () => {
    const request = successRequest(
      { ...settings, continuationToken: 't', outputVariables: { A: '1' } },
      undefined,
      context
    )
    expect(request).toEqual({
      jobId: JOB,
      continuationToken: 't',
      executionDetails: { summary: stringMatching(/^In progress in/), externalExecutionId: '99' }
    })
  })
})

describe('failureRequest', () => {
  it('cuts the message to 5000 characters and carries the run ID', () => {
    const request = failureRequest({ jobId: JOB, type: 'JobFailed', message: 'x'.repeat(6000) }, context.runId)
    expect(request.failureDetails?.message).toHaveLength(5000)
    expect(request.failureDetails?.externalExecutionId).toBe('99')
  })
})

describe('default texts', () => {
  it('say what happened and where to look', () => {
    expect(defaultFailureMessage('cancelled', context)).toBe(
      "GitHub Actions workflow 'CI', run #5, attempt 1 was cancelled. See https://github.com/acme/app/actions/runs/99"
    )
    expect(defaultFailureMessage('failure', { ...context, repository: undefined })).toBe(
      "GitHub Actions workflow 'CI', run #5, attempt 1 failed."
    )
    expect(defaultSummary('Succeeded', { ...context, workflow: 'w'.repeat(3000) })).toHaveLength(2048)
  })
})
