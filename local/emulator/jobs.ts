import { randomBytes, randomUUID } from 'node:crypto'

/** The API's job states, plus Abandoned: the job of an execution that was stopped and abandoned. */
export type JobState = 'Queued' | 'Dispatched' | 'InProgress' | 'Succeeded' | 'Failed' | 'TimedOut' | 'Abandoned'

export interface ActionTypeId {
  readonly category: string
  readonly owner: string
  readonly provider: string
  readonly version: string
}

export interface ConfigurationProperty {
  readonly name: string
  readonly required: boolean
  readonly key: boolean
  readonly secret: boolean
  readonly queryable?: boolean
  readonly description?: string
  readonly type?: 'String' | 'Number' | 'Boolean'
}

export interface ActionType {
  readonly id: ActionTypeId
  readonly settings?: Record<string, string>
  readonly actionConfigurationProperties: readonly ConfigurationProperty[]
  readonly inputArtifactDetails: { minimumCount: number; maximumCount: number }
  readonly outputArtifactDetails: { minimumCount: number; maximumCount: number }
}

/** The action type the project documents, with one secret property to prove masking. */
export const GITHUB_ACTIONS_TYPE: ActionType = {
  id: { category: 'Build', owner: 'Custom', provider: 'GitHubActions', version: '1' },
  settings: {
    entityUrlTemplate: 'https://github.com/{Config:Owner}/{Config:Repo}/actions',
    executionUrlTemplate: 'https://github.com/{Config:Owner}/{Config:Repo}/actions/runs/{ExternalExecutionId}'
  },
  actionConfigurationProperties: [
    { name: 'Owner', required: true, key: true, secret: false, queryable: false, type: 'String' },
    { name: 'Repo', required: true, key: true, secret: false, queryable: false, type: 'String' },
    { name: 'Workflow', required: true, key: true, secret: false, queryable: true, type: 'String' },
    { name: 'DeployToken', required: false, key: false, secret: true, queryable: false, type: 'String' }
  ],
  inputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
  outputArtifactDetails: { minimumCount: 0, maximumCount: 1 }
}

export interface InputArtifact {
  readonly name: string
  readonly revision?: string
  readonly bucketName?: string
  readonly objectKey?: string
}

/** What a test may say about a new job; everything else gets realistic values. */
export interface NewJob {
  id?: string
  state?: JobState
  actionTypeId?: ActionTypeId
  configuration?: Record<string, string>
  pipelineName?: string
  stageName?: string
  actionName?: string
  inputArtifacts?: readonly InputArtifact[]
  outputArtifacts?: readonly string[]
  continuationToken?: string
  encryptionKeyId?: string
  /** The artifact store bucket, for output locations and inputs without their own. */
  artifactBucket?: string
}

/** A custom-action job as the emulator keeps it. */
export interface EmulatedJob {
  readonly id: string
  state: JobState
  nonce: string
  readonly accountId: string
  /** JobData as PollForJobs and GetJobDetails hand it out. */
  readonly data: JobData
  /** The body of the request that ended the job, once one did. */
  result?: { operation: string; body: Record<string, unknown> }
  /** When a Dispatched job goes back to the queue, unless acknowledged first. */
  dispatchedUntil?: number
}

export interface JobData {
  actionTypeId: ActionTypeId
  actionConfiguration: { configuration: Record<string, string> }
  pipelineContext: {
    pipelineName: string
    stage: { name: string }
    action: { name: string; actionExecutionId: string }
    pipelineArn: string
    pipelineExecutionId: string
  }
  inputArtifacts: unknown[]
  outputArtifacts: unknown[]
  artifactCredentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string }
  continuationToken?: string
  encryptionKey?: { id: string; type: 'KMS' }
}

const ACCOUNT_ID = '111122223333'
const FINAL_STATES: ReadonlySet<JobState> = new Set(['Succeeded', 'Failed', 'TimedOut', 'Abandoned'])

function nonce(): string {
  return String(Math.floor(Math.random() * 1e9))
}

