import { beforeEach, describe, expect, it, vi } from 'vitest'

const inputs = new Map<string, string>()
vi.mock('@actions/core', () => ({ getInput: (name: string) => inputs.get(name) ?? '' }))
const { readJobSettings, DEFAULT_WAIT_SECONDS } = await import('../../src/job/inputs.js')

const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'

function given(values: Record<string, string>): void {
  inputs.clear()
  for (const [name, value] of Object.entries(values)) inputs.set(name, value)
}

beforeEach(() => given({}))

describe('readJobSettings', () => {
  it('reads a known job, with its nonce', () => {
    given({ 'job-id': JOB, nonce: 'n1' })
    expect(readJobSettings()).toEqual({
      settings: { kind: 'known', jobId: JOB, nonce: 'n1', failIfUnreported: true },
      warnings: []
    })
  })

  it('turns the check for an unreported job off', () => {
    given({ 'job-id': JOB, 'fail-if-unreported': 'False' })
    expect(readJobSettings().settings).toEqual({ kind: 'known', jobId: JOB, failIfUnreported: false })
  })

  it('refuses a fail-if-unreported that is not true or false, with the other problems', () => {
    given({ 'job-id': 'nope', 'fail-if-unreported': 'later' })
    expect(() => readJobSettings()).toThrow(
      /'job-id'[\s\S]*'fail-if-unreported': "later" is not true or false\. Use false when a later GitHub job/
    )
  })

  it('warns that claim inputs are ignored next to job-id', () => {
    given({ 'job-id': JOB, provider: 'GitHubActions' })
    expect(readJobSettings().warnings).toEqual([
      expect.stringMatching(/'provider' and the other claim inputs are ignored/)
    ])
  })

  it('reads a claim with the defaults', () => {
    given({ provider: 'GitHubActions' })
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
    given({
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
    given({ provider: 'GitHubActions', query: `Workflow=${'w'.repeat(21)}` })
    expect(readJobSettings().warnings).toEqual([expect.stringMatching(/longer than the 20 characters/)])
  })

  it('names every bad claim input at once', () => {
    given({ provider: 'bad provider', version: '', category: 'Nope', query: 'x', 'wait-seconds': '-1' })
    expect(() => readJobSettings()).toThrow(/'category'[\s\S]*'provider'[\s\S]*'query'[\s\S]*'wait-seconds'/)
  })
})
