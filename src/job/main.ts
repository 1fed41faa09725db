import * as log from '../runner/step-log.js'
import type { ActionTypeId } from '@aws-sdk/client-codepipeline'
import { errorCode, explainCallError } from '../portable/aws-errors.js'
import {
  CodePipeline,
  CodePipelineCallError,
  describeAcknowledgement,
  describeUnconfirmedAcknowledgement,
  type AwsSettings
} from '../portable/codepipeline.js'
import { optionalInput, Problems, readAwsSettings } from '../runner/inputs.js'
import { BRIDGE_URL_INPUT } from '../runner/bridge-client.js'
import { readJobThroughBridge } from './through-bridge.js'
import { downloadInputsTo } from './input-artifacts.js'
import { errorMessage } from '../portable/errors.js'
import { announceProxy } from '../portable/proxy.js'
import { maskEnvironmentSecrets, maskSecret } from '../runner/secrets.js'
import { AcknowledgeError, acknowledgeOrTell, claimJob, realClock, type ClaimProgress, type Clock } from './claim.js'
import { describeStop, onStop, type SignalSource, type StopSignal } from '../runner/stop.js'
import { readInputArtifactsPath, readJobSettings, type ClaimSettings, type KnownJob } from './inputs.js'
import {
  describeActionType,
  maskJobSecrets,
  publishJob,
  setJobOutput,
  writeJobSummary,
  type JobRecord
} from './outputs.js'
import { rememberJob } from './state.js'

/** Reads a known job, or claims the next one, and hands its context to the workflow. */
export async function run(
  env: NodeJS.ProcessEnv = process.env,
  clock: Clock = realClock,
  signals?: SignalSource
): Promise<void> {
  maskEnvironmentSecrets(env)
  announceProxy(log, env)
  const problems = new Problems()
  const bridgeUrl = optionalInput(BRIDGE_URL_INPUT)
  // Credential-free mode reads no AWS setting, and makes no AWS client.
  const aws = bridgeUrl === undefined ? problems.check(() => readAwsSettings(env)) : undefined
  const read = problems.check(readJobSettings)
  const inputArtifactsPath = readInputArtifactsPath()
  if (bridgeUrl !== undefined && read !== undefined) return readJobThroughBridge(bridgeUrl, read, inputArtifactsPath)
  if (aws === undefined || read === undefined) {
    // Bad input makes no call: nothing has been claimed yet.
    for (const problem of problems.found) log.error(problem.message)
    log.setFailed('No job was read or claimed: fix the inputs above.')
    return
  }
  for (const warning of read.warnings) log.warning(warning)

  const pipeline = new CodePipeline(aws.settings, log)
  // Once this workflow holds a job, the post step fails it at the end of the GitHub job if nobody reported on it.
  const { failIfUnreported } = read.settings
  const ownership = new Ownership((jobId) => {
    if (failIfUnreported) rememberJob(jobId)
  })
  // The job stays claimed when the step is stopped: a later step with if: always() can report it, given its ID.
  const stopListening = onStop((signal) => Promise.resolve(ownership.reportStop(signal)), signals)
  try {
    const job =
      read.settings.kind === 'known'
        ? await readKnownJob(pipeline, read.settings, ownership)
        : await claim(pipeline, read.settings, clock, ownership)
    if (job === undefined) return
    const secretProperties = await secretPropertiesOf(pipeline, job)
    maskJobSecrets(job, secretProperties)
    const outputs = publishJob(job, secretProperties, await pipeline.region)
    if (inputArtifactsPath !== undefined)
      await downloadInputArtifactsTo(pipeline, aws.settings, job, inputArtifactsPath)
    await writeJobSummary(outputs)
  } catch (error) {
    if (error instanceof AcknowledgeError) {
      // The job may be ours now: give the workflow its ID, so that its report step can answer it.
      setJobOutput('job-id', error.jobId)
      ownership.hold(error.jobId)
      log.setFailed(
        `Could not acknowledge job ${error.jobId}, which may now be claimed by this workflow; its ID is in the job-id output, so that a later step with if: always() can report on it. ${explainCallError(error.cause, { ...aws.settings, jobId: error.jobId })}`
      )
      return
    }
    log.setFailed(
      error instanceof CodePipelineCallError
        ? explainCallError(error, {
            ...aws.settings,
            jobId: read.settings.kind === 'known' ? read.settings.jobId : undefined
          })
        : errorMessage(error)
    )
  } finally {
    stopListening()
  }
}

/**
 * Which job this step may own, told to the workflow the moment it is known:
 * the `job-id` output is set before anything else can fail or stop the step.
 */
class Ownership implements ClaimProgress {
  private owned: string | undefined
  private pending: string | undefined
  private confirmed = true

  /** `hold` hands a job this workflow may own to the post step's safety net. */
  constructor(readonly hold: (jobId: string) => void) {}

  acknowledging(jobId: string): void {
    this.pending = jobId
  }

  /** A stop from now on must not name this job: it is not this workflow's. */
  declined(jobId: string): void {
    if (this.pending === jobId) this.pending = undefined
  }

