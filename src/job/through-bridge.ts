import * as log from '../runner/step-log.js'
import {
  artifactConnection,
  BridgeClient,
  BridgeJobCalls,
  readBridgeEndpoint,
  regionOf
} from '../runner/bridge-client.js'
import { errorMessage } from '../portable/errors.js'
import type { InputRead } from '../runner/inputs.js'
import type { JobSettings } from './inputs.js'
import { maskJobSecrets, publishJob, setJobOutput, writeJobSummary } from './outputs.js'
import { rememberJob } from './state.js'
import { downloadInputsTo } from './input-artifacts.js'

/**
 * The job action in credential-free mode: the bridge started this workflow
 * with its job's ID, and the job is read through the bridge. There is no
 * claiming (the bridge holds the job) and no AWS client.
 */
export async function readJobThroughBridge(
  bridgeUrl: string,
  read: InputRead<JobSettings>,
  inputArtifactsPath: string | undefined
): Promise<void> {
  const { settings } = read
  if (settings.kind !== 'known') {
    log.setFailed(
      'With bridge-url, the bridge starts this workflow for its job: set job-id to the job-id input the bridge dispatched (job-id: ${{ inputs.job-id }}), and leave out provider, category and version.'
    )
    return
  }
  if (settings.nonce !== undefined) {
    log.setFailed('The nonce input has no use with bridge-url: the bridge acknowledges the job itself. Remove it.')
    return
  }
  let calls: BridgeJobCalls
  try {
    calls = new BridgeJobCalls(new BridgeClient(readBridgeEndpoint(bridgeUrl)))
  } catch (error) {
    log.setFailed(errorMessage(error))
    return
  }
  const { jobId } = settings
  setJobOutput('job-id', jobId)
  if (settings.failIfUnreported) rememberJob(jobId)
  try {
    const job = await calls.getJobDetails(jobId)
    if (job === undefined) throw new Error(`The bridge returned no job ${jobId}`)
    // The bridge's action type has no secret property; its configuration is where the workflow comes from.
    const secretProperties = new Set<string>()
    maskJobSecrets(job, secretProperties)
    const outputs = publishJob(
      job,
      secretProperties,
      regionOf(job.data?.pipelineContext?.pipelineArn),
      ' through the bridge'
    )
    // The job the bridge holds may have moved on to a continuation; the run's calls name the job it was started for.
    setJobOutput('job-id', jobId)
    if (inputArtifactsPath !== undefined)
      await downloadInputsTo(job.data?.inputArtifacts ?? [], inputArtifactsPath, async (inputs, root) => {
        const store = await import('../artifacts/index.js')
        return store.downloadJobInputsThroughBridge(inputs, root, artifactConnection(calls.client, jobId))
      })
    await writeJobSummary(outputs)
  } catch (error) {
    log.setFailed(`Could not read job ${jobId} through the bridge: ${errorMessage(error)}`)
  }
}
