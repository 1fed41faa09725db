import { describe, expect, it } from 'vitest'
import { attribute, plain } from '../../src/bridge/state-store.js'

describe('DynamoDB attributes', () => {
  it('carry a record through and back, leaving undefined fields out', () => {
    const record = {
      phase: 'running',
      runId: 9100000001,
      acknowledged: true,
      target: { owner: 'acme', repo: 'app', workflow: 'build.yml', branch: undefined },
      outcome: { type: 'JobFailed', message: 'x' },
      list: ['a', 1]
    }
    expect(attribute(record)).toEqual({
      M: {
        phase: { S: 'running' },
        runId: { N: '9100000001' },
        acknowledged: { BOOL: true },
        target: { M: { owner: { S: 'acme' }, repo: { S: 'app' }, workflow: { S: 'build.yml' } } },
        outcome: { M: { type: { S: 'JobFailed' }, message: { S: 'x' } } },
        list: { L: [{ S: 'a' }, { N: '1' }] }
      }
    })
    const { target, ...rest } = record
    expect(plain(attribute(record))).toEqual({ ...rest, target: { owner: 'acme', repo: 'app', workflow: 'build.yml' } })
    expect(target.branch).toBeUndefined()
  })
})
