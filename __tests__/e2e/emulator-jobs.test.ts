import {
  type ActionTypeId,
  AcknowledgeJobCommand,
  CodePipelineClient,
  GetJobDetailsCommand,
  ListActionTypesCommand,
  PollForJobsCommand
} from '@aws-sdk/client-codepipeline'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { GITHUB_ACTIONS_TYPE } from '../../local/emulator/jobs.js'
import { CodePipelineEmulator, EMULATOR_CREDENTIALS } from '../../local/emulator/server.js'

// The job side of the emulator: polling, claiming and reading jobs with the real SDK.
let emulator: CodePipelineEmulator
let client: CodePipelineClient
// The emulator keeps IDs as plain strings; the SDK wants its enums.
const actionTypeId = GITHUB_ACTIONS_TYPE.id as ActionTypeId

beforeAll(async () => {
  emulator = await CodePipelineEmulator.start({ dispatchTimeoutMs: 300, newJobState: 'InProgress' })
  client = new CodePipelineClient({
    region: 'us-east-1',
    endpoint: emulator.url,
    credentials: EMULATOR_CREDENTIALS,
    maxAttempts: 1
  })
})
afterAll(() => emulator.close())
beforeEach(() => {
  for (const job of emulator.jobs.all()) job.state = 'Failed'
})

const poll = (query: Record<string, string> = { Workflow: 'build' }, maxBatchSize?: number) =>
  client.send(new PollForJobsCommand({ actionTypeId, queryParam: query, maxBatchSize }))

describe('PollForJobs', () => {
  it('hands out queued jobs of the type whose queryable property matches, and dispatches them', async () => {
    const wanted = emulator.createJob({ state: 'Queued' })
    emulator.createJob({ state: 'Queued', configuration: { Owner: 'a', Repo: 'b', Workflow: 'deploy' } })
    const { jobs } = await poll({ Workflow: 'build' }, 5)
    expect(jobs?.map((job) => job.id)).toEqual([wanted.id])
    expect(jobs?.[0]).toMatchObject({ nonce: wanted.nonce, accountId: '111122223333' })
    expect(jobs?.[0]?.data?.artifactCredentials?.sessionToken).toBeTruthy()
    expect(wanted.state).toBe('Dispatched')
    expect((await poll()).jobs).toEqual([])
  })

  it('hands out one job by default', async () => {
    emulator.createJob({ state: 'Queued' })
    emulator.createJob({ state: 'Queued' })
    expect((await poll()).jobs).toHaveLength(1)
  })

  it('hands a job out again when nobody acknowledged it in time, under a new nonce', async () => {
    const job = emulator.createJob({ state: 'Queued' })
    const first = (await poll()).jobs?.[0]?.nonce
    await new Promise((resolve) => setTimeout(resolve, 350))
    const second = (await poll()).jobs?.[0]
    expect(second?.id).toBe(job.id)
    expect(second?.nonce).not.toBe(first)
  })

  it('insists on the queryable property, and refuses unknown types and other owners', async () => {
    await expect(client.send(new PollForJobsCommand({ actionTypeId }))).rejects.toMatchObject({
      name: 'ValidationException'
    })
    await expect(poll({ Other: 'x' })).rejects.toMatchObject({ name: 'ValidationException' })
    await expect(
      client.send(
        new PollForJobsCommand({ actionTypeId: { ...actionTypeId, provider: 'Nope' }, queryParam: { Workflow: 'b' } })
      )
    ).rejects.toMatchObject({ name: 'ActionTypeNotFoundException' })
    await expect(
      client.send(new PollForJobsCommand({ actionTypeId: { ...actionTypeId, owner: 'AWS' } }))
    ).rejects.toMatchObject({ name: 'ValidationException' })
    await expect(poll({ Workflow: 'has space' })).rejects.toMatchObject({ name: 'ValidationException' })
  })
})

describe('AcknowledgeJob', () => {
  it('claims a dispatched job with its nonce, once', async () => {
    const job = emulator.createJob({ state: 'Queued' })
    const handed = (await poll()).jobs?.[0]
    await expect(client.send(new AcknowledgeJobCommand({ jobId: job.id, nonce: 'wrong' }))).rejects.toMatchObject({
      name: 'InvalidNonceException'
    })
    expect((await client.send(new AcknowledgeJobCommand({ jobId: job.id, nonce: handed?.nonce }))).status).toBe(
      'InProgress'
    )
    expect(job.state).toBe('InProgress')
  })

  it('refuses the nonce when another worker acknowledged first', async () => {
    const job = emulator.createJob({ state: 'Queued' })
    emulator.takenByOthers.add(job.id)
    const handed = (await poll()).jobs?.[0]
    await expect(client.send(new AcknowledgeJobCommand({ jobId: job.id, nonce: handed?.nonce }))).rejects.toMatchObject(
      {
        name: 'InvalidNonceException'
      }
    )
  })
})

describe('GetJobDetails and ListActionTypes', () => {
  it('reads a job with fresh artifact credentials each time', async () => {
    const job = emulator.createJob()
    const first = (await client.send(new GetJobDetailsCommand({ jobId: job.id }))).jobDetails
    const second = (await client.send(new GetJobDetailsCommand({ jobId: job.id }))).jobDetails
    expect(first?.data?.pipelineContext?.pipelineName).toBe('checkout-service')
    expect(first?.data?.artifactCredentials?.secretAccessKey).not.toBe(
      second?.data?.artifactCredentials?.secretAccessKey
    )
    await expect(
      client.send(new GetJobDetailsCommand({ jobId: '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11' }))
    ).rejects.toMatchObject({
      name: 'JobNotFoundException'
    })
  })

  it('lists custom action types a page at a time', async () => {
    const first = await client.send(new ListActionTypesCommand({ actionOwnerFilter: 'Custom' }))
    expect(first.actionTypes).toHaveLength(2)
    const second = await client.send(
      new ListActionTypesCommand({ actionOwnerFilter: 'Custom', nextToken: first.nextToken })
    )
    expect(second.actionTypes?.map((type) => type.id?.provider)).toContain('GitHubActions')
  })
})
