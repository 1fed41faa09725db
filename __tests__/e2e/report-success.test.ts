import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CodePipelineEmulator } from '../../local/emulator/server.js'
import { FakeGitHubApi } from '../../local/fake-github.js'
import {
  ACTION_DEFAULTS,
  pushEvent as defaultPushEvent,
  runnerEnvironment,
  runStep,
  type StepOptions
} from '../../local/runner.js'

// The bundled action, run on Node 24 as the runner runs it, against the emulator.
const SHA = runnerEnvironment().GITHUB_SHA
const TOKEN = ACTION_DEFAULTS['github-token'] ?? ''

let emulator: CodePipelineEmulator
let github: FakeGitHubApi

beforeAll(async () => {
  emulator = await CodePipelineEmulator.start({ newJobState: 'InProgress' })
  github = await FakeGitHubApi.start(TOKEN)
})
afterAll(async () => {
  await emulator.close()
  await github.close()
})
beforeEach(() => {
  emulator.reset()
  github.requests.length = 0
  github.failWith = undefined
})

const pushEvent = defaultPushEvent()

async function report(inputs: Record<string, string>, options: Partial<StepOptions> = {}) {
  const run = await runStep({ endpoint: emulator.url, event: pushEvent, ...options, inputs })
  return { run, calls: [...emulator.requests] }
}

function onlyCall(calls: CodePipelineEmulator['requests']) {
  expect(calls).toHaveLength(1)
  // Checked just above.
  return calls[0]!
}

describe('a push event', () => {
  it('reports success with the commit from the payload, the run and the variables', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report({
      'job-id': job.id,
      'output-variables': JSON.stringify({ IMAGE_TAG: '1.4.2', BUILD_OK: true, SIZE: 42 }, null, 2)
    })

    expect(run.code).toBe(0)
    const call = onlyCall(calls)
    expect(call.operation).toBe('PutJobSuccessResult')
    expect(call.status).toBe(200)
    expect(call.body).toEqual({
      jobId: job.id,
      currentRevision: {
        revision: SHA,
        changeIdentifier: 'main',
        created: Date.parse('2026-11-25T09:11:12Z') / 1000,
        revisionSummary: 'Ship the new checkout page'
      },
      executionDetails: {
        summary:
          "Succeeded in workflow 'Build', run #42, attempt 1: https://github.com/acme/app/actions/runs/9876543210",
        externalExecutionId: '9876543210',
        percentComplete: 100
      },
      outputVariables: { IMAGE_TAG: '1.4.2', BUILD_OK: 'true', SIZE: '42' }
    })
    expect(job.state).toBe('Succeeded')
    expect(github.requests).toHaveLength(0)
    expect(run.outputs).toMatchObject({
      reported: 'success',
      'job-id': job.id,
      revision: SHA,
      'change-identifier': 'main'
    })
    expect(run.summary).toContain('CodePipeline job succeeded')
    expect(run.summary).toContain('<code>IMAGE_TAG</code>')
    expect(run.summary).not.toContain('1.4.2')
  })

  it('signs with SigV4 and names itself in the user agent', async () => {
    const job = emulator.createJob()
    const { calls } = await report({ 'job-id': job.id })
    const headers = onlyCall(calls).headers
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAEMULATOR00000001\/\d{8}\/us-east-1\/codepipeline\/aws4_request/
    )
    expect([headers['user-agent'], headers['x-amz-user-agent']].join(' ')).toContain('codepipeline-job-action/0.1.0')
  })

  it('uses the tag name as the change identifier for a tag push', async () => {
    const job = emulator.createJob()
    const { calls } = await report(
      { 'job-id': job.id },
      { env: { GITHUB_REF: 'refs/tags/v2.0.0', GITHUB_REF_NAME: 'v2.0.0' } }
    )
    expect(onlyCall(calls).body.currentRevision).toMatchObject({ changeIdentifier: 'v2.0.0' })
  })

  it('takes every override of currentRevision and the execution details', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report({
      'job-id': job.id,
      revision: 'artifact-rev-77',
      'change-identifier': 'release-7',
      'revision-created': '2026-01-02T03:04:05Z',
      'revision-summary': 'Release seven',
      summary: 'Built by the nightly job',
      'external-execution-id': 'ext-1',
      'percent-complete': '90'
    })
    expect(run.code).toBe(0)
    expect(onlyCall(calls).body).toMatchObject({
      currentRevision: {
        revision: 'artifact-rev-77',
        changeIdentifier: 'release-7',
        created: Date.parse('2026-01-02T03:04:05Z') / 1000,
        revisionSummary: 'Release seven'
      },
      executionDetails: { summary: 'Built by the nightly job', externalExecutionId: 'ext-1', percentComplete: 90 }
    })
  })

  it('cuts a long summary and revision summary to the API limits', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report({
      'job-id': job.id,
      summary: 's'.repeat(3000),
      'revision-summary': 'r'.repeat(3000)
    })
    expect(run.code).toBe(0)
    const body = onlyCall(calls).body as {
      executionDetails: { summary: string }
      currentRevision: { revisionSummary: string }
    }
    expect(body.executionDetails.summary).toHaveLength(2048)
    expect(body.executionDetails.summary.endsWith('…')).toBe(true)
    expect(body.currentRevision.revisionSummary).toHaveLength(2048)
  })

  it('honours the generic AWS_ENDPOINT_URL too', async () => {
    const job = emulator.createJob()
    const run = await runStep({
      endpoint: '',
      event: pushEvent,
      inputs: { 'job-id': job.id },
      env: { AWS_ENDPOINT_URL_CODEPIPELINE: undefined, AWS_ENDPOINT_URL: emulator.url }
    })
    expect(run.code).toBe(0)
    expect(job.state).toBe('Succeeded')
  })
})

