import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { stringMatching } from '../../__fixtures__/expect.js'
import { CodePipelineEmulator, EMULATOR_CREDENTIALS } from '../../local/emulator/server.js'
import { ACTION_DEFAULTS, runStep, type StepOptions } from '../../local/runner.js'

// Failure reports, faults on the way to CodePipeline, and errors that say what to do.
let emulator: CodePipelineEmulator

beforeAll(async () => {
  emulator = await CodePipelineEmulator.start({ newJobState: 'InProgress' })
})
afterAll(() => emulator.close())
beforeEach(() => emulator.reset())

async function report(inputs: Record<string, string>, options: Partial<StepOptions> = {}) {
  const run = await runStep({ endpoint: emulator.url, ...options, inputs })
  return { run, calls: [...emulator.requests] }
}

/** The ::error:: annotations the step wrote. */
function errors(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('::error::'))
    .join('\n')
}

describe('reporting the workflow outcome', () => {
  it('reports a failed job with a message that names the run', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report({ 'job-id': job.id, status: 'failure' })
    expect(run.code).toBe(0)
    expect(calls.map((call) => call.body)).toEqual([
      {
        jobId: job.id,
        failureDetails: {
          type: 'JobFailed',
          message:
            "GitHub Actions workflow 'Build', run #42, attempt 1 failed. See https://github.com/acme/app/actions/runs/9876543210",
          externalExecutionId: '9876543210'
        }
      }
    ])
    expect(job.state).toBe('Failed')
    expect(run.outputs.reported).toBe('failure')
    expect(run.summary).toContain('CodePipeline job failed')
  })

  it('reports a cancellation, with the given type and a message cut to 5000 characters', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report({ 'job-id': job.id, status: 'cancelled', 'failure-type': 'systemunavailable' })
    expect(run.code).toBe(0)
    expect(calls[0]?.body.failureDetails).toMatchObject({
      type: 'SystemUnavailable',
      message: stringMatching(/was cancelled/)
    })

    const second = emulator.createJob()
    const long = await report({ 'job-id': second.id, status: 'failure', 'failure-message': 'm'.repeat(6000) })
    expect((long.calls.at(-1)!.body.failureDetails as { message: string }).message).toHaveLength(5000)
  })

  it('leaves output variables out of a failure report', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report({ 'job-id': job.id, status: 'failure', 'output-variables': 'A=1' })
    expect(run.code).toBe(0)
    expect(calls[0]?.operation).toBe('PutJobFailureResult')
    expect(calls[0]?.body).not.toHaveProperty('outputVariables')
  })
})

