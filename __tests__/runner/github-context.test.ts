import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { describeRun, readGitHubContext, runUrl } from '../../src/runner/github-context.js'

describe('readGitHubContext', () => {
  it('reads the runner environment and the event payload', () => {
    const event = join(mkdtempSync(join(tmpdir(), 'ctx-')), 'event.json')
    writeFileSync(event, JSON.stringify({ head_commit: { id: 'abc' } }))
    const context = readGitHubContext({
      GITHUB_SHA: 'abc',
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_RUN_ID: '7',
      GITHUB_RUN_NUMBER: '3',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_WORKFLOW: 'Deploy',
      GITHUB_SERVER_URL: 'https://ghes.example.com/',
      GITHUB_API_URL: 'https://ghes.example.com/api/v3',
      GITHUB_EVENT_PATH: event
    })
    expect(context.payload.head_commit?.id).toBe('abc')
    expect(context.apiUrl).toBe('https://ghes.example.com/api/v3')
    expect(runUrl(context)).toBe('https://ghes.example.com/acme/app/actions/runs/7')
    expect(describeRun(context)).toBe("workflow 'Deploy', run #3, attempt 2")
  })

  it('copes with a missing or unreadable payload and a bare environment', () => {
    const broken = join(mkdtempSync(join(tmpdir(), 'ctx-')), 'event.json')
    writeFileSync(broken, '{not json')
    expect(readGitHubContext({ GITHUB_EVENT_PATH: broken }).payload).toEqual({})
    const bare = readGitHubContext({ GITHUB_EVENT_PATH: '/no/such/file' })
    expect(bare.payload).toEqual({})
    expect(bare.serverUrl).toBe('https://github.com')
    expect(runUrl(bare)).toBeUndefined()
    expect(describeRun(bare)).toBe('GitHub Actions workflow')
  })
})
