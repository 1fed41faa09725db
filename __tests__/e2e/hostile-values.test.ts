import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CodePipelineEmulator } from '../../local/emulator/server.js'
import { commandsIn } from '../../local/runner-commands.js'
import { runStep, type StepOptions } from '../../local/runner.js'

// Values from inputs, job data and the services' answers, made to look like workflow commands or markdown.
let emulator: CodePipelineEmulator

beforeAll(async () => {
  emulator = await CodePipelineEmulator.start({ newJobState: 'InProgress' })
})
afterAll(() => emulator.close())
beforeEach(() => {
  emulator.reset()
  emulator.jobs.failWaiting()
})

/**
 * Each way a value could smuggle a command in: a new line by LF or CR, the
 * whitespace the runner trims and JavaScript does not (NEL, U+0085), and the
 * legacy syntax inside a line.
 */
const PAYLOAD =
  'Tests failed\n::warning::x\r::add-mask::x\n  ::stop-commands::t\nsee ##[add-mask]x\n\u0085::add-mask::x'

/** The commands nobody but the payload would write. */
function injected(output: string): string[] {
  return commandsIn(output).filter(
    (line) => line.includes('##[') || /^::(warning::x|add-mask::x|stop-commands::)/.test(line)
  )
}

function step(inputs: Record<string, string>, options: Partial<StepOptions> = {}) {
  return runStep({ endpoint: emulator.url, ...options, inputs })
}

describe('values that look like workflow commands', () => {
  it('prints a failure message with commands in it as plain text', async () => {
    const job = emulator.createJob()
    const run = await step({ 'job-id': job.id, status: 'failure', 'failure-message': PAYLOAD })
    expect(run.code).toBe(0)
    expect(job.result?.body.failureDetails).toMatchObject({ message: PAYLOAD })
    expect(run.stdout).toContain(
      'Tests failed\n\\::warning::x\n\\::add-mask::x\n  \\::stop-commands::t\nsee ##\\[add-mask]x\n\u0085\\::add-mask::x'
    )
    expect(injected(run.stdout + run.stderr)).toEqual([])
  })

  it('keeps commands in the summary, revision and revision summary from running, with debug on', async () => {
    const job = emulator.createJob()
    const run = await step(
      {
        'job-id': job.id,
        summary: PAYLOAD,
        revision: 'v1 ##[add-mask]x',
        'revision-summary': PAYLOAD,
        'revision-created': '2026-11-26T09:30:00Z'
      },
      { env: { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' } }
    )
    expect(run.code).toBe(0)
    expect(job.state).toBe('Succeeded')
    expect(run.stdout).toContain('at revision v1 ##\\[add-mask]x.')
    expect(injected(run.stdout + run.stderr)).toEqual([])
  })

  it("keeps commands in CodePipeline's own error message from running", async () => {
    const job = emulator.createJob()
    emulator.inject({ kind: 'error', type: 'AccessDeniedException', message: PAYLOAD })
    const run = await step({ 'job-id': job.id })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::.*codepipeline:PutJobSuccessResult/)
    expect(injected(run.stdout + run.stderr)).toEqual([])
  })

  it('keeps commands in job data from running in the job action', async () => {
    const job = emulator.createJob({
      pipelineName: 'app',
      inputArtifacts: [{ name: 'SourceArtifact', revision: PAYLOAD, bucketName: 'b', objectKey: 'k' }]
    })
    const run = await step({ 'job-id': job.id }, { action: 'job' })
    expect(run.code).toBe(0)
    expect(run.outputs['input-revision']).toBe(PAYLOAD)
    expect(run.stdout).toContain('input revision Tests failed\n\\::warning::x')
    expect(injected(run.stdout + run.stderr)).toEqual([])
  })
})

describe('values that look like markdown in the step summary', () => {
  const MARKDOWN = 'done\n\n# Owned\n\n![tracker](https://example.com/t.png)\r\n\r\n[click](https://example.com)'

  it('keeps every value inside its table cell', async () => {
    const job = emulator.createJob()
    const run = await step({ 'job-id': job.id, summary: MARKDOWN, 'revision-summary': MARKDOWN })
    expect(run.code).toBe(0)
    // The table is one line of HTML: no value's line break can end the HTML block.
    const lines = run.summary.split(/\r?\n/).filter((line) => line !== '')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toBe('<h3>CodePipeline job succeeded</h3>')
    expect(lines[1]).toMatch(/^<table>.*<\/table>$/)
    expect(lines[1]).toContain('<td>done&#10;&#10;# Owned&#10;&#10;![tracker](https://example.com/t.png)&#13;&#10;')
  })

  it('keeps a failure message inside its cell', async () => {
    const job = emulator.createJob()
    const run = await step({ 'job-id': job.id, status: 'failure', 'failure-message': MARKDOWN })
    expect(run.summary.split(/\r?\n/).filter((line) => line !== '')).toHaveLength(2)
    expect(run.summary).not.toMatch(/^# Owned/m)
  })
})

describe('an acknowledgment whose answer was lost', () => {
  /** The first attempt claims the job and its answer is lost; the retry is refused, the nonce being used. */
  function loseFirstAcknowledgment(): void {
    emulator.inject({ kind: 'drop-after' }, { operation: 'AcknowledgeJob' })
    emulator.inject(
      { kind: 'error', type: 'InvalidNonceException', message: 'The nonce was already used' },
      { operation: 'AcknowledgeJob' }
    )
  }

  it('reports, unconfirmed and with a warning, when the retry finds the nonce used', async () => {
    const job = emulator.createJob({ state: 'Queued' })
    loseFirstAcknowledgment()
    const run = await step({ 'job-id': job.id, nonce: job.nonce })
    expect(emulator.requests.map((request) => [request.operation, request.errorType])).toEqual([
      ['AcknowledgeJob', undefined],
      ['AcknowledgeJob', 'InvalidNonceException'],
      ['PutJobSuccessResult', undefined]
    ])
    expect(run.code).toBe(0)
    expect(job.state).toBe('Succeeded')
    expect(run.stdout).toMatch(
      /::warning::Acknowledging CodePipeline job \S+ lost its first answer, and the retry found the nonce already used\. Most likely that was this step's own first attempt, but CodePipeline cannot confirm it/
    )
    expect(run.outputs).toMatchObject({ reported: 'success', confirmed: 'false' })
  })

  it('claims the job in the job action, unconfirmed and with a warning', async () => {
    const job = emulator.createJob({ state: 'Queued' })
    loseFirstAcknowledgment()
    const run = await step({ provider: 'GitHubActions', query: 'Workflow=build' }, { action: 'job' })
    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({ 'job-id': job.id, confirmed: 'false' })
    expect(run.stdout).toMatch(
      /::warning::Acknowledging CodePipeline job \S+ lost its first answer.*'confirmed' output is false/
    )
  })
})

describe('output variables as written', () => {
  it('sends numbers exactly as written in JSON', async () => {
    const job = emulator.createJob()
    const run = await step({ 'job-id': job.id, 'output-variables': '{"BIG": 12345678901234567890, "HUGE": 1e400}' })
    expect(run.code).toBe(0)
    expect(job.result?.body.outputVariables).toEqual({ BIG: '12345678901234567890', HUGE: '1e400' })
  })

  it('keeps the spaces around values alike on every line', async () => {
    const job = emulator.createJob()
    const run = await step({ 'job-id': job.id, 'output-variables': ' A= first \nB= last ' })
    expect(run.code).toBe(0)
    expect(job.result?.body.outputVariables).toEqual({ A: ' first ', B: ' last ' })
  })
})
