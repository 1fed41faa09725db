import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EMULATOR_CREDENTIALS } from '../../tools/emulator/server.js'
import { node24Path } from './node24.js'

/** The actions in this repository and the bundles GitHub runs for them. */
export const BUNDLES = {
  report: fileURLToPath(new URL('../../dist/index.js', import.meta.url)),
  job: fileURLToPath(new URL('../../dist/job/index.js', import.meta.url))
} as const
export type ActionName = keyof typeof BUNDLES

export interface StepRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly outputs: Record<string, string>
  readonly summary: string
  /** Everything the step wrote anywhere, for checks that a secret appears nowhere. */
  readonly everything: string
  readonly durationMs: number
}

export interface StepOptions {
  /** Which action to run: the reporting action (the default) or the job action. */
  readonly action?: ActionName
  /** Inputs by their action.yml names, such as `job-id`. */
  readonly inputs: Record<string, string>
  /** The event that triggered the workflow, and its payload; a push by default. */
  readonly eventName?: string
  readonly event?: Record<string, unknown>
  /** Extra or overriding environment; a value of undefined removes the variable. */
  readonly env?: Record<string, string | undefined>
  readonly endpoint: string
}

/** The environment a GitHub-hosted runner gives a step, for a push to main of acme/app. */
export function runnerEnvironment() {
  return {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_SHA: '6dcb09b5b57875f334f61aebed695e2e4193db5e',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_RUN_ID: '9876543210',
    GITHUB_RUN_NUMBER: '42',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW: 'Build',
    GITHUB_SERVER_URL: 'https://github.com',
    // Nothing listens here: a test that needs the API starts the fake one, and no test reaches GitHub.
    GITHUB_API_URL: 'http://127.0.0.1:9',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true'
  }
}

/** The payload of that push, which carries the commit's time and message. */
export function pushEvent(): Record<string, unknown> {
  return {
    ref: 'refs/heads/main',
    head_commit: {
      id: runnerEnvironment().GITHUB_SHA,
      message: 'Ship the new checkout page\n\nLonger description.',
      timestamp: '2026-11-25T10:11:12+01:00'
    }
  }
}

/** The inputs' defaults from action.yml, which the runner applies and a bare `node dist/index.js` would not. */
export const ACTION_DEFAULTS: Readonly<Record<string, string>> = {
  status: 'success',
  'failure-type': 'JobFailed',
  'github-token': 'ghs_defaulttokenforthisrun000000000000',
  'max-attempts': '10',
  'timeout-seconds': '120'
}

/** The same for job/action.yml. */
export const JOB_ACTION_DEFAULTS: Readonly<Record<string, string>> = {
  category: 'Build',
  version: '1',
  'wait-seconds': '300',
  'fail-if-none': 'true',
  'max-attempts': '10',
  'timeout-seconds': '120'
}

/**
 * Runs dist/index.js the way the runner does: on Node 24, inputs as INPUT_*
 * variables with hyphens kept, an event payload file, and GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files that are read back afterwards.
 */
export async function runStep(options: StepOptions): Promise<StepRun> {
  const dir = mkdtempSync(join(tmpdir(), 'cp-step-'))
  try {
    const files = { output: join(dir, 'output'), summary: join(dir, 'summary'), event: join(dir, 'event.json') }
    writeFileSync(files.output, '')
    writeFileSync(files.summary, '')
    writeFileSync(files.event, JSON.stringify(options.event ?? pushEvent()))
    const env: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      HOME: dir,
      RUNNER_TEMP: dir,
      ...runnerEnvironment(),
      GITHUB_EVENT_NAME: options.eventName ?? 'push',
      GITHUB_EVENT_PATH: files.event,
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      AWS_ENDPOINT_URL_CODEPIPELINE: options.endpoint
    }
    const defaults = options.action === 'job' ? JOB_ACTION_DEFAULTS : ACTION_DEFAULTS
    for (const [name, value] of Object.entries({ ...defaults, ...options.inputs })) {
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
    }
    for (const [name, value] of Object.entries(options.env ?? {})) env[name] = value
    const started = performance.now()
    const child = spawn(node24Path(), [BUNDLES[options.action ?? 'report']], {
      env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    const durationMs = performance.now() - started
    const outputText = readFileSync(files.output, 'utf8')
    const summary = readFileSync(files.summary, 'utf8')
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputFile(outputText),
      summary,
      everything: [stdout, stderr, outputText, summary].join('\n'),
      durationMs
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Reads `name<<delimiter` blocks, as the runner does with GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const [, name, delimiter] = /^([^<]+)<<(.+)$/.exec(lines[index] ?? '') ?? []
    if (name === undefined || delimiter === undefined) continue
    const value: string[] = []
    for (let line = lines[++index]; line !== undefined && line !== delimiter; line = lines[++index]) value.push(line)
    outputs[name] = value.join('\n')
  }
  return outputs
}
