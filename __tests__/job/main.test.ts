import type { ActionType, Job, JobData, JobDetails } from '@aws-sdk/client-codepipeline'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { instanceOf, objectContaining, stringMatching } from '../../__fixtures__/expect.js'
import * as core from '../../__fixtures__/core.js'
import type * as ArtifactStore from '../../src/artifacts/index.js'
import { ArtifactError } from '../../src/artifacts/artifact-error.js'
import type { Clock } from '../../src/job/claim.js'
import type { AwsSettings, CodePipeline as RealCodePipeline } from '../../src/portable/codepipeline.js'
import { ACTION_SETTING_NAMES } from '../../src/runner/inputs.js'
import { maskSecret } from '../../src/runner/secrets.js'
import type { SignalSource, StopSignal } from '../../src/runner/stop.js'

// The job action's main step, with the runner, CodePipeline and the artifact store mocked at the module edges.
vi.mock('@actions/core', () => core)

const constructed = vi.fn<(settings: AwsSettings) => void>()
const getJobDetails = vi.fn<RealCodePipeline['getJobDetails']>()
const acknowledgeJob = vi.fn<RealCodePipeline['acknowledgeJob']>()
const pollForJobs = vi.fn<RealCodePipeline['pollForJobs']>()
const findCustomActionType = vi.fn<RealCodePipeline['findCustomActionType']>()
vi.mock('../../src/portable/codepipeline.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/portable/codepipeline.js')>()
  return {
    ...original,
    CodePipeline: class {
      constructor(settings: AwsSettings) {
        constructed(settings)
      }
      readonly region = Promise.resolve('eu-west-1')
      getJobDetails = getJobDetails
      acknowledgeJob = acknowledgeJob
      pollForJobs = pollForJobs
      findCustomActionType = findCustomActionType
    }
  }
})

const downloadJobInputs = vi.fn<typeof ArtifactStore.downloadJobInputs>()
vi.mock('../../src/artifacts/index.js', () => ({ downloadJobInputs, ArtifactError }))

const { run } = await import('../../src/job/main.js')
const { CodePipeline, CodePipelineCallError } = await import('../../src/portable/codepipeline.js')

const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'
const NONCE = '3'
const REVISION = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'
const WORKSPACE = '/home/runner/work/app/app'
const env = { AWS_REGION: 'eu-west-1' }

const ACTION_TYPE_ID = { category: 'Build', owner: 'Custom', provider: 'GitHubActions', version: '1' } as const

const ACTION_TYPE: ActionType = {
  id: ACTION_TYPE_ID,
  actionConfigurationProperties: [
    { name: 'Workflow', required: true, key: true, secret: false, queryable: true },
    { name: 'DeployToken', required: false, key: false, secret: true }
  ],
  inputArtifactDetails: { minimumCount: 0, maximumCount: 5 },
  outputArtifactDetails: { minimumCount: 0, maximumCount: 5 }
}

const ARTIFACT_CREDENTIALS = {
  accessKeyId: 'ASIAJOBKEY',
  secretAccessKey: 'job-secret-access-key',
  sessionToken: 'job-session-token'
}

const SOURCE_ARTIFACT = {
  name: 'Source',
  revision: REVISION,
  location: { type: 'S3' as const, s3Location: { bucketName: 'artifact-bucket', objectKey: 'app/Source/abc.zip' } }
}

const JOB_DATA: JobData = {
  actionTypeId: ACTION_TYPE_ID,
  actionConfiguration: { configuration: { Workflow: 'build', DeployToken: 'tok-SECRET-value' } },
  pipelineContext: {
    pipelineName: 'checkout-service',
    pipelineArn: 'arn:aws:codepipeline:eu-west-1:111122223333:checkout-service',
    pipelineExecutionId: 'exec-42',
    stage: { name: 'Build' },
    action: { name: 'GitHubBuild', actionExecutionId: 'action-exec-7' }
  },
  inputArtifacts: [SOURCE_ARTIFACT],
  artifactCredentials: ARTIFACT_CREDENTIALS
}

