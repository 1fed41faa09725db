import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { stringMatching } from '../../__fixtures__/expect.js'
import * as core from '../../__fixtures__/core.js'
import type { GitHubContext } from '../../src/runner/github-context.js'
import { githubCommitLookup } from '../../src/report/commit-lookup.js'
import { FakeGitHubApi } from '../../local/fake-github.js'

vi.mock('@actions/core', () => core)

const TOKEN = 'ghs_lookup'
const SHA = 'd'.repeat(40)
let github: FakeGitHubApi

beforeAll(async () => {
  github = await FakeGitHubApi.start(TOKEN)
  github.commits.set(SHA, { message: 'Subject\n\nBody', committedAt: '2026-11-02T03:04:05Z' })
})
afterAll(() => github.close())

const context = (overrides: Partial<GitHubContext> = {}): GitHubContext => ({
  payload: {},
  repository: 'acme/app',
  serverUrl: 'https://github.com',
  apiUrl: github.url,
  ...overrides
})

describe('githubCommitLookup', () => {
  it('reads the committer time and message at GITHUB_API_URL', async () => {
    expect(await githubCommitLookup(context(), TOKEN)(SHA)).toEqual({
      committedAt: new Date('2026-11-02T03:04:05Z'),
      message: 'Subject\n\nBody'
    })
  })

  it.each([
    [{ repository: undefined }, TOKEN, /GITHUB_REPOSITORY is not set/],
    [{}, undefined, /'github-token' is empty/],
    [{}, 'ghs_wrong', /GitHub API lookup .* failed/],
    [{ apiUrl: 'http://127.0.0.1:9' }, TOKEN, /GitHub API lookup .* failed/]
  ])('warns and resolves undefined when it cannot look up (%j)', async (overrides, token, warning) => {
    expect(await githubCommitLookup(context(overrides), token)(SHA)).toBeUndefined()
    expect(core.warning.mock.calls.flat()).toEqual([stringMatching(warning)])
  })
})