/** Temporary S3 credentials in the shape STS hands out; fresh on every read, as CodePipeline's are. */
export function artifactCredentials(): JobData['artifactCredentials'] {
  return {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(60).toString('base64')}`
  }
}

export class JobStore {
  private readonly jobs = new Map<string, EmulatedJob>()

  /** The state of a job created without one: Queued, as CodePipeline's are, or InProgress for tests that skip the claim. */
  constructor(private readonly newJobState: 'Queued' | 'InProgress' = 'Queued') {}

  create(job: NewJob = {}): EmulatedJob {
    const pipelineName = job.pipelineName ?? 'checkout-service'
    const bucket = job.artifactBucket ?? `codepipeline-us-east-1-${ACCOUNT_ID}`
    const artifact = (name: string, revision?: string, bucketName = bucket, objectKey?: string) => ({
      name,
      ...(revision !== undefined && { revision }),
      location: {
        type: 'S3',
        s3Location: {
          bucketName,
          objectKey: objectKey ?? `${pipelineName}/${name.slice(0, 20)}/${randomBytes(4).toString('hex')}`
        }
      }
    })
    const created: EmulatedJob = {
      id: job.id ?? randomUUID(),
      state: job.state ?? this.newJobState,
      nonce: nonce(),
      accountId: ACCOUNT_ID,
      data: {
        actionTypeId: job.actionTypeId ?? GITHUB_ACTIONS_TYPE.id,
        actionConfiguration: {
          configuration: job.configuration ?? { Owner: 'acme', Repo: 'app', Workflow: 'build' }
        },
        pipelineContext: {
          pipelineName,
          stage: { name: job.stageName ?? 'Build' },
          action: { name: job.actionName ?? 'GitHubBuild', actionExecutionId: randomUUID() },
          pipelineArn: `arn:aws:codepipeline:us-east-1:${ACCOUNT_ID}:${pipelineName}`,
          pipelineExecutionId: randomUUID()
        },
        inputArtifacts: (
          job.inputArtifacts ?? [{ name: 'SourceArtifact', revision: '6dcb09b5b57875f334f61aebed695e2e4193db5e' }]
        ).map((input) => artifact(input.name, input.revision, input.bucketName, input.objectKey)),
        outputArtifacts: (job.outputArtifacts ?? []).map((name) => artifact(name)),
        artifactCredentials: artifactCredentials(),
        ...(job.continuationToken !== undefined && { continuationToken: job.continuationToken }),
        ...(job.encryptionKeyId !== undefined && { encryptionKey: { id: job.encryptionKeyId, type: 'KMS' as const } })
      }
    }
    this.jobs.set(created.id, created)
    return created
  }

  /**
   * The job CodePipeline queues after a success with a continuation token:
   * the same action execution, a new job ID and nonce, and the token.
   */
  continueJob(job: EmulatedJob, continuationToken: string): EmulatedJob {
    const next: EmulatedJob = {
      id: randomUUID(),
      state: 'Queued',
      nonce: nonce(),
      accountId: job.accountId,
      data: { ...job.data, artifactCredentials: artifactCredentials(), continuationToken }
    }
    this.jobs.set(next.id, next)
    return next
  }

  get(id: string): EmulatedJob | undefined {
    return this.jobs.get(id)
  }

  all(): EmulatedJob[] {
    return [...this.jobs.values()]
  }

  /** Fails every job still waiting for a worker, queued or handed out, so that none is left for a later poll. */
  failWaiting(): void {
    for (const job of this.jobs.values()) if (job.state === 'Queued' || job.state === 'Dispatched') job.state = 'Failed'
  }

  /** Hands the job to a poller under a new nonce, until `until`. */
  dispatch(job: EmulatedJob, until: number): void {
    job.state = 'Dispatched'
    job.nonce = nonce()
    job.dispatchedUntil = until
  }

  /** Puts dispatched jobs nobody acknowledged in time back in the queue. */
  requeueExpired(now: number): void {
    for (const job of this.jobs.values()) {
      if (job.state === 'Dispatched' && job.dispatchedUntil !== undefined && job.dispatchedUntil <= now) {
        job.state = 'Queued'
        job.dispatchedUntil = undefined
      }
    }
  }

  static isFinal(state: JobState): boolean {
    return FINAL_STATES.has(state)
  }
}