describe('faults on the way to CodePipeline', () => {
  it('retries throttling and succeeds on the third attempt', async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'throttle' }, { times: 2 })
    const { run, calls } = await report({ 'job-id': job.id })
    expect(run.code).toBe(0)
    expect(calls.map((call) => call.status)).toEqual([400, 400, 200])
    expect(calls.map((call) => call.headers['amz-sdk-request'])).toEqual([
      'attempt=1; max=10',
      'attempt=2; max=10',
      'attempt=3; max=10'
    ])
    expect(run.stdout).toContain('CodePipeline answered after 3 attempts.')
    expect(job.state).toBe('Succeeded')
  })

  it('retries a 5xx answer', async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'server-error', status: 503 })
    const { run } = await report({ 'job-id': job.id })
    expect(run.code).toBe(0)
    expect(job.state).toBe('Succeeded')
  })

  it('retries a connection dropped before the request was processed', async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'drop-before' })
    const { run, calls } = await report({ 'job-id': job.id })
    expect(run.code).toBe(0)
    expect(calls.map((call) => call.status)).toEqual(['dropped', 200])
    expect(run.stdout).not.toContain('::warning::')
  })

  it('passes, unconfirmed and with a warning, when the answer was lost after CodePipeline took the result', async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'drop-after' })
    const { run, calls } = await report({ 'job-id': job.id, 'output-variables': 'A=1' })
    expect(calls.map((call) => [call.status, call.errorType])).toEqual([
      ['dropped', undefined],
      [400, 'InvalidJobStateException']
    ])
    expect(job.state).toBe('Succeeded')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /::warning::The answer to the first attempt was lost on the way back, and the retry found job \S+ no longer waiting for a result\. Most likely that first attempt delivered this result, but CodePipeline cannot confirm it: the job may instead have failed or timed out/
    )
    expect(run.outputs).toMatchObject({ reported: 'success', confirmed: 'false' })
  })

  it('retries an attempt that hangs, within timeout-seconds', async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'latency', ms: 4000 })
    const { run, calls } = await report({ 'job-id': job.id, 'timeout-seconds': '6' })
    expect(run.code).toBe(0)
    expect(calls.length).toBeGreaterThanOrEqual(2)
    expect(run.durationMs).toBeLessThan(6000)
    expect(job.state).toBe('Succeeded')
  })

  it('gives up on a service that is down within timeout-seconds', async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'latency', ms: 400 }, { times: Infinity })
    emulator.inject({ kind: 'server-error' }, { times: Infinity })
    const { run } = await report({ 'job-id': job.id, 'max-attempts': '50', 'timeout-seconds': '2' })
    expect(run.code).toBe(1)
    expect(run.durationMs).toBeLessThan(2000 + 3000)
    expect(errors(run.stdout)).toMatch(/CodePipeline did not answer within 2 s \('timeout-seconds'\)/)
    expect(job.state).toBe('InProgress')
  })

  it('ends the step at timeout-seconds even while the SDK waits out a long throttling backoff', async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'throttle' }, { times: Infinity })
    const { run } = await report({ 'job-id': job.id, 'max-attempts': '50', 'timeout-seconds': '4' })
    expect(run.code).toBe(1)
    expect(errors(run.stdout)).toMatch(/did not answer within 4 s/)
    // Throttling backoff grows to 20 s a wait; the step must not sit through it.
    expect(run.durationMs).toBeLessThan(4000 + 3000)
  })

  it('fails after max-attempts when CodePipeline keeps throttling', async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'throttle' }, { times: Infinity })
    const { run, calls } = await report({ 'job-id': job.id, 'max-attempts': '2' })
    expect(run.code).toBe(1)
    expect(calls).toHaveLength(2)
    expect(errors(run.stdout)).toMatch(
      /Calling CodePipeline PutJobSuccessResult failed after 2 attempts\. .*raise 'max-attempts'/
    )
  })
})

