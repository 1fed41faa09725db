import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CodePipelineEmulator } from '../../local/emulator/server.js'
import { runStep } from '../../local/runner.js'

// Every bad-input rule, through the bundle: the step fails with a message that
// names the input, and a pipeline waiting on a valid job hears about it.
let emulator: CodePipelineEmulator

beforeAll(async () => {
  emulator = await CodePipelineEmulator.start({ newJobState: 'InProgress' })
})
afterAll(() => emulator.close())
beforeEach(() => emulator.reset())

async function report(inputs: Record<string, string>) {
  const run = await runStep({ endpoint: emulator.url, inputs })
  return { run, calls: [...emulator.requests] }
}

describe('an invalid job-id', () => {
  it.each([
    ['missing', '', /Invalid input 'job-id': it is required/],
    ['not a UUID', 'job-123', /Invalid input 'job-id': "job-123" is not a CodePipeline job ID/],
    ['upper case', 'ABCDEF12-3456-7890-ABCD-EF1234567890', /Invalid input 'job-id': .*\(it has upper-case letters\)/]
  ])('fails the step and calls nothing when it is %s', async (_, jobId, message) => {
    const { run, calls } = await report({ 'job-id': jobId })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(new RegExp(`::error::${message.source}`))
    expect(calls).toHaveLength(0)
  })
})

describe('a valid job-id with another bad input', () => {
  it.each([
    ['output-variables', 'bad name=1', /the name "bad name" has characters CodePipeline does not allow/],
    ['output-variables', '{"A": null}', /the value of "A" is null, but CodePipeline variables are strings/],
    ['output-variables', '{"A": {"b": 1}}', /the value of "A" is an object/],
    ['output-variables', '{"A": [1]}', /the value of "A" is an array/],
    ['output-variables', '[1, 2]', /JSON must be an object of names to values/],
    ['output-variables', '{"A": ', /it starts like JSON but does not parse/],
    ['output-variables', 'A=1\nA=2', /the name "A" appears more than once/],
    ['output-variables', 'A=1\nno separator', /line 2 has no '='/],
    [
      'output-variables',
      `BIG=${'x'.repeat(122_878)}`,
      /names and values add up to 122881 bytes, over CodePipeline's limit of 122880 bytes/
    ],
    ['percent-complete', '101', /"101" is not a whole number from 0 to 100/],
    ['percent-complete', '5.5', /"5.5" is not a whole number/],
    ['continuation-token', 't'.repeat(2049), /it is 2049 characters long, over CodePipeline's limit of 2048/],
    ['external-execution-id', 'e'.repeat(1501), /it is 1501 characters long/],
    ['revision', 'r'.repeat(1501), /it is 1501 characters long/],
    ['change-identifier', 'c'.repeat(101), /it is 101 characters long, over CodePipeline's limit of 100/],
    ['revision-created', 'yesterday', /"yesterday" is not an ISO 8601 date/],
    ['revision-created', '2026-02-30T10:00:00Z', /"2026-02-30T10:00:00Z" is not a real calendar date/],
    ['revision-created', '2026-11-26T09:30:00', /"2026-11-26T09:30:00" has no time zone/],
    ['revision-created', '2026-11-26T09:30:00Z!', /"2026-11-26T09:30:00Z!" has text after the date, time and zone/],
    ['output-variables', '{"A": "1", "A": "2"}', /the name "A" appears more than once in the JSON object/],
    ['status', 'skipped', /"skipped" is not one of success, failure, cancelled/],
    ['failure-type', 'Oops', /"Oops" is not a CodePipeline failure type/],
    ['max-attempts', '0', /"0" is not a whole number from 1 to 50/],
    ['timeout-seconds', 'soon', /"soon" is not a whole number/],
    ['aws-region', 'US East', /"US East" is not an AWS Region code/]
  ])('rejects %s %#, and reports ConfigurationError', async (input, value, message) => {
    const job = emulator.createJob()
    const { run, calls } = await report({ 'job-id': job.id, [input]: value })

    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(new RegExp(`::error::Invalid input '${input}': ${message.source}`))
    expect(calls).toHaveLength(1)
    expect(calls[0]?.operation).toBe('PutJobFailureResult')
    expect(calls[0]?.status).toBe(200)
    const details = calls[0]?.body.failureDetails as { type: string; message: string; externalExecutionId: string }
    expect(details.type).toBe('ConfigurationError')
    expect(details.message).toMatch(message)
    expect(details.externalExecutionId).toBe('9876543210')
    expect(job.state).toBe('Failed')
    expect(run.outputs.reported).toBe('failure')
  })

  it('rejects output variables together with a continuation token', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report({ 'job-id': job.id, 'output-variables': 'A=1', 'continuation-token': 'tok' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /::error::Invalid input 'output-variables': CodePipeline takes output variables only with the final result/
    )
    expect(calls.map((call) => call.operation)).toEqual(['PutJobFailureResult'])
  })

  it('names every bad input in one run', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report({ 'job-id': job.id, 'percent-complete': 'lots', 'revision-created': 'then' })
    expect(run.stdout).toMatch(/::error::Invalid input 'percent-complete'/)
    expect(run.stdout).toMatch(/::error::Invalid input 'revision-created'/)
    const message = (calls[0]?.body.failureDetails as { message: string }).message
    expect(message).toMatch(/percent-complete[\s\S]*revision-created/)
  })
})
