import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readBridgeTemplate, resource, type Template } from './bridge-stack.js'
import type { SimulatedClock } from './clock.js'
import { node24Path } from './node24.js'

/** Where the pinned AWS SDK is, standing in for the one the Lambda runtime provides. */
const NODE_MODULES = fileURLToPath(new URL('../node_modules', import.meta.url))

/**
 * What the Node.js Lambda runtime does for one container: loads index.js
 * (CommonJS) once, then calls its handler for each event with a context
 * that counts down to the function's timeout.
 */
const BOOTSTRAP = `
const { handler } = require('./index.js')
process.on('message', async ({ id, event, timeoutMs }) => {
  const deadline = Date.now() + timeoutMs
  const context = {
    awsRequestId: id,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now())
  }
  try {
    process.send({ id, result: await handler(event, context) })
  } catch (error) {
    process.send({ id, error: { name: error.name, message: error.message } })
  }
})
process.send({ ready: true })
`

export interface LogLine {
  readonly level: string
  readonly message: string
  readonly [field: string]: unknown
}

export interface InvocationResult<T = Record<string, unknown>> {
  readonly result?: T
  readonly error?: { readonly name: string; readonly message: string }
  /** Everything the invocation wrote to stdout and stderr. */
  readonly output: string
  readonly logs: readonly LogLine[]
  readonly durationMs: number
}

/** The handler code as CloudFormation writes it into index.js: the template's Code.ZipFile. */
export function inlineCode(template: Template = readBridgeTemplate()): string {
  const code = (resource(template, 'Function').Properties.Code as { ZipFile?: string }).ZipFile
  if (typeof code !== 'string') throw new Error('the Function has no inline code')
  return code
}

/**
 * One Lambda container running the bridge's inline code on Node.js 24.
 * Invocations go one at a time, as Lambda sends them to a container; for
 * concurrent invocations, start more containers. On a SimulatedClock, the
 * container reads the time from it and its waits move it forward instead of
 * sleeping (see simulated-clock.cjs); the code it runs is the template's, unchanged.
 */
export class LambdaContainer {
  private output = ''
  private pending?: { resolve: (message: { result?: unknown; error?: { name: string; message: string } }) => void }
  private exited = false
  private sequence = 0

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string
  ) {}

  static async start(
    environment: Record<string, string>,
    code: string = inlineCode(),
    clock?: SimulatedClock
  ): Promise<LambdaContainer> {
    const dir = mkdtempSync(join(tmpdir(), 'lambda-'))
    writeFileSync(join(dir, 'index.js'), code)
    writeFileSync(join(dir, 'bootstrap.cjs'), BOOTSTRAP)
    const child = fork(join(dir, 'bootstrap.cjs'), [], {
      execPath: node24Path(),
      execArgv: clock?.execArgv ?? [],
      cwd: dir,
      env: { PATH: process.env.PATH, NODE_PATH: NODE_MODULES, ...clock?.environment, ...environment },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc']
    })
    const container = new LambdaContainer(child, dir)
    child.stdout?.on('data', (chunk: Buffer) => (container.output += chunk.toString()))
    child.stderr?.on('data', (chunk: Buffer) => (container.output += chunk.toString()))
    child.on('message', (message: { ready?: boolean; result?: unknown; error?: { name: string; message: string } }) => {
      if (!message.ready) container.pending?.resolve(message)
    })
    child.on('exit', () => {
      container.exited = true
      container.pending?.resolve({
        error: { name: 'Exited', message: `the container exited: ${container.output.slice(-2000)}` }
      })
    })
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve())
      child.once('exit', () => reject(new Error(`the handler did not load:\n${container.output}`)))
    })
    return container
  }

  /** Everything the container wrote so far. */
  get log(): string {
    return this.output
  }

  /** Runs one event, within the function's timeout, as Lambda would. */
  async invoke<T = Record<string, unknown>>(event: unknown, timeoutMs = 60_000): Promise<InvocationResult<T>> {
    if (this.exited) throw new Error('the container has exited')
    const from = this.output.length
    const started = performance.now()
    const message = await new Promise<{ result?: unknown; error?: { name: string; message: string } }>((resolve) => {
      this.pending = { resolve }
      this.child.send({ id: `request-${++this.sequence}`, event, timeoutMs })
    })
    this.pending = undefined
    // Lines written just before the answer may still be on their way.
    await new Promise((resolve) => setImmediate(resolve))
    const output = this.output.slice(from)
    return {
      ...(message.result !== undefined && { result: message.result as T }),
      ...(message.error && { error: message.error }),
      output,
      logs: output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine),
      durationMs: performance.now() - started
    }
  }

  /** Ends the container at once, as a crash or a timeout would. */
  kill(): void {
    this.child.kill('SIGKILL')
  }

  async close(): Promise<void> {
    if (!this.exited) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve))
      this.child.kill()
      await exited
    }
    rmSync(this.dir, { recursive: true, force: true })
  }
}
