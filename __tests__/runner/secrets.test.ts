import { describe, expect, it, vi } from 'vitest'
import * as core from '../../__fixtures__/core.js'
import { maskCredentials, maskEnvironmentSecrets } from '../../src/runner/secrets.js'

vi.mock('@actions/core', () => core)

describe('maskEnvironmentSecrets', () => {
  it('masks the AWS keys and session token that are set', () => {
    maskEnvironmentSecrets({
      AWS_ACCESS_KEY_ID: 'AKIA1',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: '',
      AWS_REGION: 'x'
    })
    expect(core.setSecret.mock.calls.flat()).toEqual(['AKIA1', 'secret'])
  })
})

describe('maskCredentials', () => {
  it('masks each part that is set, and nothing when there are none', () => {
    maskCredentials({ accessKeyId: 'ASIA1', secretAccessKey: 'sk' })
    maskCredentials(undefined)
    expect(core.setSecret.mock.calls.flat()).toEqual(['ASIA1', 'sk'])
  })
})
