import type { Job } from '@aws-sdk/client-codepipeline'
import { describe, expect, it, vi } from 'vitest'
import { objectContaining } from '../../__fixtures__/expect.js'
import * as core from '../../__fixtures__/core.js'
import { CodePipelineCallError } from '../../src/portable/codepipeline.js'
import { claimJob, matches, type Clock, type JobSource } from '../../src/job/claim.js'
import type { ClaimSettings } from '../../src/job/inputs.js'

vi.mock('@actions/core', () => core)

const settings: ClaimSettings = {
  kind: 'claim',
  actionTypeId: { category: 'Build', owner: 'Custom', provider: 'GitHubActions', version: '1' },
  waitSeconds: 10,
  failIfNone: true,
  failIfUnreported: true
}

/** A clock that only moves when the code under test sleeps. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 0
  const slept: number[] = []
  return {
    slept,
    now: () => now,
    sleep: (ms) => {
      slept.push(ms)
      now += ms
      return Promise.resolve()
    },
    random: () => 0.5
  }
}

const job = (id: string, revision = 'rev'): Job => ({
  id,
  nonce: `n-${id}`,
  data: { inputArtifacts: [{ name: 'Src', revision }] }
})

function source(polls: Job[][], refuse: string[] = []): JobSource & { acked: string[] } {
  const acked: string[] = []
  return {
    acked,
    pollForJobs: vi.fn(() => Promise.resolve(polls.shift() ?? [])),
    acknowledgeJob: vi.fn((id: string) => {
      acked.push(id)
      if (refuse.includes(id)) {
        return Promise.reject(
          new CodePipelineCallError(
            'AcknowledgeJob',
            Object.assign(new Error('nonce'), { name: 'InvalidNonceException' }),
            { attempts: 1, earlierAnswerLost: false }
          )
        )
      }
      return Promise.resolve<string | undefined>('InProgress')
    })
  }
}

describe('claimJob', () => {
  it('acknowledges the first job it gets', async () => {
    const jobs = source([[job('a')]])
    expect((await claimJob(jobs, settings, fakeClock()))?.id).toBe('a')
    expect(jobs.acked).toEqual(['a'])
  })

  it('backs off with jitter between empty polls, and stops at the deadline', async () => {
    const clock = fakeClock()
    const jobs = source([])
    expect(await claimJob(jobs, { ...settings, waitSeconds: 60 }, clock)).toBeUndefined()
    expect(clock.slept.slice(0, 6)).toEqual([750, 1500, 3000, 6000, 11_250, 11_250])
    expect(clock.slept.reduce((total, ms) => total + ms, 0)).toBe(60_000)
  })

  it('polls once with wait-seconds 0', async () => {
    const jobs = source([])
    expect(await claimJob(jobs, { ...settings, waitSeconds: 0 }, fakeClock())).toBeUndefined()
    expect(jobs.pollForJobs).toHaveBeenCalledTimes(1)
  })

  it('skips jobs for other revisions without acknowledging them, in bigger batches', async () => {
    const jobs = source([[job('other', 'x'), job('mine', 'wanted')]])
    expect((await claimJob(jobs, { ...settings, matchRevision: 'wanted' }, fakeClock()))?.id).toBe('mine')
    expect(jobs.acked).toEqual(['mine'])
    expect(jobs.pollForJobs).toHaveBeenCalledWith(objectContaining({ maxBatchSize: 10 }))
  })

  it('moves on when another worker took the job', async () => {
    const jobs = source([[job('taken')], [job('free')]], ['taken'])
    expect((await claimJob(jobs, settings, fakeClock()))?.id).toBe('free')
  })

  it("tells that a job another worker took is not this workflow's, so that a stop meanwhile does not name it", async () => {
    const told: string[] = []
    const progress = {
      acknowledging: (id: string) => told.push(`acknowledging ${id}`),
      declined: (id: string) => told.push(`declined ${id}`)
    }
    const jobs = source([[job('taken')], [job('free')]], ['taken'])
    await claimJob(jobs, settings, fakeClock(), progress)
    expect(told).toEqual(['acknowledging taken', 'declined taken', 'acknowledging free'])
  })

  it('passes the query on', async () => {
    const jobs = source([[job('a')]])
    await claimJob(jobs, { ...settings, query: { name: 'Workflow', value: 'build' } }, fakeClock())
    expect(jobs.pollForJobs).toHaveBeenCalledWith({
      actionTypeId: settings.actionTypeId,
      maxBatchSize: 1,
      queryParam: { Workflow: 'build' }
    })
  })

  it('hands back the job ID when an acknowledgement fails in a way that may have claimed it', async () => {
    const jobs = source([[job('a')]])
    vi.mocked(jobs.acknowledgeJob).mockRejectedValue(
      new CodePipelineCallError('AcknowledgeJob', new Error('denied'), { attempts: 1, earlierAnswerLost: false })
    )
    await expect(claimJob(jobs, settings, fakeClock())).rejects.toMatchObject({ name: 'AcknowledgeError', jobId: 'a' })
  })

  it('takes the job when the retry finds the nonce used by its own lost attempt', async () => {
    const jobs = source([[job('a')]])
    vi.mocked(jobs.acknowledgeJob).mockRejectedValue(
      new CodePipelineCallError(
        'AcknowledgeJob',
        Object.assign(new Error('nonce'), { name: 'InvalidNonceException' }),
        { attempts: 2, earlierAnswerLost: true }
      )
    )
    expect((await claimJob(jobs, settings, fakeClock()))?.id).toBe('a')
  })
})

describe('matches', () => {
  it('matches any input artifact, or anything without a revision to match', () => {
    const twoInputs: Job = {
      data: {
        inputArtifacts: [
          { name: 'A', revision: '1' },
          { name: 'B', revision: '2' }
        ]
      }
    }
    expect(matches(twoInputs, '2')).toBe(true)
    expect(matches(twoInputs, '3')).toBe(false)
    expect(matches({}, undefined)).toBe(true)
  })
})
