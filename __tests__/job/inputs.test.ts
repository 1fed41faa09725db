import { describe, expect, it, vi } from 'vitest'
import { stringMatching } from '../../__fixtures__/expect.js'
import * as core from '../../__fixtures__/core.js'
import { InvalidInputs } from '../../src/portable/errors.js'
import { readJobSettings, DEFAULT_WAIT_SECONDS } from '../../src/job/inputs.js'

vi.mock('@actions/core', () => core)

const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'
describe('readJobSettings', () => {
  it('reads a known job, with its nonce', () => {
    core.givenInputs({ 'job-id': JOB, nonce: 'n1' })
    expect(readJobSettings()).toEqual({
      settings: { kind: 'known', jobId: JOB, nonce: 'n1', failIfUnreported: true },
      warnings: []
    })
  })

  it('turns the check for an unreported job off', () => {
    core.givenInputs({ 'job-id': JOB, 'fail-if-unreported': 'False' })
    expect(readJobSettings().settings).toEqual({ kind: 'known', jobId: JOB, failIfUnreported: false })
  })

  it('refuses a fail-if-unreported that is not true or false, with the other problems', () => {
    core.givenInputs({ 'job-id': 'nope', 'fail-if-unreported': 'later' })
    expect(() => readJobSettings()).toThrow(
      /'job-id'[\s\S]*'fail-if-unreported': "later" is not true or false\. Use false when a later GitHub job/
    )
  })

  it('warns that claim inputs are ignored next to job-id', () => {
    core.givenInputs({ 'job-id': JOB, provider: 'GitHubActions' })
    expect(readJobSettings().warnings).toEqual([stringMatching(/'provider' and the other claim inputs are ignored/)])
  })

  it('reads a claim with the defaults', () => {
    core.givenInputs({ provider: 'GitHubActions' })
    expect(readJobSettings().settings).toEqual({
      kind: 'claim',
      actionTypeId: { owner: 'Custom', category: 'Build', provider: 'GitHubActions', version: '1' },
      query: undefined,
      matchRevision: undefined,
      waitSeconds: DEFAULT_WAIT_SECONDS,
      failIfNone: true,
      failIfUnreported: true
    })
  })

  it('reads every claim input', () => {
    core.givenInputs({
      provider: 'Gh_1',
      category: 'deploy',
      version: 'v2',
      query: ' Workflow = build ',
      'match-revision': 'abc',
      'wait-seconds': '0',
      'fail-if-none': 'FALSE'
    })
    expect(readJobSettings().settings).toEqual({
      kind: 'claim',
      actionTypeId: { owner: 'Custom', category: 'Deploy', provider: 'Gh_1', version: 'v2' },
      query: { name: 'Workflow', value: 'build' },
      matchRevision: 'abc',
      waitSeconds: 0,
      failIfNone: false,
      failIfUnreported: true
    })
  })

  it('warns about a query value no pipeline can hold', () => {
    core.givenInputs({ provider: 'GitHubActions', query: `Workflow=${'w'.repeat(21)}` })
    expect(readJobSettings().warnings).toEqual([stringMatching(/longer than the 20 characters/)])
  })

  it('asks for a job ID or a provider when given neither', () => {
    expect(() => readJobSettings()).toThrow(InvalidInputs)
    expect(() => readJobSettings()).toThrow(/either 'job-id' or 'provider' is required/)
  })

  it('names every bad claim input at once', () => {
    core.givenInputs({ provider: 'bad provider', version: '', category: 'Nope', query: 'x', 'wait-seconds': '-1' })
    expect(() => readJobSettings()).toThrow(/'category'[\s\S]*'provider'[\s\S]*'query'[\s\S]*'wait-seconds'/)
  })
})
