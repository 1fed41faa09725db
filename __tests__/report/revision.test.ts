import { describe, expect, it, vi } from 'vitest'
import type { GitHubContext } from '../../src/runner/github-context.js'
import { changeIdentifierFor, resolveCurrentRevision } from '../../src/report/revision.js'

const SHA = 'f'.repeat(40)

function context(overrides: Partial<GitHubContext> = {}): GitHubContext {
  return {
    sha: SHA,
    ref: 'refs/heads/main',
    refName: 'main',
    eventName: 'push',
    payload: {},
    serverUrl: 'https://github.com',
    apiUrl: 'https://api.github.com',
    ...overrides
  }
}

describe('resolveCurrentRevision', () => {
  it('takes time and summary from a push payload without a lookup', async () => {
    const lookup = vi.fn()
    const revision = await resolveCurrentRevision(
      {},
      context({
        payload: { head_commit: { id: SHA, message: 'First line\nsecond', timestamp: '2026-11-01T00:00:00Z' } }
      }),
      lookup
    )
    expect(revision).toEqual({
      revision: SHA,
      changeIdentifier: 'main',
      created: new Date('2026-11-01T00:00:00Z'),
      revisionSummary: 'First line'
    })
    expect(lookup).not.toHaveBeenCalled()
  })

  it('looks the commit up when the payload has another or no head commit', async () => {
    const lookup = vi
      .fn()
      .mockResolvedValue({ committedAt: new Date('2026-10-01T00:00:00Z'), message: '  Looked up  ' })
    const revision = await resolveCurrentRevision({}, context({ payload: { head_commit: { id: 'other' } } }), lookup)
    expect(lookup).toHaveBeenCalledWith(SHA)
    expect(revision).toMatchObject({ created: new Date('2026-10-01T00:00:00Z'), revisionSummary: 'Looked up' })
  })

  it('leaves the optional fields out when the lookup finds nothing', async () => {
    expect(await resolveCurrentRevision({}, context(), () => Promise.resolve(undefined))).toEqual({
      revision: SHA,
      changeIdentifier: 'main'
    })
  })

  it('does not look up when both optional fields are given', async () => {
    const lookup = vi.fn()
    await resolveCurrentRevision({ created: new Date(0), summary: 's' }, context(), lookup)
    expect(lookup).not.toHaveBeenCalled()
  })

  it('does not describe another revision with this commit', async () => {
    const lookup = vi.fn()
    expect(await resolveCurrentRevision({ revision: 'pipeline-rev' }, context(), lookup)).toEqual({
      revision: 'pipeline-rev',
      changeIdentifier: 'main'
    })
    expect(lookup).not.toHaveBeenCalled()
  })

  it('is undefined with no commit and no revision input', async () => {
    expect(await resolveCurrentRevision({}, context({ sha: undefined }), vi.fn())).toBeUndefined()
  })

  it('cuts a long branch name to 100 characters and a long message line to 2048', async () => {
    const revision = await resolveCurrentRevision({}, context({ refName: 'b'.repeat(300) }), () =>
      Promise.resolve({
        message: 'm'.repeat(3000)
      })
    )
    expect(revision?.changeIdentifier).toHaveLength(100)
    expect(revision?.revisionSummary).toHaveLength(2048)
  })
})

describe('changeIdentifierFor', () => {
  it.each<[Partial<GitHubContext>, string | undefined]>([
    [{}, 'main'],
    [{ refName: undefined, ref: 'refs/tags/v1.2.0' }, 'v1.2.0'],
    [{ eventName: 'pull_request', payload: { pull_request: { number: 5 } } }, 'pull/5'],
    [{ eventName: 'pull_request_target', payload: { number: 6 } }, 'pull/6'],
    [{ refName: undefined, ref: undefined }, undefined]
  ])('%j gives %j', (overrides, expected) => {
    expect(changeIdentifierFor(context(overrides))).toBe(expected)
  })
})