const DETAILS: JobDetails = { id: JOB, accountId: '111122223333', data: JOB_DATA }

/** Every output that comes from DETAILS, with the action type's secret property left out of the configuration. */
const DATA_OUTPUTS = {
  'job-id': JOB,
  'account-id': '111122223333',
  'pipeline-name': 'checkout-service',
  'pipeline-arn': 'arn:aws:codepipeline:eu-west-1:111122223333:checkout-service',
  'pipeline-execution-id': 'exec-42',
  'pipeline-execution-url':
    'https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/checkout-service/executions/exec-42/timeline?region=eu-west-1',
  'stage-name': 'Build',
  'action-name': 'GitHubBuild',
  'action-execution-id': 'action-exec-7',
  configuration: '{"Workflow":"build"}',
  'input-artifacts': JSON.stringify([
    {
      name: 'Source',
      revision: REVISION,
      s3Location: { bucketName: 'artifact-bucket', objectKey: 'app/Source/abc.zip' }
    }
  ]),
  'input-revision': REVISION
}

const CLAIM_INPUTS = { provider: 'GitHubActions', query: 'Workflow=build' }

const POLLED: Job = { id: JOB, nonce: NONCE, accountId: '111122223333', data: JOB_DATA }

function sdkError(name: string): Error {
  return Object.assign(new Error(`${name} text`), { name })
}

function callError(
  operation: 'AcknowledgeJob' | 'ListActionTypes',
  name: string,
  history = { attempts: 1, earlierAnswerLost: false }
): InstanceType<typeof CodePipelineCallError> {
  return new CodePipelineCallError(operation, sdkError(name), history)
}

/** A clock that moves only when the step sleeps, so that polling never waits. */
function fakeClock(): Clock {
  let now = 0
  return {
    now: () => now,
    sleep: (ms) => {
      now += ms
      return Promise.resolve()
    },
    random: () => 0.5
  }
}

/** The runner's signals, fired by the test; `exited` settles when the step ends the process. */
function fakeSignals(): {
  source: SignalSource
  fire(signal: StopSignal): void
  exited: Promise<void>
  listening(): number
} {
  const listeners: { signal: StopSignal; listener: () => void }[] = []
  let exit = (): void => {}
  const exited = new Promise<void>((resolve) => (exit = resolve))
  return {
    source: {
      once: (signal, listener) => listeners.push({ signal, listener }),
      removeListener: (signal, listener) => {
        const index = listeners.findIndex((entry) => entry.signal === signal && entry.listener === listener)
        if (index >= 0) listeners.splice(index, 1)
      },
      exit: (() => exit()) as SignalSource['exit']
    },
    fire(signal) {
      // `once`: each listener hears one signal.
      const heard = listeners.filter((entry) => entry.signal === signal)
      for (const entry of heard) listeners.splice(listeners.indexOf(entry), 1)
      for (const entry of heard) entry.listener()
    },
    exited,
    listening: () => listeners.length
  }
}

/** A CodePipeline call that never answers, and a promise that settles once the step has made it. */
function unanswered(): { made: Promise<void>; call: () => Promise<never> } {
  let made = (): void => {}
  return {
    made: new Promise<void>((resolve) => (made = resolve)),
    call: () => {
      made()
      return new Promise<never>(() => {})
    }
  }
}

/** Setting outputs and masking secrets, in the order the step did them. */
const timeline: string[] = []

const outputs = (): Record<string, string> =>
  Object.fromEntries(core.setOutput.mock.calls.map(([name, value]) => [name, String(value)]))
const failures = (): string[] => core.setFailed.mock.calls.map(([message]) => String(message))
const warnings = (): string[] => core.warning.mock.calls.map(([message]) => String(message))
const errors = (): string[] => core.error.mock.calls.map(([message]) => String(message))
const infos = (): string[] => core.info.mock.calls.map(([message]) => message)
const masked = (): string[] => core.setSecret.mock.calls.map(([value]) => value)
/** The jobs handed to the post step's safety net. */
const watched = (): string[] => core.saveState.mock.calls.map(([, value]) => String(value))

