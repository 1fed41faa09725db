import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { EMULATOR_CREDENTIALS } from './emulator/server.js'
import { node24Path } from './node24.js'

/** The actions in this repository, by the metadata file the runner reads. */
const ACTION_FILES = {
  report: fileURLToPath(new URL('../action.yml', import.meta.url)),
  job: fileURLToPath(new URL('../job/action.yml', import.meta.url))
} as const
export type ActionName = keyof typeof ACTION_FILES

/** What an action.yml tells the runner to start: the main bundle, and a post step with its condition. */
interface ActionRuns {
  readonly main: string
  readonly post?: string
  readonly postIf: string
}

/** Reads the bundles from action.yml, as the runner does, so that a wrong path there fails the tests. */
function actionRuns(action: ActionName): ActionRuns {
  const file = ACTION_FILES[action]
  const { runs } = parse(readFileSync(file, 'utf8')) as { runs: { main: string; post?: string; 'post-if'?: string } }
  return {
    main: resolve(dirname(file), runs.main),
    ...(runs.post !== undefined && { post: resolve(dirname(file), runs.post) }),
    postIf: runs['post-if'] ?? 'success()'
  }
}

export interface StepRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly outputs: Record<string, string>
  readonly summary: string
  /** What the step saved for its post step (GITHUB_STATE). */
  readonly state: Record<string, string>
  /** What the step set for the steps after it (GITHUB_ENV). */
  readonly exported: Record<string, string>
  /** Everything the step wrote anywhere, for checks that a secret appears nowhere. */
  readonly everything: string
  readonly durationMs: number
  /** Milliseconds from the stop signal to the step's end; undefined when it was not stopped. */
  readonly stoppedForMs?: number
  /** True when the step outlived the grace period and was killed. */
  readonly killed: boolean
  /** What the step had printed when the stop signal went; undefined when it was not stopped. */
  readonly stdoutBeforeStop?: string
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
  /**
   * Stops the step as the runner does (SIGINT, SIGTERM 7.5 s later, a kill
   * 2.5 s after that) once its output matches `when`, once `when` settles,
   * or `afterSpawnMs` after the process started.
   */
  readonly stop?: {
    readonly when: RegExp | Promise<unknown> | EarlyStop
    readonly signal?: 'SIGINT' | 'SIGTERM'
  }
}

/** A stop this soon after the process started. */
export interface EarlyStop {
  readonly afterSpawnMs: number
}

/** The runner's grace periods after it decides to stop a step. */
export const RUNNER_STOP = { termAfterMs: 7_500, killAfterMs: 10_000 } as const

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
  'fail-if-unreported': 'true',
  'max-attempts': '10',
  'timeout-seconds': '120'
}

/**
 * One GitHub job on a runner: steps run one after another on Node 24, each
 * with its inputs as INPUT_* variables (hyphens kept), an event payload file,
 * and GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV and GITHUB_STATE files
 * that are read back afterwards. What a step sets through GITHUB_ENV reaches
 * every later step. When the steps are done, `end()` runs the post steps of
 * the actions that have one, last first, each with STATE_* variables from its
 * own main step, as the runner does.
 */
export class RunnerJob {
  private readonly dir = mkdtempSync(join(tmpdir(), 'cp-job-'))
  private readonly exported: Record<string, string> = {}
  private readonly posts: { options: StepOptions; state: Record<string, string> }[] = []
  private failed = false
  private steps = 0

  /** Runs a step's main bundle. */
  async run(options: StepOptions): Promise<StepRun> {
    const runs = actionRuns(options.action ?? 'report')
    const run = await this.execute(options, runs.main, {})
    if (run.code !== 0) this.failed = true
    if (runs.post !== undefined) this.posts.push({ options, state: run.state })
    return run
  }

  /** The end of the job: the post steps whose post-if holds, in reverse order of their main steps. */
  async end(): Promise<StepRun[]> {
    const runs: StepRun[] = []
    for (const { options, state } of this.posts.splice(0).reverse()) {
      const { post, postIf } = actionRuns(options.action ?? 'report')
      const wanted = postIf === 'always()' || (postIf === 'failure()' ? this.failed : !this.failed)
      if (post !== undefined && wanted) runs.push(await this.execute(options, post, state))
    }
    return runs
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }

  private async execute(options: StepOptions, bundle: string, state: Record<string, string>): Promise<StepRun> {
    const stepDir = join(this.dir, `step-${++this.steps}`)
    mkdirSync(stepDir)
    const temp = join(this.dir, 'temp')
    mkdirSync(temp, { recursive: true })
    const files = {
      output: join(stepDir, 'output'),
      summary: join(stepDir, 'summary'),
      env: join(stepDir, 'env'),
      state: join(stepDir, 'state'),
      event: join(stepDir, 'event.json')
    }
    for (const file of [files.output, files.summary, files.env, files.state]) writeFileSync(file, '')
    writeFileSync(files.event, JSON.stringify(options.event ?? pushEvent()))
    const env: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      HOME: this.dir,
      RUNNER_TEMP: temp,
      ...runnerEnvironment(),
      ...this.exported,
      GITHUB_EVENT_NAME: options.eventName ?? 'push',
      GITHUB_EVENT_PATH: files.event,
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_ENV: files.env,
      GITHUB_STATE: files.state,
      AWS_ENDPOINT_URL_CODEPIPELINE: options.endpoint
    }
    const defaults = options.action === 'job' ? JOB_ACTION_DEFAULTS : ACTION_DEFAULTS
    for (const [name, value] of Object.entries({ ...defaults, ...options.inputs })) {
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
    }
    for (const [name, value] of Object.entries(state)) env[`STATE_${name}`] = value
    for (const [name, value] of Object.entries(options.env ?? {})) env[name] = value
    const started = performance.now()
    const child = spawn(node24Path(), [bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let stoppedAt: number | undefined
    let stdoutBeforeStop: string | undefined
    let killed = false
    const timers: NodeJS.Timeout[] = []
    const stop = (): void => {
      if (!options.stop || stoppedAt !== undefined || child.exitCode !== null) return
      stoppedAt = performance.now()
      stdoutBeforeStop = stdout
      child.kill(options.stop.signal ?? 'SIGINT')
      timers.push(
        setTimeout(() => child.kill('SIGTERM'), RUNNER_STOP.termAfterMs),
        setTimeout(() => (killed = child.kill('SIGKILL')), RUNNER_STOP.killAfterMs)
      )
    }
    const { when } = options.stop ?? {}
    if (when instanceof Promise) void when.then(stop)
    else if (when !== undefined && !(when instanceof RegExp)) timers.push(setTimeout(stop, when.afterSpawnMs))
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (when instanceof RegExp && when.test(stdout)) stop()
    })
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    for (const timer of timers) clearTimeout(timer)
    const ended = performance.now()
    const durationMs = ended - started
    const text = Object.fromEntries(
      (['output', 'summary', 'env', 'state'] as const).map((name) => [name, readFileSync(files[name], 'utf8')])
    ) as Record<'output' | 'summary' | 'env' | 'state', string>
    const exported = parseOutputFile(text.env)
    Object.assign(this.exported, exported)
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputFile(text.output),
      summary: text.summary,
      state: parseOutputFile(text.state),
      exported,
      everything: [stdout, stderr, text.output, text.summary, text.env, text.state].join('\n'),
      durationMs,
      stoppedForMs: stoppedAt === undefined ? undefined : ended - stoppedAt,
      killed,
      stdoutBeforeStop
    }
  }
}

/** Runs one step the way the runner does, alone in its GitHub job, which ends without post steps. */
export async function runStep(options: StepOptions): Promise<StepRun> {
  const job = new RunnerJob()
  try {
    return await job.run(options)
  } finally {
    job.close()
  }
}

/** Reads `name<<delimiter` blocks, as the runner does with GITHUB_OUTPUT, GITHUB_ENV and GITHUB_STATE. */
function parseOutputFile(text: string): Record<string, string> {
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
