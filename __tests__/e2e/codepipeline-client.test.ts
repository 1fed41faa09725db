import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { stringMatching } from '../../__fixtures__/expect.js'
import { acknowledge, CodePipeline, CodePipelineCallError } from '../../src/portable/codepipeline.js'
import { CodePipelineEmulator, EMULATOR_CREDENTIALS } from '../../local/emulator/server.js'
import { ACTION_SETTING_NAMES } from '../../src/runner/inputs.js'

let emulator: CodePipelineEmulator

beforeAll(async () => {
  emulator = await CodePipelineEmulator.start({ newJobState: 'InProgress' })
  vi.stubEnv('AWS_ACCESS_KEY_ID', EMULATOR_CREDENTIALS.accessKeyId)
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', EMULATOR_CREDENTIALS.secretAccessKey)
})
afterAll(() => emulator.close())
beforeEach(() => {
  vi.stubEnv('AWS_ENDPOINT_URL_CODEPIPELINE', emulator.url)
  vi.stubEnv('AWS_ACCESS_KEY_ID', EMULATOR_CREDENTIALS.accessKeyId)
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', EMULATOR_CREDENTIALS.secretAccessKey)
  emulator.faults.clear()
})

const pipeline = (maxAttempts = 3, timeoutSeconds = 30): CodePipeline =>
  new CodePipeline(
    { region: 'us-east-1', maxAttempts, timeoutSeconds, names: ACTION_SETTING_NAMES },
    { debug: () => undefined }
  )

describe('CodePipeline', () => {
  it('counts the attempts a call took', async () => {
    emulator.inject({ kind: 'server-error' })
    const job = emulator.createJob()
    expect(await pipeline().putJobSuccessResult({ jobId: job.id })).toEqual({ attempts: 2 })
  })

  it('wraps a final error with the attempts, and no lost answer', async () => {
    const error = await pipeline()
      .putJobSuccessResult({ jobId: '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11' })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(CodePipelineCallError)
    expect(error).toMatchObject({ operation: 'PutJobSuccessResult', attempts: 1, earlierAnswerLost: false })
    expect((error as CodePipelineCallError).cause).toMatchObject({ name: 'JobNotFoundException' })
  })

  it('remembers that an earlier attempt lost its answer', async () => {
    emulator.inject({ kind: 'drop-after' })
    const job = emulator.createJob()
    const error = (await pipeline()
      .putJobFailureResult({ jobId: job.id, failureDetails: { type: 'JobFailed', message: 'm' } })
      .catch((caught: unknown) => caught)) as CodePipelineCallError
    expect(error.earlierAnswerLost).toBe(true)
    expect(error.attempts).toBe(2)
    expect(error.cause).toMatchObject({ name: 'InvalidJobStateException' })
  })

  it('stops at max-attempts', async () => {
    emulator.inject({ kind: 'server-error' }, { times: Infinity })
    const error = (await pipeline(2)
      .putJobSuccessResult({ jobId: emulator.createJob().id })
      .catch((caught: unknown) => caught)) as CodePipelineCallError
    expect(error.attempts).toBe(2)
  })

  it('gives up at the deadline', async () => {
    emulator.inject({ kind: 'latency', ms: 3000 })
    const started = Date.now()
    const error = (await pipeline(1, 1)
      .putJobSuccessResult({ jobId: emulator.createJob().id })
      .catch((caught: unknown) => caught)) as CodePipelineCallError
    expect(Date.now() - started).toBeLessThan(2500)
    expect(error.cause).toMatchObject({ name: stringMatching(/AbortError|TimeoutError/) })
  })
})

describe('acknowledge', () => {
  it('claims a job with its nonce, and says its status', async () => {
    const job = emulator.createJob({ state: 'Dispatched' })
    expect(await acknowledge(pipeline(), job.id, job.nonce)).toEqual({
      outcome: 'claimed',
      status: 'InProgress',
      answerLost: false
    })
  })

  it('says another worker has the job when CodePipeline refuses the nonce', async () => {
    const job = emulator.createJob({ state: 'Dispatched' })
    const answer = await acknowledge(pipeline(), job.id, 'not-the-nonce')
    expect(answer).toMatchObject({ outcome: 'taken', refusal: { operation: 'AcknowledgeJob' } })
    expect(job.state).toBe('Dispatched')
  })

  it('claims a job whose nonce a lost attempt of its own used', async () => {
    const refused = new CodePipelineCallError(
      'AcknowledgeJob',
      Object.assign(new Error('The nonce was already used'), { name: 'InvalidNonceException' }),
      { attempts: 2, earlierAnswerLost: true }
    )
    const refusing = { acknowledgeJob: () => Promise.reject(refused) }
    expect(await acknowledge(refusing, 'job-1', 'n')).toEqual({
      outcome: 'claimed',
      status: undefined,
      answerLost: true
    })
  })

  it('throws every other failure, for the caller to weigh', async () => {
    const denied = new CodePipelineCallError('AcknowledgeJob', new Error('denied'), {
      attempts: 1,
      earlierAnswerLost: false
    })
    await expect(acknowledge({ acknowledgeJob: () => Promise.reject(denied) }, 'job-1', 'n')).rejects.toBe(denied)
    const unexpected = new Error('bug')
    await expect(acknowledge({ acknowledgeJob: () => Promise.reject(unexpected) }, 'job-1', 'n')).rejects.toBe(
      unexpected
    )
  })
})
