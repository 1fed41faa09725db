import { describe, expect, it, vi } from 'vitest'
import * as core from '../../__fixtures__/core.js'
import { jobOutputs, maskJobSecrets } from '../../src/job/outputs.js'

vi.mock('@actions/core', () => core)

const masked = (): string[] => core.setSecret.mock.calls.map(([value]) => value)

const job = {
  id: 'job-1',
  data: {
    actionConfiguration: { configuration: { Owner: 'acme', Token: 'sekret' } },
    artifactCredentials: { accessKeyId: 'ASIA1', secretAccessKey: 'sk', sessionToken: 'st' },
    inputArtifacts: []
  }
}

describe('maskJobSecrets', () => {
  it('masks the artifact credentials and the secret properties', () => {
    maskJobSecrets(job, new Set(['Token']))
    expect(masked()).toEqual(['ASIA1', 'sk', 'st', 'sekret'])
  })

  it('masks every configuration value when the secret properties are unknown', () => {
    maskJobSecrets(job, undefined)
    expect(masked()).toEqual(['ASIA1', 'sk', 'st', 'acme', 'sekret'])
  })
})

describe('jobOutputs', () => {
  it('drops secret properties from the configuration, and leaves it out when they are unknown', () => {
    expect(jobOutputs(job, new Set(['Token'])).configuration).toBe('{"Owner":"acme"}')
    expect(jobOutputs(job, undefined)).not.toHaveProperty('configuration')
    expect(jobOutputs(job, new Set())['input-artifacts']).toBe('[]')
    expect(jobOutputs(job, new Set())).not.toHaveProperty('input-revision')
  })
})