  unconfirmed(): void {
    this.confirmed = false
  }

  /** The job is this workflow's, or as good as: say so at once. `acknowledged` when this step claimed it. */
  own(jobId: string, acknowledged: boolean): void {
    this.owned = jobId
    this.pending = undefined
    setJobOutput('job-id', jobId)
    this.hold(jobId)
    if (acknowledged) setJobOutput('confirmed', String(this.confirmed))
  }

  reportStop(signal: StopSignal): void {
    if (this.owned !== undefined) {
      log.setFailed(
        `${describeStop(signal)}. Job ${this.owned} stays claimed by this workflow; its ID is in the job-id output, so that a later step with if: always() can report on it.`
      )
    } else if (this.pending !== undefined) {
      setJobOutput('job-id', this.pending)
      this.hold(this.pending)
      log.setFailed(
        `${describeStop(signal)}, while acknowledging job ${this.pending}, which may now be claimed by this workflow; its ID is in the job-id output, so that a later step with if: always() can report on it.`
      )
    } else log.setFailed(`${describeStop(signal)}. No job was claimed.`)
  }
}

/** Downloads the job's input artifacts, each into `<path>/<ArtifactName>/`, with the job's own credentials. */
async function downloadInputArtifactsTo(
  pipeline: CodePipeline,
  aws: AwsSettings,
  job: JobRecord,
  path: string
): Promise<void> {
  const credentials = job.data?.artifactCredentials
  const inputs = job.data?.inputArtifacts ?? []
  if (inputs.length > 0 && !credentials) throw new Error('CodePipeline gave no artifact credentials with the job.')
  await downloadInputsTo(inputs, path, async (declared, root) => {
    const store = await import('../artifacts/index.js')
    return store.downloadJobInputs(declared, root, {
      pipeline,
      jobId: job.id!,
      credentials: credentials!,
      maxAttempts: aws.maxAttempts,
      maskSecret
    })
  })
}

async function readKnownJob(
  pipeline: CodePipeline,
  settings: KnownJob,
  ownership: Ownership
): Promise<JobRecord | undefined> {
  if (settings.nonce !== undefined) {
    ownership.acknowledging(settings.jobId)
    const answer = await acknowledgeOrTell(pipeline, settings.jobId, settings.nonce)
    // Another worker's job is not this workflow's to read: the refusal explains why.
    if (answer.outcome === 'taken') throw answer.refusal
    if (answer.answerLost) {
      ownership.unconfirmed()
      log.warning(describeUnconfirmedAcknowledgement(settings.jobId, 'Reading the job anyway'))
    } else log.info(describeAcknowledgement(settings.jobId, answer))
  }
  ownership.own(settings.jobId, settings.nonce !== undefined)
  return pipeline.getJobDetails(settings.jobId)
}

async function claim(
  pipeline: CodePipeline,
  settings: ClaimSettings,
  clock: Clock,
  ownership: Ownership
): Promise<JobRecord | undefined> {
  const wanted = [
    `a ${describeActionType(settings.actionTypeId)} job`,
    settings.query && `with ${settings.query.name}=${settings.query.value}`,
    settings.matchRevision && `for revision ${settings.matchRevision}`
  ]
    .filter(Boolean)
    .join(' ')
  log.info(`Polling CodePipeline for ${wanted}, for up to ${settings.waitSeconds} s.`)
  const job = await claimJob(pipeline, settings, clock, ownership)
  if (job?.id) ownership.own(job.id, true)
  if (job) {
    log.info(`Claimed job ${job.id}.`)
    return job
  }
  const message = `No job to claim: polled for ${wanted} for ${settings.waitSeconds} s. Check that the pipeline reached the custom action, and that provider, category, version and query match its action type; raise 'wait-seconds' if the pipeline is slow to get there.`
  if (settings.failIfNone) log.setFailed(message)
  else log.info(`${message} Carrying on with an empty result, as 'fail-if-none' is false.`)
  return undefined
}

/**
 * Which configuration properties are secret, from the action type's
 * definition. Undefined, with a warning, when that cannot be read.
 */
async function secretPropertiesOf(pipeline: CodePipeline, job: JobRecord): Promise<ReadonlySet<string> | undefined> {
  const configuration = job.data?.actionConfiguration?.configuration ?? {}
  const typeId: ActionTypeId | undefined = job.data?.actionTypeId
  if (Object.keys(configuration).length === 0) return new Set()
  try {
    const type = typeId && (await pipeline.findCustomActionType(typeId))
    if (type) {
      return new Set(
        (type.actionConfigurationProperties ?? [])
          .filter((property) => property.secret)
          .map((property) => property.name!)
      )
    }
    log.warning(
      `The 'configuration' output is left out: the action type ${typeId ? describeActionType(typeId) : '?'} was not found, so its secret properties are unknown.`
    )
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error
    log.warning(
      `The 'configuration' output is left out, as it may hold secret values: reading the action type failed. Allow codepipeline:ListActionTypes to get it. (${errorCode(error.cause)})`
    )
  }
  return undefined
}
