import { describe, expect, it, vi } from 'vitest'

const masked: string[] = []
vi.mock('@actions/core', () => ({ setSecret: (value: string) => masked.push(value) }))
const { maskEnvironmentSecrets } = await import('../../src/core/secrets.js')

describe('maskEnvironmentSecrets', () => {
  it('masks the AWS keys and session token that are set', () => {
    maskEnvironmentSecrets({
      AWS_ACCESS_KEY_ID: 'AKIA1',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: '',
      AWS_REGION: 'x'
    })
    expect(masked).toEqual(['AKIA1', 'secret'])
  })
})