beforeEach(() => {
  timeline.length = 0
  core.setOutput.mockImplementation((name) => timeline.push(`output ${name}`))
  core.setSecret.mockImplementation((secret) => timeline.push(`secret ${secret}`))
  vi.stubEnv('GITHUB_WORKSPACE', WORKSPACE)
  // No step summary: its table is writeJobSummary's to test.
  vi.stubEnv('GITHUB_STEP_SUMMARY', '')
  getJobDetails.mockResolvedValue(DETAILS)
  acknowledgeJob.mockResolvedValue('InProgress')
  pollForJobs.mockResolvedValue([POLLED])
  findCustomActionType.mockResolvedValue(ACTION_TYPE)
})

describe('bad inputs', () => {
  it('names every problem, reads or claims nothing, and makes no client', async () => {
    core.givenInputs({ 'job-id': 'not-a-job', 'aws-region': 'Mars 1', 'max-attempts': '0' })
    await run(env, fakeClock())
    expect(errors()).toEqual([
      stringMatching(/^Invalid input 'aws-region': "Mars 1" is not an AWS Region code\. /),
      stringMatching(/^Invalid input 'max-attempts': "0" is not a whole number from 1 to 50\. /),
      stringMatching(/^Invalid input 'job-id': "not-a-job" is not a CodePipeline job ID/)
    ])
    expect(failures()).toEqual(['No job was read or claimed: fix the inputs above.'])
    expect(constructed).not.toHaveBeenCalled()
    expect(outputs()).toEqual({})
    expect(watched()).toEqual([])
  })

  it('names every bad claim input at once', async () => {
    core.givenInputs({ provider: 'Git Hub', 'wait-seconds': 'soon', 'fail-if-none': 'maybe' })
    await run(env, fakeClock())
    expect(errors()).toEqual([
      stringMatching(/^Invalid input 'provider': "Git Hub" is not a valid action type provider/),
      stringMatching(/^Invalid input 'wait-seconds': "soon" is not a whole number from 0 to 21600\. /),
      stringMatching(/^Invalid input 'fail-if-none': "maybe" is not true or false\. /)
    ])
    expect(failures()).toEqual(['No job was read or claimed: fix the inputs above.'])
    expect(constructed).not.toHaveBeenCalled()
  })

  it('asks for a job ID or a provider when given neither', async () => {
    await run(env, fakeClock())
    expect(errors()).toEqual([
      stringMatching(/^Invalid input 'provider': either 'job-id' or 'provider' is required\. /)
    ])
    expect(failures()).toEqual(['No job was read or claimed: fix the inputs above.'])
    expect(constructed).not.toHaveBeenCalled()
  })
})

