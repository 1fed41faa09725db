import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { writeStepSummary } from '../../src/report/summary.js'

const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'
// core.summary keeps the first path it sees, as one step has one summary file.
const file = join(mkdtempSync(join(tmpdir(), 'summary-')), 'summary.md')

beforeEach(() => {
  writeFileSync(file, '')
  vi.stubEnv('GITHUB_STEP_SUMMARY', file)
})

describe('writeStepSummary', () => {
  it('shows the revision and variable names, escaped, without values', async () => {
    await writeStepSummary('success', {
      jobId: JOB,
      currentRevision: { revision: 'abc', changeIdentifier: 'main', revisionSummary: 'Fix <script> & co' },
      executionDetails: { summary: 'done', percentComplete: 100 },
      outputVariables: { TOKENISH: 'do-not-show' }
    })
    const html = readFileSync(file, 'utf8')
    expect(html).toContain('<h3>CodePipeline job succeeded</h3>')
    expect(html).toContain('Fix &#60;script&#62; &#38; co')
    expect(html).toContain('<code>TOKENISH</code> (19 bytes)')
    expect(html).not.toContain('do-not-show')
  })

  it('shows a failure', async () => {
    await writeStepSummary('failure', { jobId: JOB, failureDetails: { type: 'ConfigurationError', message: 'bad' } })
    expect(readFileSync(file, 'utf8')).toMatch(/CodePipeline job failed.*ConfigurationError.*bad/s)
  })

  it('names and links the pipeline execution when the step read the job', async () => {
    await writeStepSummary(
      'success',
      { jobId: JOB, executionDetails: { summary: 'done' } },
      {
        execution: { pipelineName: 'checkout-service', executionId: 'exec-1', url: 'https://console.example/x?a=1&b=2' }
      }
    )
    expect(readFileSync(file, 'utf8')).toContain(
      '<th align="left">Pipeline execution</th><td><a href="https://console.example/x?a=1&#38;b=2"><code>checkout-service</code>, execution <code>exec-1</code></a></td>'
    )
  })

  it('does nothing outside a runner', async () => {
    await expect(writeStepSummary('success', { jobId: JOB }, {}, {})).resolves.toBeUndefined()
  })
})
