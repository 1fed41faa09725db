import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CodePipelineEmulator } from '../../local/emulator/server.js'
import { runnerEnvironment, RunnerJob, type StepOptions } from '../../local/runner.js'

// The job action's post step, run as the runner runs it: after every main step of
// the GitHub job, with the state its main step saved, whatever happened before.
let emulator: CodePipelineEmulator
let github: RunnerJob

beforeAll(async () => {
  emulator = await CodePipelineEmulator.start({ newJobState: 'InProgress' })
})
afterAll(() => emulator.close())
beforeEach(() => {
  emulator.reset()
  github = new RunnerJob()
})
afterEach(() => github.close())

function jobStep(inputs: Record<string, string>, options: Partial<StepOptions> = {}) {
  return github.run({ endpoint: emulator.url, action: 'job', ...options, inputs })
}

function reportStep(inputs: Record<string, string>) {
  return github.run({ endpoint: emulator.url, inputs })
}

const { GITHUB_RUN_ID } = runnerEnvironment()

describe('a job nobody reported on', () => {
  it('fails the job at the end of the GitHub job, naming and linking the run', async () => {
    const job = emulator.createJob()
    expect((await jobStep({ 'job-id': job.id })).code).toBe(0)
    emulator.reset()

    const [post, ...others] = await github.end()
    expect(others).toEqual([])
    expect(emulator.operations()).toEqual(['PutJobFailureResult'])
    expect(job.state).toBe('Failed')
    expect(emulator.requests[0]?.body).toEqual({
      jobId: job.id,
      failureDetails: {
        type: 'JobFailed',
        message: `GitHub Actions workflow 'Build', run #42, attempt 1 ended without reporting a result for this job. The workflow's last step should report, with if: always() so that it runs when the build fails. The run: https://github.com/acme/app/actions/runs/${GITHUB_RUN_ID}`,
        externalExecutionId: GITHUB_RUN_ID
      }
    })
    expect(post?.code).toBe(1)
    expect(post?.stdout).toMatch(
      new RegExp(
        `::error::No step of this GitHub job reported a result for CodePipeline job ${job.id}, so this step reported JobFailed`
      )
    )
  })

  it('fails a claimed job whose main step failed after claiming it', async () => {
    const job = emulator.createJob({ state: 'Queued', inputArtifacts: [{ name: 'Source', revision: 'r1' }] })
    // No S3 answers here, so the download fails once the job is claimed.
    const claim = await jobStep(
      { provider: 'GitHubActions', query: 'Workflow=build', 'input-artifacts-path': 'in', 'max-attempts': '1' },
      { env: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' } }
    )
    expect(claim.code).toBe(1)
    expect(job.state).toBe('InProgress')

    const [post] = await github.end()
    expect(post?.code).toBe(1)
    expect(job.state).toBe('Failed')
  })

  it('says what to do when the credentials have expired by the end of the job', async () => {
    const job = emulator.createJob()
    await jobStep({ 'job-id': job.id })
    emulator.inject({
      kind: 'error',
      type: 'ExpiredTokenException',
      message: 'The security token included in the request is expired'
    })

    const [post] = await github.end()
    expect(post?.code).toBe(1)
    expect(post?.stdout).toMatch(
      /::error::No step reported a result for CodePipeline job .*, and this step could not tell CodePipeline either, so the pipeline waits until the action times out\. The AWS credentials have expired\..*role-duration-seconds of aws-actions\/configure-aws-credentials\), or configure credentials again in a last step with if: always\(\)\./
    )
    expect(job.state).toBe('InProgress')
  })
})

describe('a job that has its result', () => {
  it('costs no call when the reporting step ran in the same GitHub job', async () => {
    const job = emulator.createJob()
    await jobStep({ 'job-id': job.id })
    const report = await reportStep({ 'job-id': job.id })
    expect(report.exported).toEqual({ CODEPIPELINE_ANSWERED_JOBS: job.id })
    emulator.reset()

    const [post] = await github.end()
    expect(post?.code).toBe(0)
    expect(post?.stdout).toContain(`A step of this GitHub job reported the result of CodePipeline job ${job.id}.`)
    expect(emulator.operations()).toEqual([])
    expect(job.state).toBe('Succeeded')
  })

  it('counts a failure the reporting step sent as the result', async () => {
    const job = emulator.createJob()
    await jobStep({ 'job-id': job.id })
    await reportStep({ 'job-id': job.id, status: 'failure' })
    emulator.reset()

    const [post] = await github.end()
    expect(post?.code).toBe(0)
    expect(emulator.operations()).toEqual([])
  })

  it('stays quiet when CodePipeline already has a result from elsewhere', async () => {
    const job = emulator.createJob()
    await jobStep({ 'job-id': job.id })
    // Another GitHub job of the workflow reports: it leaves no mark in this one.
    const elsewhere = new RunnerJob()
    try {
      expect((await elsewhere.run({ endpoint: emulator.url, inputs: { 'job-id': job.id } })).code).toBe(0)
    } finally {
      elsewhere.close()
    }
    emulator.reset()

    const [post] = await github.end()
    expect(post?.code).toBe(0)
    expect(post?.stdout).toContain(`CodePipeline job ${job.id} already has its result; nothing to report.`)
    expect(emulator.requests.map((request) => [request.operation, request.errorType])).toEqual([
      ['PutJobFailureResult', 'InvalidJobStateException']
    ])
    expect(job.state).toBe('Succeeded')
  })
})

describe('turning the check off', () => {
  it('leaves the job alone with fail-if-unreported: false', async () => {
    const job = emulator.createJob()
    await jobStep({ 'job-id': job.id, 'fail-if-unreported': 'false' })
    emulator.reset()

    const [post] = await github.end()
    expect(post?.code).toBe(0)
    expect(emulator.operations()).toEqual([])
    expect(job.state).toBe('InProgress')
  })

  it('has nothing to watch when no job was claimed', async () => {
    const none = await jobStep({
      provider: 'GitHubActions',
      query: 'Workflow=nothing-here',
      'wait-seconds': '0',
      'fail-if-none': 'false'
    })
    expect(none.state).toEqual({})
    emulator.reset()

    const [post] = await github.end()
    expect(post?.code).toBe(0)
    expect(emulator.operations()).toEqual([])
  })
})