describe('a known job without a nonce', () => {
  it('sets the outputs from the job, the configuration without its secret property', async () => {
    core.givenInputs({ 'job-id': JOB })
    await run(env, fakeClock())
    expect(constructed).toHaveBeenCalledWith({
      region: 'eu-west-1',
      maxAttempts: 10,
      timeoutSeconds: 120,
      names: ACTION_SETTING_NAMES
    })
    expect(getJobDetails).toHaveBeenCalledWith(JOB)
    expect(acknowledgeJob).not.toHaveBeenCalled()
    expect(findCustomActionType).toHaveBeenCalledWith(ACTION_TYPE_ID)
    // Not acknowledged here, so there is no claim to confirm.
    expect(outputs()).toEqual(DATA_OUTPUTS)
    expect(failures()).toEqual([])
    expect(warnings()).toEqual([])
    expect(infos()).toContain(
      `CodePipeline job ${JOB}: pipeline checkout-service, stage Build, action GitHubBuild, input revision ${REVISION}.`
    )
  })

  it('masks the artifact credentials and the secret property before it sets any output from the job', async () => {
    core.givenInputs({ 'job-id': JOB })
    await run(env, fakeClock())
    expect(masked()).toEqual(['ASIAJOBKEY', 'job-secret-access-key', 'job-session-token', 'tok-SECRET-value'])
    // job-id goes out first, the moment the job is known; everything read from the job comes after the masks.
    expect(timeline.slice(0, 5)).toEqual([
      'output job-id',
      'secret ASIAJOBKEY',
      'secret job-secret-access-key',
      'secret job-session-token',
      'secret tok-SECRET-value'
    ])
    expect(timeline.slice(5).filter((entry) => !entry.startsWith('output '))).toEqual([])
  })

  it('masks the AWS keys and the proxy password of the environment before anything else', async () => {
    core.givenInputs({ 'job-id': JOB })
    await run(
      {
        ...env,
        AWS_ACCESS_KEY_ID: 'AKIAENVKEY',
        AWS_SECRET_ACCESS_KEY: 'env-secret',
        HTTPS_PROXY: 'http://builder:proxy-pass@proxy.internal:3128'
      },
      fakeClock()
    )
    expect(masked().slice(0, 3)).toEqual(['AKIAENVKEY', 'env-secret', 'proxy-pass'])
    expect(timeline[0]).toBe('secret AKIAENVKEY')
    expect(infos()).toContain('AWS and GitHub calls go HTTPS through http://proxy.internal:3128/.')
  })

  it("hands the job to the post step's safety net, as fail-if-unreported is true by default", async () => {
    core.givenInputs({ 'job-id': JOB })
    await run(env, fakeClock())
    expect(watched()).toEqual([JOB])
    expect(core.saveState).toHaveBeenCalledWith('job-id', JOB)
  })

  it('leaves the job to a later GitHub job with fail-if-unreported false', async () => {
    core.givenInputs({ 'job-id': JOB, 'fail-if-unreported': 'false' })
    await run(env, fakeClock())
    expect(watched()).toEqual([])
    expect(outputs()).toEqual(DATA_OUTPUTS)
  })

  it('warns that the claim inputs are ignored next to job-id, and reads the job', async () => {
    core.givenInputs({ 'job-id': JOB, provider: 'GitHubActions' })
    await run(env, fakeClock())
    expect(warnings()).toEqual(["'job-id' is set, so 'provider' and the other claim inputs are ignored."])
    expect(pollForJobs).not.toHaveBeenCalled()
    expect(outputs()).toEqual(DATA_OUTPUTS)
  })

  it('sets continuation-token for a job that continues an earlier one', async () => {
    core.givenInputs({ 'job-id': JOB })
    getJobDetails.mockResolvedValue({ ...DETAILS, data: { ...JOB_DATA, continuationToken: 'step-2' } })
    await run(env, fakeClock())
    expect(outputs()).toEqual({ ...DATA_OUTPUTS, 'continuation-token': 'step-2' })
  })

  it('asks nothing about the action type of a job without configuration', async () => {
    core.givenInputs({ 'job-id': JOB })
    getJobDetails.mockResolvedValue({ ...DETAILS, data: { ...JOB_DATA, actionConfiguration: undefined } })
    await run(env, fakeClock())
    expect(findCustomActionType).not.toHaveBeenCalled()
    expect(outputs()).toEqual({ ...DATA_OUTPUTS, configuration: '{}' })
  })

  it('explains a job CodePipeline does not know, naming the job and the Region, and keeps it in job-id', async () => {
    core.givenInputs({ 'job-id': JOB })
    getJobDetails.mockRejectedValue(
      new CodePipelineCallError('GetJobDetails', sdkError('JobNotFoundException'), {
        attempts: 1,
        earlierAnswerLost: false
      })
    )
    await run(env, fakeClock())
    expect(failures()).toEqual([
      `CodePipeline in Region eu-west-1 has no job ${JOB}. Check that 'aws-region' (or AWS_REGION) is the pipeline's Region and that the credentials belong to the pipeline's AWS account; a job that expired is gone too (JobNotFoundException: JobNotFoundException text)`
    ])
    expect(outputs()).toEqual({ 'job-id': JOB })
  })
})

