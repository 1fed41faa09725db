import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { GITHUB_ACTIONS_TYPE } from '../../local/emulator/jobs.js'
import { CodePipelineEmulator } from '../../local/emulator/server.js'
import { runStep, type StepOptions } from '../../local/runner.js'

// The job action through its bundle on Node 24: reading, acknowledging and claiming jobs.
let emulator: CodePipelineEmulator
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'
const OTHER_SHA = 'ffffffffffffffffffffffffffffffffffffffff'

beforeAll(async () => {
  emulator = await CodePipelineEmulator.start({ newJobState: 'InProgress' })
  // An action type with no queryable property, for claims without a query.
  emulator.defineActionType({
    ...GITHUB_ACTIONS_TYPE,
    id: { ...GITHUB_ACTIONS_TYPE.id, provider: 'PlainBuild' },
    actionConfigurationProperties: [{ name: 'Project', required: true, key: true, secret: false }]
  })
})
afterAll(() => emulator.close())
beforeEach(() => {
  emulator.reset()
  // Each test starts from an empty queue.
  emulator.jobs.failWaiting()
})

function jobStep(inputs: Record<string, string>, options: Partial<StepOptions> = {}) {
  return runStep({ endpoint: emulator.url, action: 'job', ...options, inputs })
}

describe('reading a known job', () => {
  it('sets the pipeline context, configuration without secrets, and the input artifacts', async () => {
    const job = emulator.createJob({
      configuration: { Owner: 'acme', Repo: 'app', Workflow: 'build', DeployToken: 'tok-SECRET-value-123' },
      inputArtifacts: [
        { name: 'SourceArtifact', revision: SHA, bucketName: 'artifact-bucket', objectKey: 'app/Source/abc.zip' }
      ]
    })
    const run = await jobStep({ 'job-id': job.id })
    expect(run.code).toBe(0)
    expect(emulator.operations()).toEqual(['GetJobDetails', 'ListActionTypes', 'ListActionTypes'])
    const context = job.data.pipelineContext
    expect(run.outputs).toEqual({
      'job-id': job.id,
      'account-id': '111122223333',
      'pipeline-name': 'checkout-service',
      'pipeline-arn': context.pipelineArn,
      'pipeline-execution-id': context.pipelineExecutionId,
      'pipeline-execution-url': `https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/checkout-service/executions/${context.pipelineExecutionId}/timeline?region=us-east-1`,
      'stage-name': 'Build',
      'action-name': 'GitHubBuild',
      'action-execution-id': context.action.actionExecutionId,
      configuration: '{"Owner":"acme","Repo":"app","Workflow":"build"}',
      'input-artifacts': JSON.stringify([
        {
          name: 'SourceArtifact',
          revision: SHA,
          s3Location: { bucketName: 'artifact-bucket', objectKey: 'app/Source/abc.zip' }
        }
      ]),
      'input-revision': SHA
    })
    expect(run.summary).toContain('checkout-service')
    expect(run.summary).toContain(
      `<a href="https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/checkout-service/executions/${context.pipelineExecutionId}/timeline?region=us-east-1"><code>${context.pipelineExecutionId}</code></a>`
    )
    expect(run.stdout).toContain(`::add-mask::tok-SECRET-value-123`)
  })

  it('sets continuation-token when the job continues an earlier one', async () => {
    const job = emulator.createJob({ continuationToken: 'step-2-of-3' })
    const run = await jobStep({ 'job-id': job.id })
    expect(run.outputs['continuation-token']).toBe('step-2-of-3')
  })

  it('acknowledges first with a good nonce', async () => {
    const job = emulator.createJob({ state: 'Dispatched' })
    const run = await jobStep({ 'job-id': job.id, nonce: job.nonce })
    expect(run.code).toBe(0)
    expect(emulator.operations().slice(0, 2)).toEqual(['AcknowledgeJob', 'GetJobDetails'])
    expect(job.state).toBe('InProgress')
  })

  it('says another worker has the job when the nonce is refused', async () => {
    const job = emulator.createJob({ state: 'Dispatched' })
    const run = await jobStep({ 'job-id': job.id, nonce: 'stale-nonce' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::Another worker already claimed job .*InvalidNonceException/)
    expect(emulator.operations()).toEqual(['AcknowledgeJob'])
    expect(job.state).toBe('Dispatched')
  })

  it('leaves the configuration out, with a warning, when the action type cannot be read', async () => {
    emulator.inject({ kind: 'error', type: 'AccessDeniedException' }, { operation: 'ListActionTypes' })
    const job = emulator.createJob({
      configuration: { Owner: 'acme', Repo: 'app', Workflow: 'build', DeployToken: 'hidden-token-77' }
    })
    const run = await jobStep({ 'job-id': job.id })
    expect(run.code).toBe(0)
    expect(run.outputs.configuration).toBeUndefined()
    expect(run.stdout).toMatch(/::warning::The 'configuration' output is left out.*codepipeline:ListActionTypes/)
  })
})

describe('claiming a job', () => {
  it('polls with the query and acknowledges the job', async () => {
    const job = emulator.createJob({ state: 'Queued' })
    const run = await jobStep({ provider: 'GitHubActions', query: 'Workflow=build' })
    expect(run.code).toBe(0)
    expect(run.outputs['job-id']).toBe(job.id)
    expect(job.state).toBe('InProgress')
    const poll = emulator.requestsFor('PollForJobs')[0]?.body
    expect(poll).toEqual({
      actionTypeId: { category: 'Build', owner: 'Custom', provider: 'GitHubActions', version: '1' },
      maxBatchSize: 1,
      queryParam: { Workflow: 'build' }
    })
  })

  it('claims without a query for an action type with no queryable property', async () => {
    const job = emulator.createJob({
      state: 'Queued',
      actionTypeId: { ...GITHUB_ACTIONS_TYPE.id, provider: 'PlainBuild' },
      configuration: { Project: 'p' }
    })
    const run = await jobStep({ provider: 'PlainBuild' })
    expect(run.code).toBe(0)
    expect(run.outputs['job-id']).toBe(job.id)
    expect(run.outputs.configuration).toBe('{"Project":"p"}')
  })

  it('explains a query the action type wants but did not get', async () => {
    emulator.createJob({ state: 'Queued' })
    const run = await jobStep({ provider: 'GitHubActions', 'wait-seconds': '0' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /::error::CodePipeline refused the poll\. If the action type has a queryable property, 'query' must name it/
    )
  })

  it('claims only the job for its revision, and acknowledges no other', async () => {
    const other = emulator.createJob({
      state: 'Queued',
      inputArtifacts: [{ name: 'SourceArtifact', revision: OTHER_SHA }]
    })
    const mine = emulator.createJob({ state: 'Queued', inputArtifacts: [{ name: 'SourceArtifact', revision: SHA }] })
    const run = await jobStep({ provider: 'GitHubActions', query: 'Workflow=build', 'match-revision': SHA })
    expect(run.code).toBe(0)
    expect(run.outputs['job-id']).toBe(mine.id)
    expect(run.outputs['input-revision']).toBe(SHA)
    expect(emulator.requestsFor('AcknowledgeJob').map((request) => request.body.jobId)).toEqual([mine.id])
    expect(other.state).toBe('Dispatched')
    expect(run.stdout).toContain(`Skipping job ${other.id}`)
  })

  it('goes on polling when another worker acknowledges the job first', async () => {
    const lost = emulator.createJob({ state: 'Queued' })
    const next = emulator.createJob({ state: 'Queued' })
    emulator.takenByOthers.add(lost.id)
    const run = await jobStep({ provider: 'GitHubActions', query: 'Workflow=build', 'wait-seconds': '20' })
    expect(run.code).toBe(0)
    expect(run.outputs['job-id']).toBe(next.id)
    expect(run.stdout).toContain(`Job ${lost.id} was claimed by another worker first`)
  })

  it('waits until a job appears', async () => {
    let job: ReturnType<CodePipelineEmulator['createJob']> | undefined
    setTimeout(() => (job = emulator.createJob({ state: 'Queued' })), 1500)
    const run = await jobStep({ provider: 'GitHubActions', query: 'Workflow=build', 'wait-seconds': '30' })
    expect(run.code).toBe(0)
    expect(run.outputs['job-id']).toBe(job!.id)
    expect(emulator.requestsFor('PollForJobs').length).toBeGreaterThan(1)
  })

  it('fails after wait-seconds, saying what it polled for', async () => {
    const run = await jobStep({
      provider: 'GitHubActions',
      query: 'Workflow=build',
      'match-revision': SHA,
      'wait-seconds': '2'
    })
    expect(run.code).toBe(1)
    expect(run.durationMs).toBeLessThan(2000 + 4000)
    expect(run.stdout).toMatch(
      /::error::No job to claim: polled for a Build\/Custom\/GitHubActions\/1 job with Workflow=build for revision a1b2c3d4\S* for 2 s\./
    )
    expect(emulator.operations()).not.toContain('AcknowledgeJob')
  })

  it('gives an empty result instead when asked', async () => {
    const run = await jobStep({
      provider: 'GitHubActions',
      query: 'Workflow=build',
      'wait-seconds': '0',
      'fail-if-none': 'false'
    })
    expect(run.code).toBe(0)
    expect(run.outputs).toEqual({})
  })

  it('explains an action type that does not exist', async () => {
    const run = await jobStep({ provider: 'NoSuchType', 'wait-seconds': '0' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::CodePipeline in Region us-east-1 has no such custom action type/)
  })
})

describe('bad input makes no call', () => {
  it.each([
    [{}, /'provider': either 'job-id' or 'provider' is required/],
    [{ 'job-id': 'nope' }, /'job-id': "nope" is not a CodePipeline job ID/],
    [{ provider: 'has space' }, /'provider': "has space" is not a valid action type provider/],
    [{ provider: 'p'.repeat(36) }, /'provider': .* 1–35 letters/],
    [{ provider: 'GitHubActions', version: '1.0' }, /'version': "1.0" is not a valid action type version/],
    [{ provider: 'GitHubActions', category: 'Builds' }, /'category': "Builds" is not an action category/],
    [{ provider: 'GitHubActions', query: 'Workflow' }, /'query': "Workflow" is not NAME=value/],
    [{ provider: 'GitHubActions', query: 'Workflow=a b' }, /'query': the value "a b" must be 1–50 letters/],
    [{ provider: 'GitHubActions', 'wait-seconds': 'forever' }, /'wait-seconds': "forever" is not a whole number/],
    [{ provider: 'GitHubActions', 'fail-if-none': 'maybe' }, /'fail-if-none': "maybe" is not true or false/]
  ])('%j', async (inputs, message) => {
    const run = await jobStep(inputs)
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(new RegExp(`::error::Invalid input ${message.source}`))
    expect(emulator.requests).toHaveLength(0)
  })
})

describe('secrets in job data', () => {
  it('never prints the artifact credentials or secret configuration, with debug on', async () => {
    const job = emulator.createJob({
      state: 'Queued',
      configuration: { Owner: 'acme', Repo: 'app', Workflow: 'build', DeployToken: 'deploy-token-SECRET-42' }
    })
    const run = await jobStep(
      { provider: 'GitHubActions', query: 'Workflow=build' },
      { env: { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' } }
    )
    expect(run.code).toBe(0)
    expect(run.outputs['job-id']).toBe(job.id)
    const masks = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('::add-mask::'))
      .map((line) => line.slice('::add-mask::'.length))
    expect(masks).toContain('deploy-token-SECRET-42')
    expect(masks.filter((value) => value.startsWith('ASIA'))).toHaveLength(1)
    const unmasked = run.everything
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n')
    for (const secret of masks) expect(unmasked).not.toContain(secret)
    expect(unmasked).not.toContain('deploy-token-SECRET-42')
  })
})

describe('the reporting action with a nonce', () => {
  it('acknowledges the job, then reports', async () => {
    const job = emulator.createJob({ state: 'Dispatched' })
    const run = await runStep({ endpoint: emulator.url, inputs: { 'job-id': job.id, nonce: job.nonce } })
    expect(run.code).toBe(0)
    expect(emulator.operations()).toEqual(['AcknowledgeJob', 'PutJobSuccessResult'])
    expect(job.state).toBe('Succeeded')
  })

  it('reports nothing when another worker holds the job', async () => {
    const job = emulator.createJob({ state: 'Dispatched' })
    const run = await runStep({ endpoint: emulator.url, inputs: { 'job-id': job.id, nonce: 'not-mine' } })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::Another worker already claimed CodePipeline job/)
    expect(emulator.operations()).toEqual(['AcknowledgeJob'])
    expect(job.state).toBe('Dispatched')
  })
})
