import { describe, expect, it, vi } from 'vitest'
import { jobCredentialProvider, JOB_CREDENTIALS_LIFETIME_MS } from '../../src/artifacts/job-credentials.js'

describe('jobCredentialProvider', () => {
  it('hands out the job credentials first, then fresh ones, masking each set', async () => {
    const refresh = vi.fn().mockResolvedValue({ accessKeyId: 'ASIA2', secretAccessKey: 's2', sessionToken: 't2' })
    const masked: string[] = []
    const provider = jobCredentialProvider(
      { accessKeyId: 'ASIA1', secretAccessKey: 's1', sessionToken: 't1' },
      refresh,
      (secret) => masked.push(secret),
      () => 1000
    )
    expect(await provider()).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 's1',
      sessionToken: 't1',
      expiration: new Date(1000 + JOB_CREDENTIALS_LIFETIME_MS)
    })
    expect(refresh).not.toHaveBeenCalled()
    expect((await provider()).accessKeyId).toBe('ASIA2')
    expect(masked).toEqual(['ASIA1', 's1', 't1', 'ASIA2', 's2', 't2'])
  })

  it('says so when CodePipeline gives no credentials', async () => {
    await expect(
      jobCredentialProvider(
        {} as never,
        () => Promise.resolve(undefined),
        () => {}
      )()
    ).rejects.toThrow(/no artifact credentials/)
  })
})