describe('a known job with a nonce', () => {
  it('acknowledges the job before reading it, and says the claim is confirmed', async () => {
    core.givenInputs({ 'job-id': JOB, nonce: NONCE })
    await run(env, fakeClock())
    expect(acknowledgeJob).toHaveBeenCalledWith(JOB, NONCE)
    expect(acknowledgeJob.mock.invocationCallOrder[0]).toBeLessThan(getJobDetails.mock.invocationCallOrder[0]!)
    expect(outputs()).toEqual({ ...DATA_OUTPUTS, confirmed: 'true' })
    expect(infos()).toContain(`Acknowledged CodePipeline job ${JOB} (InProgress).`)
    expect(watched()).toEqual([JOB])
    expect(failures()).toEqual([])
  })

  it('reads the job with confirmed false and a warning when the acknowledgement lost its answer', async () => {
    core.givenInputs({ 'job-id': JOB, nonce: NONCE })
    acknowledgeJob.mockRejectedValue(
      callError('AcknowledgeJob', 'InvalidNonceException', { attempts: 2, earlierAnswerLost: true })
    )
    await run(env, fakeClock())
    expect(outputs()).toEqual({ ...DATA_OUTPUTS, confirmed: 'false' })
    expect(warnings()).toEqual([
      stringMatching(
        new RegExp(
          `^Acknowledging CodePipeline job ${JOB} lost its first answer, and the retry found the nonce already used\\. .* Reading the job anyway, so that the pipeline is not left waiting; the 'confirmed' output is false\\.`
        )
      )
    ])
    expect(watched()).toEqual([JOB])
    expect(failures()).toEqual([])
  })

  it("does not read another worker's job, and fails saying so", async () => {
    core.givenInputs({ 'job-id': JOB, nonce: NONCE })
    acknowledgeJob.mockRejectedValue(callError('AcknowledgeJob', 'InvalidNonceException'))
    await run(env, fakeClock())
    expect(getJobDetails).not.toHaveBeenCalled()
    expect(failures()).toEqual([
      `Another worker already claimed job ${JOB}: CodePipeline refused the nonce. Make sure only one workflow is started per job, and pass the nonce that came with the job (InvalidNonceException: InvalidNonceException text)`
    ])
    // The job is not this workflow's: nothing names it, and the post step leaves it alone.
    expect(outputs()).toEqual({})
    expect(watched()).toEqual([])
  })

  // An AcknowledgeJob that failed may still have claimed the job, as for a claim: job-id and the safety net both know it.
  it('hands a known job to the safety net when its acknowledgement may have landed but failed', async () => {
    core.givenInputs({ 'job-id': JOB, nonce: NONCE })
    acknowledgeJob.mockRejectedValue(
      callError('AcknowledgeJob', 'TimeoutError', { attempts: 3, earlierAnswerLost: true })
    )
    await run(env, fakeClock())
    expect(getJobDetails).not.toHaveBeenCalled()
    expect(failures()).toEqual([stringMatching(/CodePipeline did not answer within 120 s \('timeout-seconds'\)/)])
    expect(outputs()).toEqual({ 'job-id': JOB })
    expect(watched()).toEqual([JOB])
  })
})

