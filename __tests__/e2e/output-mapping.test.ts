import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { planOutputArtifacts, type OutputArtifactLine } from '../../src/artifacts/output-mapping.js'

const location = (key: string) => ({ location: { s3Location: { bucketName: 'b', objectKey: key } } })
const inside = (lines: OutputArtifactLine[]) => ({ lines, outsideWorkspace: false })

// A named pipe takes mkfifo, a process, to make.
describe('planOutputArtifacts', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'plan-'))

  it('refuses a named pipe, even one named .zip, without opening it', () => {
    execFileSync('mkfifo', [join(workspace, 'pipe.zip')])
    expect(() =>
      planOutputArtifacts(inside([{ name: 'Out', path: 'pipe.zip' }]), [{ name: 'Out', ...location('k') }], workspace)
    ).toThrow(/the path "pipe\.zip" for "Out" is a named pipe \(FIFO\)\. Map a directory or a regular file/)
  })
})