describe('errors that say what to do', () => {
  it('explains a job that already has a result, and does not retry it', async () => {
    const job = emulator.createJob({ state: 'Succeeded' })
    const { run, calls } = await report({ 'job-id': job.id })
    expect(run.code).toBe(1)
    expect(calls).toHaveLength(1)
    expect(errors(run.stdout)).toMatch(
      /job \S+ is not waiting for one.*re-run of a workflow that already reported.*retry the stage in CodePipeline \(InvalidJobStateException:/
    )
  })

  it('explains an unknown job and names the Region', async () => {
    const { run, calls } = await report(
      { 'job-id': '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11' },
      { env: { AWS_REGION: 'eu-west-1' } }
    )
    expect(run.code).toBe(1)
    expect(calls).toHaveLength(1)
    expect(errors(run.stdout)).toMatch(
      /CodePipeline in Region eu-west-1 has no job 0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11\. Check that 'aws-region'/
    )
  })

  it('explains output variables over the service quota, and still stops the pipeline', async () => {
    const job = emulator.createJob()
    emulator.inject(
      { kind: 'error', type: 'OutputVariablesSizeExceededException', message: 'too big' },
      { operation: 'PutJobSuccessResult' }
    )
    const { run, calls } = await report({ 'job-id': job.id, 'output-variables': 'A=1' })
    expect(run.code).toBe(1)
    expect(errors(run.stdout)).toMatch(/refused the output variables as too large/)
    expect(calls.map((call) => call.operation)).toEqual(['PutJobSuccessResult', 'PutJobFailureResult'])
    expect(job.state).toBe('Failed')
  })

  it('names the IAM action that access was denied for', async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'error', type: 'AccessDeniedException', message: 'User is not authorized' })
    const { run, calls } = await report({ 'job-id': job.id })
    expect(run.code).toBe(1)
    expect(calls).toHaveLength(1)
    expect(errors(run.stdout)).toMatch(
      /may not call codepipeline:PutJobSuccessResult\. Allow codepipeline:PutJobSuccessResult/
    )
  })

  it('says to configure credentials right before the step when they expired', async () => {
    const job = emulator.createJob()
    emulator.inject({
      kind: 'error',
      type: 'ExpiredTokenException',
      message: 'The security token included in the request is expired'
    })
    const { run } = await report({ 'job-id': job.id, status: 'failure' })
    expect(run.code).toBe(1)
    expect(errors(run.stdout)).toMatch(
      /credentials have expired\. Role sessions last 1 hour by default: run aws-actions\/configure-aws-credentials right before this step/
    )
  })

  it('says how to configure credentials when there are none', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report(
      { 'job-id': job.id },
      { env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined } }
    )
    expect(run.code).toBe(1)
    expect(calls).toHaveLength(0)
    expect(errors(run.stdout)).toMatch(
      /No AWS credentials were found\. Add aws-actions\/configure-aws-credentials before this step/
    )
  })

  it('says how to set the Region when there is none', async () => {
    const job = emulator.createJob()
    const { run, calls } = await report({ 'job-id': job.id }, { env: { AWS_REGION: undefined } })
    expect(run.code).toBe(1)
    expect(calls).toHaveLength(0)
    expect(errors(run.stdout)).toMatch(/No AWS Region is set\. Set 'aws-region'/)
  })

  it('takes the Region from AWS_DEFAULT_REGION or the aws-region input', async () => {
    const job = emulator.createJob()
    const viaDefault = await report(
      { 'job-id': job.id },
      { env: { AWS_REGION: undefined, AWS_DEFAULT_REGION: 'eu-central-1' } }
    )
    expect(viaDefault.run.code).toBe(0)
    expect(viaDefault.calls[0]?.headers.authorization).toContain('/eu-central-1/codepipeline/')

    const second = emulator.createJob()
    const viaInput = await report({ 'job-id': second.id, 'aws-region': 'ap-south-1' })
    expect(viaInput.calls.at(-1)!.headers.authorization).toContain('/ap-south-1/codepipeline/')
  })

  it('explains credentials that AWS does not recognise', async () => {
    const job = emulator.createJob()
    const { run } = await report({ 'job-id': job.id }, { env: { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN000000000' } })
    expect(run.code).toBe(1)
    expect(errors(run.stdout)).toMatch(/AWS did not recognise the credentials/)
  })
})

describe('secrets', () => {
  const token = 'ghs_SECRETtokenVALUE1234567890abcdef'
  const sessionToken = 'FwoGZXIvYXdzEXAMPLEsessionTOKENvalue0123456789'

  it.each<[string, Record<string, string>, string | undefined]>([
    ['a success', {}, undefined],
    [
      'a lookup that fails',
      { GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_API_URL: 'http://127.0.0.1:9' },
      undefined
    ],
    ['a failed call', {}, 'AccessDeniedException'],
    ['a configuration error', {}, 'bad-input']
  ])('never prints the token or keys, with debug on, in %s', async (_, env, trouble) => {
    const job = emulator.createJob()
    if (trouble === 'AccessDeniedException') emulator.inject({ kind: 'error', type: trouble })
    const run = await runStep({
      endpoint: emulator.url,
      eventName: env.GITHUB_EVENT_NAME ?? 'push',
      inputs: {
        'job-id': job.id,
        'github-token': token,
        ...(trouble === 'bad-input' && { 'percent-complete': 'many' })
      },
      env: { ...env, AWS_SESSION_TOKEN: sessionToken, ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' }
    })
    expect(run.stdout).toContain('::debug::')
    const masked = (text: string): string =>
      text
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n')
    for (const secret of [
      token,
      EMULATOR_CREDENTIALS.secretAccessKey,
      sessionToken,
      EMULATOR_CREDENTIALS.accessKeyId
    ]) {
      expect(run.stdout).toContain(`::add-mask::${secret}`)
      expect(masked(run.everything)).not.toContain(secret)
    }
  })

  it('masks the secrets before anything else is printed', async () => {
    const job = emulator.createJob()
    const run = await runStep({ endpoint: emulator.url, inputs: { 'job-id': job.id, 'github-token': token } })
    const lines = run.stdout.split('\n')
    const firstOther = lines.findIndex((line) => line !== '' && !line.startsWith('::add-mask::'))
    expect(lines.slice(0, firstOther).sort()).toEqual(
      [token, EMULATOR_CREDENTIALS.accessKeyId, EMULATOR_CREDENTIALS.secretAccessKey]
        .map((secret) => `::add-mask::${secret}`)
        .sort()
    )
    expect(ACTION_DEFAULTS['github-token']).not.toBe(token)
  })
})
