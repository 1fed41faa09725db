import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { WorkflowRun } from '../../src/bridge/github.js'
import type { RunningRecord } from '../../src/bridge/record.js'
import { AllowedRepos } from '../../src/bridge/target.js'
import { deliveryMissed, lookNeeded, pushTrusted, runsByRepository } from '../../src/bridge/watch.js'
import { endedRun, signedBy } from '../../src/bridge/webhook.js'

const NOW = Date.parse('2026-12-02T12:00:00Z')
const HOUR = 3600_000
const timing = { queueTimeoutMs: 30 * 60_000, retryWindowMs: 15 * 60_000 }
const sign = (body: string, secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`

describe('a delivery signature', () => {
  const body = Buffer.from('{"action":"completed"}')
  it('holds for the secret that made it, or the one before it during a rotation', () => {
    expect(signedBy(body, sign(body.toString(), 'new'), ['new'])).toBe(true)
    expect(signedBy(body, sign(body.toString(), 'old'), ['new', 'old'])).toBe(true)
  })
  it.each([
    ['another secret', sign('{"action":"completed"}', 'other')],
    ['another body', sign('{"action":"requested"}', 'new')],
    ['no signature', undefined],
    ['the SHA-1 header form', `sha1=${'0'.repeat(40)}`],
    ['a short digest', 'sha256=abcd'],
    ['upper-case hex', sign('{"action":"completed"}', 'new').toUpperCase()]
  ])('fails for %s', (_, signature) => {
    expect(signedBy(body, signature, ['new'])).toBe(false)
  })
  it('fails when there is no secret to check it with', () => {
    expect(signedBy(body, sign(body.toString(), ''), [])).toBe(false)
  })
})

describe('what a delivery names', () => {
  const allowed = AllowedRepos.parse('acme/app, tools/*')
  const payload = (changes: Record<string, unknown> = {}, run: Record<string, unknown> = {}) => ({
    action: 'completed',
    workflow_run: { id: 91, event: 'workflow_dispatch', status: 'completed', ...run },
    repository: { full_name: 'acme/app' },
    ...changes
  })
  it('is an ended dispatched run of an allowed repository', () => {
    expect(endedRun('workflow_run', payload(), allowed)).toEqual({ runId: 91, repository: 'acme/app' })
    expect(endedRun('workflow_run', payload({ repository: { full_name: 'Tools/Deploy' } }), allowed)).toMatchObject({
      runId: 91
    })
  })
  it.each([
    ['another event', 'push', payload(), 'not a workflow_run event'],
    ['a requested run', 'workflow_run', payload({ action: 'requested' }), 'not a completed run'],
    ['a pushed run', 'workflow_run', payload({}, { event: 'push' }), 'not a dispatched run'],
    ['another repository', 'workflow_run', payload({ repository: { full_name: 'acme/other' } }), 'outside'],
    ['a nested name', 'workflow_run', payload({ repository: { full_name: 'acme/app/x' } }), 'outside'],
    ['no repository', 'workflow_run', payload({ repository: undefined }), 'outside'],
    ['a run ID as text', 'workflow_run', payload({}, { id: '91' }), 'no run ID'],
    ['a negative run ID', 'workflow_run', payload({}, { id: -1 }), 'no run ID'],
    ['nothing', 'workflow_run', null, 'not a completed run']
  ])('is dropped for %s', (_, event, body, reason) => {
    expect(endedRun(event, body, allowed)).toMatch(reason)
  })
})

describe('watching runs by repository', () => {
  const record = (key: string, changes: Partial<RunningRecord> = {}): RunningRecord => ({
    key,
    createdAt: NOW - 20 * 60_000,
    phase: 'running',
    jobId: `job-${key}`,
    target: { owner: 'acme', repo: 'app', workflow: 'build.yml' },
    dispatchedAt: NOW - 20 * 60_000,
    runId: Number(key.replace(/\D/g, '')) || 1,
    runNameChecked: true,
    runFacts: {} as RunningRecord['runFacts'],
    acknowledged: true,
    ...changes
  })
  const run = (changes: Partial<WorkflowRun> = {}): WorkflowRun => ({
    id: 1,
    status: 'in_progress',
    conclusion: null,
    html_url: 'https://github.com/acme/app/actions/runs/1',
    created_at: new Date(NOW - 20 * 60_000).toISOString(),
    updated_at: new Date(NOW - 10 * 60_000).toISOString(),
    ...changes
  })

  it('groups running records by repository, reaching back before the oldest dispatch, leaving out runs over two hours old', () => {
    const groups = runsByRepository(
      [
        record('a1'),
        record('a2', { dispatchedAt: NOW - 80 * 60_000, target: { owner: 'ACME', repo: 'App', workflow: 'x.yml' } }),
        record('b3', { target: { owner: 'acme', repo: 'web', workflow: 'build.yml' } }),
        record('b4', { target: { owner: 'acme', repo: 'web', workflow: 'build.yml' }, dispatchedAt: NOW - 9 * HOUR }),
        record('c5', { runId: undefined }),
        record('d6', { stopped: true }),
        { key: 'e', createdAt: NOW, phase: 'closed' }
      ],
      NOW
    )
    expect(groups.map((group) => [group.repo, group.records.length, (NOW - group.since) / 60_000])).toEqual([
      ['app', 2, 81],
      ['web', 1, 21]
    ])
  })

  it('looks at a listed run only when there is something to act on', () => {
    const watched = { ...record('a1'), runId: 1 }
    expect(lookNeeded(watched, run(), NOW, timing)).toBe(false)
    expect(lookNeeded(watched, run({ status: 'completed', conclusion: 'failure' }), NOW, timing)).toBe(true)
    expect(lookNeeded({ ...watched, runNameChecked: undefined }, run(), NOW, timing)).toBe(true)
    expect(lookNeeded({ ...watched, runFacts: undefined }, run(), NOW, timing)).toBe(true)
    expect(lookNeeded({ ...watched, attempts: 1 }, run(), NOW, timing)).toBe(true)
    // A new job's record starts its count at nought.
    expect(lookNeeded({ ...watched, attempts: 0 }, run(), NOW, timing)).toBe(false)
    expect(lookNeeded(watched, run({ run_attempt: 2 }), NOW, timing)).toBe(false)
    expect(lookNeeded({ ...watched, heldAt: NOW - 60_000 }, run({ run_attempt: 2 }), NOW, timing)).toBe(true)
    const queuedLong = run({ status: 'queued', created_at: new Date(NOW - 31 * 60_000).toISOString() })
    expect(lookNeeded(watched, queuedLong, NOW, timing)).toBe(true)
  })

  it('counts a run that ended over a minute ago, with its job open, as a delivery missed', () => {
    const ended = (ago: number) => run({ status: 'completed', updated_at: new Date(NOW - ago).toISOString() })
    expect(deliveryMissed(ended(61_000), NOW)).toBe(true)
    expect(deliveryMissed(ended(30_000), NOW)).toBe(false)
    expect(deliveryMissed(run(), NOW)).toBe(false)
  })

  it('counts on deliveries once one arrived after the last one missed', () => {
    expect(pushTrusted({})).toBe(false)
    expect(pushTrusted({ deliveredAt: NOW })).toBe(true)
    expect(pushTrusted({ deliveredAt: NOW - 1, missedAt: NOW })).toBe(false)
    expect(pushTrusted({ deliveredAt: NOW, missedAt: NOW - 1 })).toBe(true)
  })
})