describe('claiming a job', () => {
  it('claims the job it finds, sets job-id at once and hands the job to the safety net', async () => {
    core.givenInputs({ ...CLAIM_INPUTS, 'match-revision': REVISION })
    await run(env, fakeClock())
    expect(pollForJobs).toHaveBeenCalledWith({
      actionTypeId: ACTION_TYPE_ID,
      maxBatchSize: 10,
      queryParam: { Workflow: 'build' }
    })
    expect(acknowledgeJob).toHaveBeenCalledWith(JOB, NONCE)
    expect(getJobDetails).not.toHaveBeenCalled()
    // The claim's outputs go out before anything more is asked of CodePipeline.
    expect(timeline.slice(0, 2)).toEqual(['output job-id', 'output confirmed'])
    expect(core.setOutput.mock.invocationCallOrder[0]).toBeLessThan(findCustomActionType.mock.invocationCallOrder[0]!)
    expect(outputs()).toEqual({ ...DATA_OUTPUTS, confirmed: 'true' })
    expect(watched()).toEqual([JOB])
    expect(infos()).toEqual(
      expect.arrayContaining([
        `Polling CodePipeline for a Build/Custom/GitHubActions/1 job with Workflow=build for revision ${REVISION}, for up to 300 s.`,
        `Claimed job ${JOB}.`
      ])
    )
    expect(failures()).toEqual([])
  })

  it('works on a job whose acknowledgement lost its answer, with confirmed false', async () => {
    core.givenInputs(CLAIM_INPUTS)
    acknowledgeJob.mockRejectedValue(
      callError('AcknowledgeJob', 'InvalidNonceException', { attempts: 2, earlierAnswerLost: true })
    )
    await run(env, fakeClock())
    expect(outputs()).toEqual({ ...DATA_OUTPUTS, confirmed: 'false' })
    expect(warnings()).toEqual([stringMatching(/ Working on it, so that the pipeline is not left waiting; /)])
    expect(watched()).toEqual([JOB])
  })

  it("fails when no job turns up, naming what it polled for and 'wait-seconds'", async () => {
    core.givenInputs({ ...CLAIM_INPUTS, 'wait-seconds': '30' })
    pollForJobs.mockResolvedValue([])
    await run(env, fakeClock())
    expect(failures()).toEqual([
      "No job to claim: polled for a Build/Custom/GitHubActions/1 job with Workflow=build for 30 s. Check that the pipeline reached the custom action, and that provider, category, version and query match its action type; raise 'wait-seconds' if the pipeline is slow to get there."
    ])
    expect(acknowledgeJob).not.toHaveBeenCalled()
    expect(outputs()).toEqual({})
    expect(watched()).toEqual([])
  })

  it('carries on with empty outputs when no job turns up and fail-if-none is false', async () => {
    core.givenInputs({ ...CLAIM_INPUTS, 'wait-seconds': '0', 'fail-if-none': 'false' })
    pollForJobs.mockResolvedValue([])
    await run(env, fakeClock())
    expect(failures()).toEqual([])
    expect(infos()).toContain(
      "No job to claim: polled for a Build/Custom/GitHubActions/1 job with Workflow=build for 0 s. Check that the pipeline reached the custom action, and that provider, category, version and query match its action type; raise 'wait-seconds' if the pipeline is slow to get there. Carrying on with an empty result, as 'fail-if-none' is false."
    )
    expect(outputs()).toEqual({})
    expect(watched()).toEqual([])
  })

  it('keeps job-id and the safety net when acknowledging fails, and says a later step can report', async () => {
    core.givenInputs(CLAIM_INPUTS)
    acknowledgeJob.mockRejectedValue(
      callError('AcknowledgeJob', 'ThrottlingException', { attempts: 10, earlierAnswerLost: true })
    )
    await run(env, fakeClock())
    expect(failures()).toEqual([
      `Could not acknowledge job ${JOB}, which may now be claimed by this workflow; its ID is in the job-id output, so that a later step with if: always() can report on it. Calling CodePipeline AcknowledgeJob failed after 10 attempts. If CodePipeline is throttling or unavailable, raise 'max-attempts' or 'timeout-seconds'; otherwise check the network path to CodePipeline in eu-west-1 (ThrottlingException: ThrottlingException text)`
    ])
    expect(outputs()).toEqual({ 'job-id': JOB })
    expect(watched()).toEqual([JOB])
  })

  it('keeps job-id but leaves the job alone after a failed acknowledgement with fail-if-unreported false', async () => {
    core.givenInputs({ ...CLAIM_INPUTS, 'fail-if-unreported': 'false' })
    acknowledgeJob.mockRejectedValue(callError('AcknowledgeJob', 'ThrottlingException'))
    await run(env, fakeClock())
    expect(failures()).toEqual([stringMatching(new RegExp(`^Could not acknowledge job ${JOB}, `))])
    expect(outputs()).toEqual({ 'job-id': JOB })
    expect(watched()).toEqual([])
  })
})

