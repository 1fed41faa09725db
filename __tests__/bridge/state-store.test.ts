import { describe, expect, it } from 'vitest'
import { MAX_STORED_TEXT, update } from '../../src/bridge/dynamo-item.js'
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

describe('stored text', () => {
  it('is cut to MAX_STORED_TEXT wherever it sits, so that a multi-megabyte answer from GitHub cannot push an item past 400 KB', () => {
    const huge = '€'.repeat(3 * 1024 * 1024)
    const fields = {
      lastError: `POST /dispatches: 503 ${huge}`,
      closedBecause: huge,
      runUrl: huge,
      nonce: huge,
      outcome: { type: 'SystemUnavailable', message: huge },
      target: { owner: huge, repo: huge, workflow: huge, branch: huge },
      place: { pipeline: huge, executionId: huge, stage: huge, action: huge }
    }
    const request = update('key', fields, [], { condition: 'leaseOwner = :owner', values: { ':owner': huge } })
    const texts = JSON.stringify(request.ExpressionAttributeValues).match(/"S":"[^"]*"/g) ?? []
    expect(texts.length).toBeGreaterThan(10)
    for (const text of texts) expect(text.length - 6).toBeLessThanOrEqual(MAX_STORED_TEXT)
    // Three bytes of UTF-8 at most for each UTF-16 unit of these strings.
    expect(Buffer.byteLength(JSON.stringify(request))).toBeLessThan(400 * 1024)
    expect(attribute(fields.lastError)).toEqual({ S: expect.stringMatching(/^POST \/dispatches: 503 €+…$/) as unknown })
  })

  it('leaves text within the bound as it is', () => {
    const text = 'x'.repeat(MAX_STORED_TEXT)
    expect(attribute(text)).toEqual({ S: text })
  })
})
