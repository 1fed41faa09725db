import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CodePipelineEmulator } from '../../tools/emulator/server.js'
import { FakeGitHubApi } from '../support/fake-github.js'
import { LoopbackProxy } from '../support/proxy.js'
import { ACTION_DEFAULTS, runStep } from '../support/runner.js'

// Self-hosted runners often reach GitHub only through a proxy. The fake GitHub is
// named with a host that only the proxy resolves, so an answer proves the proxy carried it.
const SHA = 'd'.repeat(40)

let emulator: CodePipelineEmulator
let github: FakeGitHubApi
let proxy: LoopbackProxy

beforeAll(async () => {
  ;[emulator, github, proxy] = await Promise.all([
    CodePipelineEmulator.start(),
    FakeGitHubApi.start(ACTION_DEFAULTS['github-token'] ?? ''),
    LoopbackProxy.start()
  ])
  github.commits.set(SHA, { message: 'Route through the proxy', committedAt: '2026-11-22T08:00:00Z' })
})
afterAll(async () => {
  await Promise.all([emulator.close(), github.close(), proxy.close()])
})
beforeEach(() => {
  emulator.reset()
  github.requests.length = 0
  proxy.requests.length = 0
})

function githubBehindProxy(): string {
  return github.url.replace('127.0.0.1', 'api.github.test')
}

describe('GitHub API calls through a proxy', () => {
  it('looks the commit up through HTTP_PROXY', async () => {
    const job = emulator.createJob()
    const run = await runStep({
      endpoint: emulator.url,
      inputs: { 'job-id': job.id },
      eventName: 'workflow_dispatch',
      event: {},
      env: { GITHUB_SHA: SHA, GITHUB_API_URL: githubBehindProxy(), HTTP_PROXY: proxy.url }
    })
    expect(run.code).toBe(0)
    expect(github.requests).toEqual([expect.objectContaining({ path: `/repos/acme/app/git/commits/${SHA}` })])
    expect(proxy.requests.map((request) => request.target)).toEqual([
      expect.stringContaining(new URL(githubBehindProxy()).host)
    ])
    expect(emulator.requests[0]?.body.currentRevision).toMatchObject({ revisionSummary: 'Route through the proxy' })
  })
})