describe("the action type's secret properties", () => {
  it('leaves the configuration out, with a warning, when ListActionTypes is refused, and masks every value', async () => {
    core.givenInputs({ 'job-id': JOB })
    findCustomActionType.mockRejectedValue(callError('ListActionTypes', 'AccessDeniedException'))
    await run(env, fakeClock())
    expect(warnings()).toEqual([
      "The 'configuration' output is left out, as it may hold secret values: reading the action type failed. Allow codepipeline:ListActionTypes to get it. (AccessDeniedException)"
    ])
    expect(outputs()).toEqual(
      Object.fromEntries(Object.entries(DATA_OUTPUTS).filter(([name]) => name !== 'configuration'))
    )
    expect(masked()).toEqual(['ASIAJOBKEY', 'job-secret-access-key', 'job-session-token', 'build', 'tok-SECRET-value'])
    expect(failures()).toEqual([])
  })

  it('leaves the configuration out, with a warning, when the account has no such action type', async () => {
    core.givenInputs({ 'job-id': JOB })
    findCustomActionType.mockResolvedValue(undefined)
    await run(env, fakeClock())
    expect(warnings()).toEqual([
      "The 'configuration' output is left out: the action type Build/Custom/GitHubActions/1 was not found, so its secret properties are unknown."
    ])
    expect(outputs().configuration).toBeUndefined()
    expect(failures()).toEqual([])
  })
})

describe('a stop', () => {
  const STOPPED =
    'The runner stopped the step (SIGINT): the run was cancelled, reached its timeout-minutes, or lost its runner'

  it('before any job says no job was claimed, and names none', async () => {
    core.givenInputs(CLAIM_INPUTS)
    const poll = unanswered()
    pollForJobs.mockImplementation(poll.call)
    const signals = fakeSignals()
    void run(env, fakeClock(), signals.source)
    await poll.made
    signals.fire('SIGINT')
    await signals.exited
    expect(failures()).toEqual([`${STOPPED}. No job was claimed.`])
    expect(outputs()).toEqual({})
    expect(watched()).toEqual([])
  })

  it('while acknowledging a claim names the job, which may now be claimed', async () => {
    core.givenInputs(CLAIM_INPUTS)
    const acknowledgement = unanswered()
    acknowledgeJob.mockImplementation(acknowledgement.call)
    const signals = fakeSignals()
    void run(env, fakeClock(), signals.source)
    await acknowledgement.made
    signals.fire('SIGINT')
    await signals.exited
    expect(failures()).toEqual([
      `${STOPPED}, while acknowledging job ${JOB}, which may now be claimed by this workflow; its ID is in the job-id output, so that a later step with if: always() can report on it.`
    ])
    expect(outputs()).toEqual({ 'job-id': JOB })
    expect(watched()).toEqual([JOB])
  })

  it('while acknowledging a known job with its nonce names the job too, on SIGTERM', async () => {
    core.givenInputs({ 'job-id': JOB, nonce: NONCE })
    const acknowledgement = unanswered()
    acknowledgeJob.mockImplementation(acknowledgement.call)
    const signals = fakeSignals()
    void run(env, fakeClock(), signals.source)
    await acknowledgement.made
    signals.fire('SIGTERM')
    await signals.exited
    expect(failures()).toEqual([
      `The runner stopped the step (SIGTERM): the run was cancelled, reached its timeout-minutes, or lost its runner, while acknowledging job ${JOB}, which may now be claimed by this workflow; its ID is in the job-id output, so that a later step with if: always() can report on it.`
    ])
    expect(outputs()).toEqual({ 'job-id': JOB })
    expect(watched()).toEqual([JOB])
  })

  it('after the job is owned says it stays claimed, with job-id set once', async () => {
    core.givenInputs({ 'job-id': JOB })
    const details = unanswered()
    getJobDetails.mockImplementation(details.call)
    const signals = fakeSignals()
    void run(env, fakeClock(), signals.source)
    await details.made
    signals.fire('SIGINT')
    await signals.exited
    expect(failures()).toEqual([
      `${STOPPED}. Job ${JOB} stays claimed by this workflow; its ID is in the job-id output, so that a later step with if: always() can report on it.`
    ])
    expect(core.setOutput.mock.calls).toEqual([['job-id', JOB]])
    expect(watched()).toEqual([JOB])
  })

  it('is no longer listened for once the step is done', async () => {
    core.givenInputs({ 'job-id': JOB })
    const signals = fakeSignals()
    await run(env, fakeClock(), signals.source)
    expect(signals.listening()).toBe(0)
  })
})