describe('commit details looked up through the GitHub API', () => {
  const dispatchSha = 'a'.repeat(40)

  it('looks up a workflow_dispatch commit with the token', async () => {
    github.commits.set(dispatchSha, { message: 'Bump the base image\n\nbody', committedAt: '2026-11-20T08:00:00Z' })
    const job = emulator.createJob()
    const { run, calls } = await report(
      { 'job-id': job.id },
      {
        eventName: 'workflow_dispatch',
        event: { ref: 'refs/heads/release', inputs: { 'job-id': job.id } },
        env: {
          GITHUB_SHA: dispatchSha,
          GITHUB_REF: 'refs/heads/release',
          GITHUB_REF_NAME: 'release',
          GITHUB_API_URL: github.url
        }
      }
    )
    expect(run.code).toBe(0)
    expect(github.requests).toEqual([
      { path: `/repos/acme/app/git/commits/${dispatchSha}`, authorization: `token ${TOKEN}` }
    ])
    expect(onlyCall(calls).body.currentRevision).toEqual({
      revision: dispatchSha,
      changeIdentifier: 'release',
      created: Date.parse('2026-11-20T08:00:00Z') / 1000,
      revisionSummary: 'Bump the base image'
    })
  })

  it('names a pull request pull/<number> and looks up its merge commit', async () => {
    const mergeSha = 'b'.repeat(40)
    github.commits.set(mergeSha, { message: 'Merge feature into main', committedAt: '2026-11-21T08:00:00Z' })
    const job = emulator.createJob()
    const { run, calls } = await report(
      { 'job-id': job.id },
      {
        eventName: 'pull_request',
        event: { number: 17, pull_request: { number: 17, head: { sha: 'c'.repeat(40) } } },
        env: {
          GITHUB_SHA: mergeSha,
          GITHUB_REF: 'refs/pull/17/merge',
          GITHUB_REF_NAME: '17/merge',
          GITHUB_API_URL: github.url
        }
      }
    )
    expect(run.code).toBe(0)
    expect(onlyCall(calls).body.currentRevision).toMatchObject({
      revision: mergeSha,
      changeIdentifier: 'pull/17',
      revisionSummary: 'Merge feature into main'
    })
  })

  it('warns and reports without the optional fields when the lookup fails', async () => {
    github.failWith = 500
    const job = emulator.createJob()
    const { run, calls } = await report(
      { 'job-id': job.id },
      { eventName: 'workflow_dispatch', event: {}, env: { GITHUB_SHA: dispatchSha, GITHUB_API_URL: github.url } }
    )
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/::warning::Reporting revision a{40} without its commit time and summary/)
    expect(onlyCall(calls).body.currentRevision).toEqual({ revision: dispatchSha, changeIdentifier: 'main' })
  })
})

describe('output variables as lines', () => {
  it('keeps everything after the first = and skips blank lines', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report({
      'job-id': job.id,
      'output-variables': 'URL=https://x.example/?a=b\n\nEMPTY=\n  NAME = padded'
    })
    expect(run.code).toBe(0)
    expect(onlyCall(calls).body.outputVariables).toEqual({ URL: 'https://x.example/?a=b', EMPTY: '', NAME: ' padded' })
  })

  it('warns about a value too long for a later action to read whole', async () => {
    const job = emulator.createJob()
    const { run } = await report({ 'job-id': job.id, 'output-variables': `LONG=${'x'.repeat(1001)}` })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/::warning::Output variable "LONG" is 1001 characters long/)
  })

  it('accepts variables up to exactly 122,880 bytes', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report({ 'job-id': job.id, 'output-variables': `BIG=${'€'.repeat(40_959)}` })
    expect(run.code).toBe(0)
    expect(onlyCall(calls).status).toBe(200)
  })
})

describe('progress with a continuation token', () => {
  it('reports progress without percent or variables defaults', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report({
      'job-id': job.id,
      'continuation-token': 'poll-again-1',
      'percent-complete': '40'
    })
    expect(run.code).toBe(0)
    const body = onlyCall(calls).body as Record<string, { summary?: string }>
    expect(body).toMatchObject({ continuationToken: 'poll-again-1', executionDetails: { percentComplete: 40 } })
    expect(body.executionDetails?.summary).toMatch(/^In progress in workflow 'Build'/)
    expect(body.outputVariables).toBeUndefined()
    expect(run.outputs.reported).toBe('continuation')
  })

  it('leaves percentComplete out of a progress report unless given', async () => {
    const job = emulator.createJob()
    const { calls } = await report({ 'job-id': job.id, 'continuation-token': 'tok' })
    expect(onlyCall(calls).body.executionDetails).not.toHaveProperty('percentComplete')
  })
})
