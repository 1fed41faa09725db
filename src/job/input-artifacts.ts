import * as log from '../runner/step-log.js'
import type { DeclaredInput, DownloadedArtifact } from '../artifacts/download.js'
import { setJobOutput } from './outputs.js'

/**
 * Downloads the job's input artifacts with `download` (from S3 with the
 * job's credentials, or through the bridge), says where each went, and
 * sets `input-artifact-paths`.
 */
export async function downloadInputsTo(
  inputs: readonly DeclaredInput[],
  path: string,
  download: (inputs: readonly DeclaredInput[], path: string) => Promise<DownloadedArtifact[]>
): Promise<void> {
  if (inputs.length === 0) {
    log.info('The job has no input artifacts to download.')
    setJobOutput('input-artifact-paths', '{}')
    return
  }
  const { ArtifactError } = await import('../artifacts/index.js')
  try {
    const downloaded = await download(inputs, path)
    for (const artifact of downloaded) {
      const what = artifact.format === 'zip' ? `${artifact.entries} entries extracted` : 'not a zip, saved as it is'
      log.info(`Input artifact ${artifact.name}: ${artifact.bytes} bytes, ${what}, in ${artifact.path}`)
    }
    setJobOutput(
      'input-artifact-paths',
      JSON.stringify(Object.fromEntries(downloaded.map((artifact) => [artifact.name, artifact.path])))
    )
  } catch (error) {
    if (!(error instanceof ArtifactError)) throw error
    log.setFailed(`${error.message}. The job stays claimed: report its failure in a later step with if: always().`)
  }
}