describe('input artifacts', () => {
  it('downloads each input artifact under the workspace and sets where each went', async () => {
    core.givenInputs({ 'job-id': JOB, 'input-artifacts-path': 'inputs' })
    downloadJobInputs.mockResolvedValue([
      { name: 'Source', path: `${WORKSPACE}/inputs/Source`, format: 'zip', bytes: 2048, entries: 12 }
    ])
    await run(env, fakeClock())
    expect(downloadJobInputs).toHaveBeenCalledWith([SOURCE_ARTIFACT], `${WORKSPACE}/inputs`, {
      pipeline: instanceOf(CodePipeline),
      jobId: JOB,
      credentials: ARTIFACT_CREDENTIALS,
      maxAttempts: 10,
      maskSecret
    })
    expect(outputs()).toEqual({
      ...DATA_OUTPUTS,
      'input-artifact-paths': JSON.stringify({ Source: `${WORKSPACE}/inputs/Source` })
    })
    expect(infos()).toContain(`Input artifact Source: 2048 bytes, 12 entries extracted, in ${WORKSPACE}/inputs/Source`)
    expect(failures()).toEqual([])
  })

  it('sets input-artifact-paths to {} for a job with no input artifacts', async () => {
    core.givenInputs({ 'job-id': JOB, 'input-artifacts-path': 'inputs' })
    getJobDetails.mockResolvedValue({ ...DETAILS, data: { ...JOB_DATA, inputArtifacts: [] } })
    await run(env, fakeClock())
    expect(downloadJobInputs).not.toHaveBeenCalled()
    expect(outputs()).toEqual(objectContaining({ 'input-artifacts': '[]', 'input-artifact-paths': '{}' }))
    expect(outputs()['input-revision']).toBeUndefined()
    expect(infos()).toContain('The job has no input artifacts to download.')
    expect(failures()).toEqual([])
  })

  it('downloads nothing without input-artifacts-path', async () => {
    core.givenInputs({ 'job-id': JOB })
    await run(env, fakeClock())
    expect(downloadJobInputs).not.toHaveBeenCalled()
    expect(outputs()['input-artifact-paths']).toBeUndefined()
  })

  it('fails when the job has input artifacts but no credentials to fetch them with', async () => {
    core.givenInputs({ 'job-id': JOB, 'input-artifacts-path': 'inputs' })
    getJobDetails.mockResolvedValue({ ...DETAILS, data: { ...JOB_DATA, artifactCredentials: undefined } })
    await run(env, fakeClock())
    expect(failures()).toEqual(['CodePipeline gave no artifact credentials with the job.'])
    expect(downloadJobInputs).not.toHaveBeenCalled()
    // The job's context is out already, and the job is still watched.
    expect(outputs()).toEqual(DATA_OUTPUTS)
    expect(watched()).toEqual([JOB])
  })

  it('fails a download that went wrong saying the job stays claimed', async () => {
    core.givenInputs({ 'job-id': JOB, 'input-artifacts-path': 'inputs' })
    downloadJobInputs.mockRejectedValue(new ArtifactError('Input', 'Source', new Error('Access Denied')))
    await run(env, fakeClock())
    expect(failures()).toEqual([
      'Input artifact Source: Access Denied. The job stays claimed: report its failure in a later step with if: always().'
    ])
    expect(outputs()).toEqual(DATA_OUTPUTS)
    expect(watched()).toEqual([JOB])
  })

  it('fails with the error itself when the download breaks for another reason', async () => {
    core.givenInputs({ 'job-id': JOB, 'input-artifacts-path': 'inputs' })
    downloadJobInputs.mockRejectedValue(new Error('ENOSPC: no space left on device'))
    await run(env, fakeClock())
    expect(failures()).toEqual(['ENOSPC: no space left on device'])
    expect(watched()).toEqual([JOB])
  })
})
