import { actionExecutionEvent, type ActionExecutionState } from './emulator/action-events.js'
import type { EmulatedJob, NewJob } from './emulator/jobs.js'
import { CodePipelineEmulator } from './emulator/server.js'
import { BridgeStack } from './bridge-stack.js'
import { SimulatedClock } from './clock.js'
import { FakeGitHubActions, type Flavour } from './fake-github-actions.js'
import { LambdaContainer, type InvocationResult } from './lambda.js'
import { startS3StandIn, type S3StandIn } from './moto.js'

/** The fine-grained token the default secret holds. Not a secret: it only opens the fake GitHub. */
export const TOKEN = 'github_pat_11ABCDEFG0fake0token0for0the0bridge0tests0only00000000000000000000'

/** What the handler returns: see Summary in src/bridge/bridge.ts. */
export interface Summary {
  readonly trigger: string
  readonly polled: number
  readonly dispatched: readonly string[]
  readonly failed: readonly { jobId: string; type: string }[]
  readonly closed: number
  readonly open?: number
}

export interface WorldOptions {
  readonly flavour?: Flavour
  /** Template parameters beyond the defaults, such as QueueTimeoutMinutes. */
  readonly parameters?: Readonly<Record<string, string>>
  /** How long a polled job waits for its acknowledgement before it is handed out again. */
  readonly dispatchTimeoutMs?: number
  /**
   * The containers' waits move the world's clock instead of taking real time, so that a test
   * sees leases end and retry windows pass at once. Without it they wait as on Lambda, as the
   * demo and the benchmark want, and the clock stays on the real time.
   */
  readonly simulatedTime?: boolean
}

/** The run-name the example workflow sets, which names each run after its job. */
export const RUN_NAME = 'CodePipeline ${{ inputs.job-id }}'

/**
 * Everything the bridge talks to, on loopback: the CodePipeline emulator,
 * moto (DynamoDB, Secrets Manager, Scheduler) and a fake GitHub. Each test
 * takes a fresh stack and container with `fresh()`, so that no state is shared.
 * The emulator, the fake GitHub and the containers share one `clock`: with
 * `simulatedTime`, the bridge's waits and the test's `clock.advance(ms)` move it
 * for all of them, so that leases, retry windows and timeouts pass at once.
 * moto keeps the real time; the bridge gives it times only as values.
 */
export class BridgeWorld {
  stack!: BridgeStack
  container!: LambdaContainer
  private readonly containers: LambdaContainer[] = []

  private constructor(
    readonly clock: SimulatedClock,
    readonly emulator: CodePipelineEmulator,
    readonly moto: S3StandIn,
    readonly github: FakeGitHubActions,
    private readonly options: WorldOptions
  ) {}

  static async start(options: WorldOptions = {}): Promise<BridgeWorld> {
    const clock = SimulatedClock.create()
    const [emulator, moto, github] = await Promise.all([
      CodePipelineEmulator.start({ dispatchTimeoutMs: options.dispatchTimeoutMs ?? 60_000, now: clock.now }),
      startS3StandIn(),
      FakeGitHubActions.start(options.flavour, clock.now)
    ])
    const jobId = { 'job-id': { required: true } }
    github.addRepo('acme/app', {
      branches: ['release/2.x'],
      workflows: [
        { file: 'build.yml', inputs: jobId, runName: RUN_NAME },
        { file: 'unnamed.yml', inputs: jobId },
        { file: 'no-input.yml', inputs: {}, runName: RUN_NAME },
        { file: 'push-only.yml', dispatchable: false },
        { file: 'disabled.yml', inputs: jobId, runName: RUN_NAME, enabled: false }
      ]
    })
    github.addRepo('acme/web', {
      defaultBranch: 'trunk',
      workflows: [{ file: 'build.yml', inputs: jobId, runName: RUN_NAME }]
    })
    github.addRepo('acme/private', { workflows: [{ file: 'build.yml', inputs: jobId, runName: RUN_NAME }] })
    github.addToken(TOKEN)
    return new BridgeWorld(clock, emulator, moto, github, options)
  }

  /** A new stack and container, with the secret and parameters given. */
  async fresh(
    options: {
      secret?: string
      parameters?: Readonly<Record<string, string>>
      githubApiUrl?: string
      environment?: Readonly<Record<string, string>>
    } = {}
  ): Promise<void> {
    await this.closeContainers()
    this.stack?.close()
    this.emulator.reset()
    this.github.reset({ runs: true })
    this.github.onDispatch = undefined
    this.github.onRequest = undefined
    this.emulator.onServed = undefined
    // Jobs of earlier tests leave the queue.
    for (const job of this.emulator.jobs.all()) if (!['Succeeded', 'Failed'].includes(job.state)) job.state = 'TimedOut'
    this.stack = await BridgeStack.create({
      motoUrl: this.moto.url,
      codePipelineUrl: this.emulator.url,
      githubApiUrl: options.githubApiUrl ?? this.github.url,
      secret: options.secret ?? TOKEN,
      parameters: { ...this.options.parameters, ...options.parameters },
      ...(options.environment && { environment: options.environment })
    })
    if (!this.emulator.actionTypes.some((type) => type.id.provider === this.stack.actionType.id.provider))
      this.emulator.defineActionType(this.stack.actionType)
    this.container = await this.newContainer()
  }

  /** Another container of the same function, as Lambda starts for concurrent invocations. */
  async newContainer(): Promise<LambdaContainer> {
    const clock = this.options.simulatedTime ? this.clock : undefined
    const container = await LambdaContainer.start(this.stack.environment, undefined, clock)
    this.containers.push(container)
    return container
  }

  /** A job of the bridge's action type waiting in the queue; CodePipeline emits its STARTED event. */
  queueJob(configuration: Record<string, string> = {}, job: NewJob = {}): EmulatedJob {
    return this.emulator.createJob({
      state: 'Queued',
      actionTypeId: this.stack.actionType.id,
      configuration: { Owner: 'acme', Repo: 'app', Workflow: 'build.yml', ...configuration },
      ...job
    })
  }

  event(job: EmulatedJob, state: ActionExecutionState = 'STARTED'): Record<string, unknown> {
    return actionExecutionEvent(job, state, this.clock.now())
  }

  invoke(event: unknown, container = this.container, timeoutMs?: number): Promise<InvocationResult<Summary>> {
    return container.invoke<Summary>(event, timeoutMs)
  }

  sweep(container = this.container): Promise<InvocationResult<Summary>> {
    return this.invoke({ bridge: 'sweep' }, container)
  }

  /** The record of the job's action execution in the state table. */
  async record(job: EmulatedJob): Promise<Record<string, unknown> | undefined> {
    return (await this.stack.records())[job.data.pipelineContext.action.actionExecutionId]
  }

  /** The failure CodePipeline received for the job, if any. */
  failure(job: EmulatedJob): { type: string; message: string; externalExecutionId?: string } | undefined {
    if (job.result?.operation !== 'PutJobFailureResult') return undefined
    return job.result.body.failureDetails as { type: string; message: string; externalExecutionId?: string }
  }

  operations(): string[] {
    return this.emulator.operations()
  }

  async closeContainers(): Promise<void> {
    await Promise.all(this.containers.splice(0).map((container) => container.close()))
  }

  async close(): Promise<void> {
    await this.closeContainers()
    this.stack?.close()
    await Promise.all([this.emulator.close(), this.moto.close(), this.github.close()])
    this.clock.close()
  }
}
