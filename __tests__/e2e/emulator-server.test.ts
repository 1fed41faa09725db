import {
  CodePipelineClient,
  InvalidJobStateException,
  JobNotFoundException,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand
} from '@aws-sdk/client-codepipeline'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { stringMatching } from '../../__fixtures__/expect.js'
import { CodePipelineEmulator, EMULATOR_CREDENTIALS } from '../../local/emulator/server.js'

// The emulator must be as strict as CodePipeline, or the end-to-end tests prove little.
let emulator: CodePipelineEmulator

function client(
  credentials: { accessKeyId: string; secretAccessKey: string } = EMULATOR_CREDENTIALS
): CodePipelineClient {
  return new CodePipelineClient({ region: 'us-east-1', endpoint: emulator.url, credentials, maxAttempts: 1 })
}

beforeAll(async () => {
  emulator = await CodePipelineEmulator.start({ newJobState: 'InProgress' })
})
afterAll(() => emulator.close())
beforeEach(() => emulator.reset())

describe('the wire protocol', () => {
  it('takes a signed result from the real SDK and ends the job', async () => {
    const job = emulator.createJob()
    await client().send(new PutJobSuccessResultCommand({ jobId: job.id, outputVariables: { A: '1' } }))
    expect(job.state).toBe('Succeeded')
    expect(emulator.requests[0]).toMatchObject({ operation: 'PutJobSuccessResult', status: 200 })
    expect(emulator.requests[0]?.headers['x-amz-target']).toBe('CodePipeline_20150709.PutJobSuccessResult')
  })

  it('refuses a wrong secret key, an unknown key and an unsigned request', async () => {
    const job = emulator.createJob()
    await expect(
      client({ accessKeyId: EMULATOR_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' }).send(
        new PutJobSuccessResultCommand({ jobId: job.id })
      )
    ).rejects.toMatchObject({ name: 'InvalidSignatureException' })
    await expect(
      client({ accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' }).send(new PutJobSuccessResultCommand({ jobId: job.id }))
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException' })
    const unsigned = await fetch(emulator.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'CodePipeline_20150709.PutJobSuccessResult'
      },
      body: JSON.stringify({ jobId: job.id })
    })
    expect(unsigned.status).toBe(403)
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' })
    expect(job.state).toBe('InProgress')
  })
})

describe('the API rules', () => {
  it.each([
    [{ jobId: 'not-a-uuid' }, /jobId must satisfy regular expression pattern/],
    [{ executionDetails: { percentComplete: 101 } }, /percentComplete must be less than or equal to 100/],
    [{ executionDetails: { summary: 's'.repeat(2049) } }, /summary must have length less than or equal to 2048/],
    [{ currentRevision: { revision: 'r' } }, /changeIdentifier must not be null/],
    [{ currentRevision: { revision: 'r', changeIdentifier: 'c'.repeat(101) } }, /changeIdentifier must have length/],
    [{ outputVariables: { 'a b': '1' } }, /outputVariables key must satisfy/],
    [{ continuationToken: 't', outputVariables: { A: '1' } }, /only be set when continuationToken is not set/]
  ])('refuses %j', async (fields, message) => {
    const job = emulator.createJob()
    const error = await client()
      .send(new PutJobSuccessResultCommand({ jobId: job.id, ...fields } as never))
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({ name: 'ValidationException', message: stringMatching(message) })
  })

  it('refuses output variables over 122,880 bytes', async () => {
    const job = emulator.createJob()
    await expect(
      client().send(new PutJobSuccessResultCommand({ jobId: job.id, outputVariables: { AB: 'x'.repeat(122_879) } }))
    ).rejects.toMatchObject({ name: 'OutputVariablesSizeExceededException' })
  })

  it('refuses a second result and an unknown job', async () => {
    const job = emulator.createJob()
    await client().send(
      new PutJobFailureResultCommand({ jobId: job.id, failureDetails: { type: 'JobFailed', message: 'no' } })
    )
    expect(job.state).toBe('Failed')
    await expect(client().send(new PutJobSuccessResultCommand({ jobId: job.id }))).rejects.toBeInstanceOf(
      InvalidJobStateException
    )
    await expect(
      client().send(new PutJobSuccessResultCommand({ jobId: '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11' }))
    ).rejects.toBeInstanceOf(JobNotFoundException)
  })

  it('refuses a failure type outside the enum', async () => {
    const job = emulator.createJob()
    await expect(
      client().send(
        new PutJobFailureResultCommand({ jobId: job.id, failureDetails: { type: 'Oops' as never, message: 'm' } })
      )
    ).rejects.toMatchObject({ name: 'ValidationException' })
  })
})

describe('faults', () => {
  it('throttles, fails and drops the requests it is told to, then recovers', async () => {
    emulator.inject({ kind: 'throttle' }, { operation: 'PutJobSuccessResult' })
    emulator.inject({ kind: 'server-error', status: 503 }, { operation: 'PutJobSuccessResult' })
    const job = emulator.createJob()
    const retrying = new CodePipelineClient({
      region: 'us-east-1',
      endpoint: emulator.url,
      credentials: EMULATOR_CREDENTIALS,
      maxAttempts: 3
    })
    await retrying.send(new PutJobSuccessResultCommand({ jobId: job.id }))
    expect(emulator.requests.map((request) => request.status)).toEqual([400, 503, 200])
  })

  it('drops the answer after processing the request', async () => {
    emulator.inject({ kind: 'drop-after' })
    const job = emulator.createJob()
    await expect(client().send(new PutJobSuccessResultCommand({ jobId: job.id }))).rejects.toThrow()
    expect(job.state).toBe('Succeeded')
    expect(emulator.requests[0]?.status).toBe('dropped')
  })

  it('waits before answering', async () => {
    emulator.inject({ kind: 'latency', ms: 300 })
    const job = emulator.createJob()
    const started = Date.now()
    await client().send(new PutJobSuccessResultCommand({ jobId: job.id }))
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
  })
})

describe('the control API', () => {
  it('creates jobs, injects faults and lists requests over HTTP', async () => {
    const created = (await (await fetch(`${emulator.url}/_emulator/jobs`, { method: 'POST', body: '{}' })).json()) as {
      id: string
    }
    await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ fault: { kind: 'throttle' }, times: 1 })
    })
    await expect(client().send(new PutJobSuccessResultCommand({ jobId: created.id }))).rejects.toMatchObject({
      name: 'ThrottlingException'
    })
    await client().send(new PutJobSuccessResultCommand({ jobId: created.id }))
    const job = (await (await fetch(`${emulator.url}/_emulator/jobs/${created.id}`)).json()) as { state: string }
    expect(job.state).toBe('Succeeded')
    const requests = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as unknown[]
    expect(requests).toHaveLength(2)
  })
})

describe('a job that nobody acknowledged', () => {
  it('starts Queued where the emulator is not told otherwise, and takes no result before AcknowledgeJob', async () => {
    const strict = await CodePipelineEmulator.start()
    try {
      const job = strict.createJob()
      expect(job.state).toBe('Queued')
      const pipeline = new CodePipelineClient({
        region: 'us-east-1',
        endpoint: strict.url,
        credentials: EMULATOR_CREDENTIALS,
        maxAttempts: 1
      })
      await expect(pipeline.send(new PutJobSuccessResultCommand({ jobId: job.id }))).rejects.toThrow(
        InvalidJobStateException
      )
      await expect(pipeline.send(new PutJobSuccessResultCommand({ jobId: job.id }))).rejects.toThrow(
        /acknowledge it with its nonce \(AcknowledgeJob\) before you answer it/
      )
      expect(job.state).toBe('Queued')
    } finally {
      await strict.close()
    }
  })
})
