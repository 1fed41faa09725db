import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand
} from '@aws-sdk/client-s3'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BridgeWorld, TOKEN } from '../../local/bridge-world.js'
import type { EmulatedJob } from '../../local/emulator/jobs.js'
import { repositoryId, type FakeRun } from '../../local/fake-github-actions.js'
import { startFakeOidcIssuer, type FakeOidcIssuer, type MintOptions } from '../../local/fake-oidc-issuer.js'
import { credentialFreeEnvironment, endpointAudience, runClaims } from '../../local/credential-free.js'
import { FunctionUrl } from '../../local/function-url.js'
import { standInClient } from '../../local/moto.js'
import { RunnerJob } from '../../local/runner.js'

// Credential-free mode end to end: the bridge's template code behind a function URL, a fake OIDC
// issuer, and the bundled actions on a runner that holds no AWS credentials at all.
let world: BridgeWorld
let issuer: FakeOidcIssuer
let endpoint: FunctionUrl
/** Where every AWS endpoint of the runner points: any request there fails the test. */
let trap: { server: Server; url: string; hits: string[] }

beforeAll(async () => {
  ;[world, issuer] = await Promise.all([BridgeWorld.start(), startFakeOidcIssuer()])
  const hits: string[] = []
  const server = createServer((request, response) => {
    hits.push(`${request.method ?? '?'} ${request.url ?? ''}`)
    response.writeHead(500).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  trap = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits }
})
afterAll(async () => {
  await Promise.all([world.close(), issuer.close(), new Promise((resolve) => trap.server.close(resolve))])
})
beforeEach(async () => {
  trap.hits.length = 0
  issuer.handedOut.length = 0
  await world.fresh({ parameters: { OidcIssuer: issuer.url } })
  // The endpoint runs in a container of its own, as Lambda runs concurrent invocations.
  endpoint = await FunctionUrl.start(await world.newContainer())
})
afterEach(() => endpoint.close())

/** The claims GitHub puts in a token of this run, for this endpoint. */
function claimsOf(run: FakeRun, overrides: Record<string, string> = {}): Record<string, string> {
  return runClaims(run, endpointAudience(endpoint.url), overrides)
}

/** A queued job, dispatched by the bridge: the job and its run. */
async function dispatched(): Promise<{ job: EmulatedJob; run: FakeRun }> {
  const job = world.queueJob()
  await world.invoke(world.event(job))
  const run = world.github.runs.find((candidate) => candidate.inputs['job-id'] === job.id)
  if (run === undefined) throw new Error('the bridge started no run')
  world.github.setRun(run, 'in_progress')
  return { job, run }
}

/** Calls the endpoint as a run would, or as an attacker would. */
async function call(
  path: string,
  token: string | undefined,
  body: unknown
): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  const response = await fetch(new URL(path, endpoint.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined && { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
  return {
    status: response.status,
    body: (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined
  }
}

/** The runner's environment for credential-free mode: an OIDC token to ask for, and no AWS at all. */
function credentialFree(): Record<string, string | undefined> {
  return credentialFreeEnvironment(issuer, trap.url)
}

const SUCCESS = { success: { executionDetails: { summary: 'Built' }, outputVariables: { VERSION: '1.2.3' } } }

/** The jobs of the job's action execution that continue it, oldest first. */
function continuations(job: EmulatedJob): EmulatedJob[] {
  const key = job.data.pipelineContext.action.actionExecutionId
  return world.emulator.jobs
    .all()
    .filter((other) => other.id !== job.id && other.data.pipelineContext.action.actionExecutionId === key)
}

describe('a run that holds no AWS credentials', () => {
  it('reads its job, reports success with output variables and a revision through the bridge, and the pipeline has it', async () => {
    const { job, run } = await dispatched()
    issuer.runClaims = claimsOf(run)
    const runner = new RunnerJob()
    try {
      const read = await runner.run({
        action: 'job',
        inputs: { 'job-id': job.id, 'bridge-url': endpoint.url },
        endpoint: trap.url,
        env: credentialFree()
      })
      expect(read.stderr + read.stdout).not.toMatch(/::error/)
      expect(read.outputs).toMatchObject({ 'job-id': job.id, 'pipeline-name': job.data.pipelineContext.pipelineName })
      // The run's first call: the bridge holds the action for it, and the console's link opens the run.
      expect(job.result).toMatchObject({
        operation: 'PutJobSuccessResult',
        body: {
          continuationToken: expect.stringMatching(/^codepipeline-bridge:/) as unknown,
          executionDetails: { externalExecutionId: String(run.id), percentComplete: 0 }
        }
      })
      const [next] = continuations(job)
      expect(next?.state).toBe('Queued')
      // The sweep, a minute on, takes the job the continuation led to.
      await world.sweep()
      expect(next?.state).toBe('InProgress')
      const reported = await runner.run({
        inputs: {
          'job-id': job.id,
          'bridge-url': endpoint.url,
          'output-variables': 'VERSION=1.2.3\nCHANNEL=stable',
          revision: 'abc123',
          'change-identifier': 'abc123'
        },
        endpoint: trap.url,
        env: credentialFree()
      })
      expect(reported.code).toBe(0)
      expect(reported.outputs).toMatchObject({ reported: 'success', confirmed: 'true' })
      const post = await runner.end()
      expect(post.every((step) => step.code === 0)).toBe(true)
    } finally {
      runner.close()
    }
    const [current] = continuations(job)
    expect(current?.result?.operation).toBe('PutJobSuccessResult')
    expect(current?.result?.body).toMatchObject({
      outputVariables: { VERSION: '1.2.3', CHANNEL: 'stable' },
      currentRevision: { revision: 'abc123', changeIdentifier: 'abc123' },
      executionDetails: { externalExecutionId: String(run.id), percentComplete: 100 }
    })
    expect(trap.hits).toEqual([])
    // Every token was asked for the stack's audience, and none reached a log.
    expect(issuer.handedOut.length).toBeGreaterThan(0)
    expect(await world.record(job)).toMatchObject({ phase: 'closed' })
  })

  it('passes on progress while the run goes on, and the result lands on the job that is current', async () => {
    const { job, run } = await dispatched()
    issuer.runClaims = claimsOf(run)
    const runner = new RunnerJob()
    const step = (inputs: Record<string, string>, action?: 'job') =>
      runner.run({
        ...(action && { action }),
        inputs: { 'job-id': job.id, 'bridge-url': endpoint.url, ...inputs },
        endpoint: trap.url,
        env: credentialFree()
      })
    try {
      await step({}, 'job')
      await world.sweep()
      const progress = await step({ status: 'in-progress', 'percent-complete': '40', summary: 'Tests running' })
      expect(progress.code).toBe(0)
      expect(progress.outputs).toMatchObject({ reported: 'continuation', confirmed: 'true' })
      const [second, third] = continuations(job)
      expect(second?.result?.body).toMatchObject({
        continuationToken: expect.stringMatching(/^codepipeline-bridge:/) as unknown,
        executionDetails: { summary: 'Tests running', percentComplete: 40, externalExecutionId: String(run.id) }
      })
      // The result comes before the sweep took the next job: it is kept, and lands once that job is taken.
      const reported = await step({})
      expect(reported.stdout).toMatch(/::warning::The bridge has the result .* did not confirm it yet/)
      expect(reported.outputs).toMatchObject({ reported: 'success', confirmed: 'false' })
      expect(third?.result).toBeUndefined()
      await world.sweep()
      expect(third?.result?.operation).toBe('PutJobSuccessResult')
      expect(third?.result?.body).toMatchObject({
        executionDetails: { percentComplete: 100, externalExecutionId: String(run.id) }
      })
    } finally {
      runner.close()
    }
    expect(world.github.runs).toHaveLength(1)
    expect(trap.hits).toEqual([])
  })

  it('refuses a job carrying a continuation token the bridge did not give, and leaves the run’s job alone', async () => {
    const { job } = await dispatched()
    const forged = world.emulator.jobs.continueJob(job, 'codepipeline-bridge:forged-by-someone-else')
    await world.sweep()
    expect(world.failure(forged)).toMatchObject({
      type: 'JobFailed',
      message: expect.stringMatching(/did not give/) as unknown
    })
    expect(await world.record(job)).toMatchObject({ phase: 'running', jobId: job.id })
    expect(world.github.runs).toHaveLength(1)
  })

  it('downloads its input artifact and uploads its output artifact through URLs the bridge signed', async () => {
    const s3 = standInClient(world.moto)
    const bucket = `artifacts-${randomUUID().slice(0, 8)}`
    await s3.send(new CreateBucketCommand({ Bucket: bucket }))
    const work = mkdtempSync(join(tmpdir(), 'credential-free-'))
    const source = join(work, 'source.zip')
    execFileSync('python3', [
      '-c',
      `import zipfile\nz = zipfile.ZipFile(${JSON.stringify(source)}, 'w')\nz.writestr('app/main.py', 'print(1)')\nz.close()`
    ])
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'pipeline/Source/abc.zip', Body: readFileSync(source) }))
    const job = world.queueJob(
      {},
      {
        artifactBucket: bucket,
        inputArtifacts: [{ name: 'SourceArtifact', bucketName: bucket, objectKey: 'pipeline/Source/abc.zip' }],
        outputArtifacts: ['BuildOutput']
      }
    )
    await world.invoke(world.event(job))
    const run = world.github.runs.find((candidate) => candidate.inputs['job-id'] === job.id)!
    issuer.runClaims = claimsOf(run)
    const runner = new RunnerJob()
    try {
      const read = await runner.run({
        action: 'job',
        inputs: { 'job-id': job.id, 'bridge-url': endpoint.url, 'input-artifacts-path': join(work, 'inputs') },
        endpoint: trap.url,
        env: credentialFree()
      })
      expect(read.code).toBe(0)
      expect(readFileSync(join(work, 'inputs', 'SourceArtifact', 'app', 'main.py'), 'utf8')).toBe('print(1)')
      await world.sweep()
      mkdirSync(join(work, 'build'))
      writeFileSync(join(work, 'build', 'app.bin'), 'built')
      const reported = await runner.run({
        inputs: {
          'job-id': job.id,
          'bridge-url': endpoint.url,
          'output-artifacts': `BuildOutput=${join(work, 'build')}`,
          'output-artifacts-outside-workspace': 'true'
        },
        endpoint: trap.url,
        env: credentialFree()
      })
      expect(reported.code).toBe(0)
      expect(reported.stdout).toMatch(/Uploaded output artifact BuildOutput \(\d+ bytes\) to s3:\/\//)
      // Each signed URL is masked before use: the runner takes ::add-mask:: lines, and shows no other with a signature.
      const shown = (reported.stdout + reported.stderr).split('\n').filter((text) => !text.startsWith('::add-mask::'))
      expect(shown.join('\n')).not.toMatch(/X-Amz-Signature=/)
    } finally {
      runner.close()
    }
    const output = (
      job.data.outputArtifacts as { location: { s3Location: { bucketName: string; objectKey: string } } }[]
    )[0]!.location.s3Location
    const object = await s3.send(new GetObjectCommand({ Bucket: output.bucketName, Key: output.objectKey }))
    expect(object.ServerSideEncryption).toBe('aws:kms')
    const zipped = Buffer.from(await object.Body!.transformToByteArray())
    expect(zipped.includes(Buffer.from('app.bin'))).toBe(true)
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([])
    expect(continuations(job)[0]?.result?.operation).toBe('PutJobSuccessResult')
    expect(trap.hits).toEqual([])
  })

  it('reports the workflow’s failure with its type', async () => {
    const { job, run } = await dispatched()
    issuer.runClaims = claimsOf(run)
    const runner = new RunnerJob()
    try {
      const reported = await runner.run({
        inputs: { 'job-id': job.id, 'bridge-url': endpoint.url, status: 'failure', 'failure-message': 'Tests failed' },
        endpoint: trap.url,
        env: credentialFree()
      })
      expect(reported.outputs).toMatchObject({ reported: 'failure', confirmed: 'true' })
    } finally {
      runner.close()
    }
    expect(world.failure(job)).toMatchObject({
      type: 'JobFailed',
      message: 'Tests failed',
      externalExecutionId: String(run.id)
    })
    expect(trap.hits).toEqual([])
  })

  it('fails the job through the bridge when no step reported, and says so', async () => {
    const { job, run } = await dispatched()
    issuer.runClaims = claimsOf(run)
    const runner = new RunnerJob()
    try {
      await runner.run({
        action: 'job',
        inputs: { 'job-id': job.id, 'bridge-url': endpoint.url },
        endpoint: trap.url,
        env: credentialFree()
      })
      await world.sweep()
      const [post] = await runner.end()
      expect(post?.stdout).toMatch(/reported JobFailed through the bridge/)
    } finally {
      runner.close()
    }
    expect(world.failure(continuations(job)[0]!)).toMatchObject({ type: 'JobFailed' })
    expect(trap.hits).toEqual([])
  })

  it('never sends its token over http to another host, and never falls back to AWS', async () => {
    const { job } = await dispatched()
    const runner = new RunnerJob()
    try {
      const reported = await runner.run({
        inputs: { 'job-id': job.id, 'bridge-url': 'http://bridge.example.com/' },
        endpoint: trap.url,
        env: credentialFree()
      })
      expect(reported.code).not.toBe(0)
      expect(reported.stdout).toMatch(/bridge-url.*https/)
    } finally {
      runner.close()
    }
    expect(issuer.handedOut).toEqual([])
    expect(trap.hits).toEqual([])
    expect(job.result).toBeUndefined()
  })
})

describe('what the endpoint refuses, leaving every job untouched', () => {
  const forged: [string, (run: FakeRun) => [Record<string, string>, MintOptions?]][] = [
    ['alg none', (run) => [claimsOf(run), { signature: 'none' }]],
    ['HS256 signed with the public key', (run) => [claimsOf(run), { signature: 'hs256-with-public-key' }]],
    ['a key outside the set', (run) => [claimsOf(run), { key: 'outside' }]],
    ['an unknown kid', (run) => [claimsOf(run), { kid: 'nobody-knows-me' }]],
    ['another issuer', (run) => [{ ...claimsOf(run), iss: 'https://token.actions.githubusercontent.com' }]],
    ['a token for AWS STS', (run) => [claimsOf(run, { aud: 'sts.amazonaws.com' })]],
    [
      'an expired token',
      (run) => [
        {
          ...claimsOf(run),
          exp: Math.floor(Date.now() / 1000) - 600,
          iat: Math.floor(Date.now() / 1000) - 900
        } as never
      ]
    ],
    [
      'a token from the future',
      (run) => [
        {
          ...claimsOf(run),
          iat: Math.floor(Date.now() / 1000) + 600,
          nbf: Math.floor(Date.now() / 1000) + 600,
          exp: Math.floor(Date.now() / 1000) + 900
        } as never
      ]
    ]
  ]
  it.each(forged)('%s: 401, the same answer every time', async (_name, forge) => {
    const { job, run } = await dispatched()
    const [claims, options] = forge(run)
    const answer = await call('/v1/result', issuer.mint(claims, options), { jobId: job.id, ...SUCCESS })
    expect(answer).toEqual({ status: 401, body: { error: 'unauthorized' } })
    expect(job.result).toBeUndefined()
  })

  it.each([
    [
      'another repository’s run',
      (run: FakeRun) => claimsOf(run, { repository: 'acme/web', repository_id: String(repositoryId('acme/web')) }),
      /acme\/web/
    ],
    [
      'another run of the same repository',
      (run: FakeRun) => claimsOf(run, { run_id: String(run.id + 1) }),
      /not the run the bridge started for job/
    ],
    ['another attempt of the run', (run: FakeRun) => claimsOf(run, { run_attempt: '2' }), /Retry the pipeline stage/],
    [
      'a run started by hand (push)',
      (run: FakeRun) => claimsOf(run, { event_name: 'push' }),
      /not the run the bridge started for job/
    ],
    [
      'another workflow of the repository',
      (run: FakeRun) =>
        claimsOf(run, { workflow_ref: `${run.repository}/.github/workflows/deploy.yml@refs/heads/main` }),
      /workflow_ref/
    ],
    ['another account', (run: FakeRun) => claimsOf(run, { actor_id: '999' }), /actor_id/]
  ])('%s: 403 naming the check', async (_name, claims, message) => {
    const { job, run } = await dispatched()
    const answer = await call('/v1/result', issuer.mint(claims(run)), { jobId: job.id, ...SUCCESS })
    expect(answer.status).toBe(403)
    expect(answer.body).toMatchObject({ error: 'not-your-job', message: expect.stringMatching(message) as unknown })
    expect(job.result).toBeUndefined()
  })

  it('a run dispatched by hand with another job’s ID cannot answer that job', async () => {
    const { job } = await dispatched()
    // Someone with write access starts the same workflow by hand, passing the bridge's job ID.
    const response = await fetch(`${world.github.url}/repos/acme/app/actions/workflows/build.yml/dispatches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ ref: 'main', inputs: { 'job-id': job.id } })
    })
    expect(response.status).toBe(204)
    const byHand = world.github.runs.at(-1)!
    const answer = await call('/v1/result', issuer.mint(claimsOf(byHand)), { jobId: job.id, ...SUCCESS })
    expect(answer.status).toBe(403)
    expect(job.result).toBeUndefined()
  })

  it('a body over the limit gets 413 and a malformed one 400, before the job is touched', async () => {
    const { job, run } = await dispatched()
    const token = issuer.mint(claimsOf(run))
    expect((await call('/v1/job', token, { jobId: job.id, padding: 'x'.repeat(8_000) })).status).toBe(413)
    expect((await call('/v1/result', token, '{"jobId":')).status).toBe(400)
    expect((await call('/v1/result', token, { jobId: 'not-a-job' })).status).toBe(400)
    expect((await call('/v1/result', undefined, { jobId: job.id, ...SUCCESS })).status).toBe(401)
    expect((await call('/v2/anything', token, { jobId: job.id })).status).toBe(401)
    expect(job.result).toBeUndefined()
  })

  it('a result sent again is taken once; a different one gets 409', async () => {
    const { job, run } = await dispatched()
    const token = issuer.mint(claimsOf(run))
    expect(await call('/v1/result', token, { jobId: job.id, ...SUCCESS })).toEqual({
      status: 200,
      body: { confirmed: true }
    })
    expect(await call('/v1/result', token, { jobId: job.id, ...SUCCESS })).toEqual({
      status: 200,
      body: { confirmed: true, already: true }
    })
    const other = await call('/v1/result', token, { jobId: job.id, failure: { type: 'JobFailed', message: 'no' } })
    expect(other.status).toBe(409)
    expect(job.result?.operation).toBe('PutJobSuccessResult')
  })

  it('no artifact URL is signed once the job has its result', async () => {
    const { job, run } = await dispatched()
    const token = issuer.mint(claimsOf(run))
    expect((await call('/v1/result', token, { jobId: job.id, ...SUCCESS })).status).toBe(200)
    const late = await call('/v1/artifact/upload/start', token, { jobId: job.id, name: 'BuildOutput' })
    expect(late).toMatchObject({ status: 409, body: { error: 'already-answered' } })
  })

  it('a re-run of a run the bridge holds is cancelled, and the job fails saying to retry the stage', async () => {
    const { job, run } = await dispatched()
    expect((await call('/v1/job', issuer.mint(claimsOf(run)), { jobId: job.id })).status).toBe(200)
    await world.sweep()
    world.github.setRun(run, 'completed', 'failure')
    world.github.rerun(run)
    await world.sweep()
    const [current] = continuations(job)
    expect(world.failure(current!)).toMatchObject({
      type: 'JobFailed',
      message: expect.stringMatching(/was re-run \(attempt 2\).*Retry the stage/) as unknown
    })
    expect(run.status).toBe('completed')
    // The re-run's token never answers.
    const answer = await call('/v1/result', issuer.mint(claimsOf(run)), { jobId: job.id, ...SUCCESS })
    expect(answer.status).toBe(403)
  })

  it('a run’s own continuation token is refused, saying what to do', async () => {
    const { job, run } = await dispatched()
    const answer = await call('/v1/result', issuer.mint(claimsOf(run)), {
      jobId: job.id,
      success: { continuationToken: 'mine' }
    })
    expect(answer.status).toBe(400)
    expect(answer.body?.message).toMatch(/leave out continuation-token/)
    expect(job.result).toBeUndefined()
  })

  it('logs every refusal’s reason and never a token', async () => {
    const { job, run } = await dispatched()
    const token = issuer.mint(claimsOf(run, { run_id: '1' }))
    await call('/v1/result', token, { jobId: job.id, ...SUCCESS })
    await call('/v1/result', issuer.mint(claimsOf(run), { signature: 'none' }), { jobId: job.id, ...SUCCESS })
    const log = endpoint.log
    expect(log).toMatch(/Refused a run's call: This run may not answer the job/)
    expect(log).toMatch(/Refused a call: /)
    expect(log).not.toContain(token.split('.')[2]!)
  })
})
