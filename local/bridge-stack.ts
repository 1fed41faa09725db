import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  CreateTableCommand,
  DynamoDBClient,
  ScanCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput
} from '@aws-sdk/client-dynamodb'
import {
  CreateScheduleCommand,
  GetScheduleCommand,
  SchedulerClient,
  type CreateScheduleCommandInput
} from '@aws-sdk/client-scheduler'
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { parse, YAMLMap, type YAMLSeq } from 'yaml'
import type { ActionType } from './emulator/jobs.js'
import { EMULATOR_CREDENTIALS } from './emulator/server.js'

export const BRIDGE_TEMPLATE_PATH = fileURLToPath(new URL('../dist/bridge/template.yaml', import.meta.url))
export const BRIDGE_BUNDLE_PATH = fileURLToPath(new URL('../dist/bridge/index.js', import.meta.url))

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
interface Resource {
  readonly Type: string
  readonly Properties: Record<string, Json>
}
export interface Template {
  readonly Parameters: Record<string, { Default?: string | number }>
  readonly Conditions?: Record<string, Json>
  readonly Resources: Record<string, Resource>
}

const INTRINSICS = ['Ref', 'Sub', 'GetAtt', 'Join', 'Select', 'Split', 'If', 'Equals', 'Not', 'Contains']
const intrinsic = (name: string): string => (name === 'Ref' ? name : `Fn::${name}`)
/** CloudFormation's short forms (`!Ref`, `!Sub`, …) as their long forms. */
const CLOUDFORMATION_TAGS = INTRINSICS.flatMap((name) => [
  {
    tag: `!${name}`,
    resolve: (value: string) => ({ [intrinsic(name)]: name === 'GetAtt' ? value.split('.') : value })
  },
  {
    tag: `!${name}`,
    collection: 'seq' as const,
    resolve: (seq: YAMLSeq) => {
      const map = new YAMLMap()
      map.set(intrinsic(name), seq)
      return map
    }
  }
])

/** The committed bridge template, as CloudFormation reads it. */
export function readBridgeTemplate(text = readFileSync(BRIDGE_TEMPLATE_PATH, 'utf8')): Template {
  return parse(text, { customTags: CLOUDFORMATION_TAGS }) as Template
}

export function resource(template: Template, name: string): Resource {
  const found = template.Resources[name]
  if (!found) throw new Error(`the template has no resource ${name}`)
  return found
}

const text = (value: Json): string => (typeof value === 'string' ? value : JSON.stringify(value))

/** What `!Ref AWS::NoValue` leaves: the property or list item is dropped. */
const NO_VALUE = Symbol('AWS::NoValue')

/**
 * Evaluates the intrinsic functions a template uses, with `values` for
 * parameters, pseudo parameters, resources (`Name`), attributes (`Name.Attr`)
 * and conditions (`Condition:Name`, `true` or `false`).
 */
export function resolve(value: Json, values: Readonly<Record<string, string>>): Json {
  const resolved = resolveValue(value, values)
  return resolved === NO_VALUE ? null : resolved
}

function resolveValue(value: Json, values: Readonly<Record<string, string>>): Json | typeof NO_VALUE {
  if (Array.isArray(value))
    return value.map((item) => resolveValue(item, values)).filter((item): item is Json => item !== NO_VALUE)
  if (value === null || typeof value !== 'object') return value
  const known = (name: string): string => {
    const found = values[name]
    if (found === undefined) throw new Error(`no value for ${name}`)
    return found
  }
  const [key, argument] = Object.entries(value)[0] ?? []
  if (key === 'Ref' && argument === 'AWS::NoValue') return NO_VALUE
  if (key === 'Ref') return known(argument as string)
  if (key === 'Fn::If') {
    const [condition, whenTrue, whenFalse] = argument as [string, Json, Json]
    return resolveValue(known(`Condition:${condition}`) === 'true' ? whenTrue : whenFalse, values)
  }
  if (key === 'Fn::Equals') {
    const [left, right] = resolve(argument as Json[], values) as Json[]
    return text(left ?? null) === text(right ?? null)
  }
  if (key === 'Fn::Not') return !(resolve(argument as Json[], values) as boolean[])[0]
  if (key === 'Fn::GetAtt') return known((argument as string[]).join('.'))
  if (key === 'Fn::Join') {
    const [separator, parts] = argument as [string, Json[]]
    const list = resolve(parts, values)
    // A CommaDelimitedList parameter is held as its text.
    return (Array.isArray(list) ? list : text(list).split(',')).map(text).join(separator)
  }
  if (key === 'Fn::Select') {
    const [index, list] = argument as [number, Json]
    return (resolve(list, values) as Json[])[index] ?? null
  }
  if (key === 'Fn::Split') {
    const [separator, source] = argument as [string, Json]
    return text(resolve(source, values)).split(separator)
  }
  if (key === 'Fn::Sub') {
    const [pattern, extra] = (Array.isArray(argument) ? argument : [argument, {}]) as [string, Record<string, Json>]
    const local = Object.fromEntries(Object.entries(extra).map(([name, inner]) => [name, text(resolve(inner, values))]))
    return pattern.replace(/\$\{([^}]+)\}/g, (_, name: string) => local[name] ?? known(name))
  }
  return Object.fromEntries(
    Object.entries(value).flatMap(([name, inner]) => {
      const resolved = resolveValue(inner, values)
      return resolved === NO_VALUE ? [] : [[name, resolved]]
    })
  )
}

/** The template's conditions, evaluated with these parameter values, as `Condition:Name` values. */
export function conditions(template: Template, values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(template.Conditions ?? {}).map(([name, condition]) => [
      `Condition:${name}`,
      text(resolve(condition, values))
    ])
  )
}

interface ActionTypeProperties {
  readonly Category: string
  readonly Provider: string
  readonly Version: string
  readonly Settings: Record<string, string>
  readonly ConfigurationProperties: readonly {
    readonly Name: string
    readonly Required: boolean
    readonly Key: boolean
    readonly Secret: boolean
    readonly Queryable?: boolean
    readonly Type?: 'String' | 'Number' | 'Boolean'
    readonly Description?: string
  }[]
  readonly InputArtifactDetails: { readonly MinimumCount: number; readonly MaximumCount: number }
  readonly OutputArtifactDetails: { readonly MinimumCount: number; readonly MaximumCount: number }
}

/** The custom action type the template creates, as the emulator holds action types. */
function bridgeActionType(template: Template, values: Readonly<Record<string, string>>): ActionType {
  const properties = resolve(resource(template, 'ActionType').Properties, values) as unknown as ActionTypeProperties
  const lower = (key: string): string => key.charAt(0).toLowerCase() + key.slice(1)
  const count = (details: ActionTypeProperties['InputArtifactDetails']) => ({
    minimumCount: details.MinimumCount,
    maximumCount: details.MaximumCount
  })
  return {
    id: { category: properties.Category, owner: 'Custom', provider: properties.Provider, version: properties.Version },
    settings: Object.fromEntries(Object.entries(properties.Settings).map(([name, url]) => [lower(name), url])),
    actionConfigurationProperties: properties.ConfigurationProperties.map((property) => ({
      name: property.Name,
      required: property.Required,
      key: property.Key,
      secret: property.Secret,
      queryable: property.Queryable,
      type: property.Type,
      description: property.Description
    })),
    inputArtifactDetails: count(properties.InputArtifactDetails),
    outputArtifactDetails: count(properties.OutputArtifactDetails)
  }
}

export interface StackOptions {
  /** moto's server: DynamoDB, Secrets Manager and EventBridge Scheduler. */
  readonly motoUrl: string
  readonly codePipelineUrl: string
  readonly githubApiUrl: string
  /** The credentials secret's value. */
  readonly secret: string
  readonly allowedRepos?: string
  /** Parameter values beyond the defaults, such as QueueTimeoutMinutes. */
  readonly parameters?: Readonly<Record<string, string>>
  /** Variables the function runs with beyond the template's, such as other endpoints or NODE_EXTRA_CA_CERTS. */
  readonly environment?: Readonly<Record<string, string>>
}

/**
 * The bridge stack, made the way the template makes it, in moto: the state
 * table, the sweep schedule and the credentials secret; and the function's
 * environment, from the template's own Environment with its references
 * filled in. Each stack gets its own table and schedule.
 */
export class BridgeStack {
  readonly db: DynamoDBClient
  readonly scheduler: SchedulerClient
  readonly secrets: SecretsManagerClient

  private constructor(
    readonly template: Template,
    readonly values: Readonly<Record<string, string>>,
    readonly options: StackOptions
  ) {
    const client = { region: 'us-east-1', endpoint: options.motoUrl, credentials: EMULATOR_CREDENTIALS }
    this.db = new DynamoDBClient(client)
    this.scheduler = new SchedulerClient(client)
    this.secrets = new SecretsManagerClient(client)
  }

  static async create(options: StackOptions): Promise<BridgeStack> {
    const template = readBridgeTemplate()
    const id = randomUUID()
    const parameters = Object.fromEntries(
      Object.entries(template.Parameters).flatMap(([name, parameter]) =>
        parameter.Default === undefined ? [] : [[name, String(parameter.Default)]]
      )
    )
    const values: Record<string, string> = {
      ...parameters,
      AllowedRepos: options.allowedRepos ?? 'acme/app, acme/web',
      GitHubApiUrl: options.githubApiUrl,
      ...options.parameters,
      'AWS::StackId': `arn:aws:cloudformation:us-east-1:111122223333:stack/github-bridge/${id}`,
      'AWS::Region': 'us-east-1',
      'AWS::AccountId': '111122223333',
      'AWS::Partition': 'aws',
      State: `github-bridge-State-${id.slice(0, 8)}`,
      'Function.Arn': 'arn:aws:lambda:us-east-1:111122223333:function:github-bridge-Function',
      'SweepRole.Arn': 'arn:aws:iam::111122223333:role/github-bridge-SweepRole'
    }
    Object.assign(values, conditions(template, values))
    const stack = new BridgeStack(template, values, options)
    const secret = await stack.secrets.send(
      new CreateSecretCommand({ Name: `github-bridge/credentials-${id}`, SecretString: options.secret })
    )
    values.GitHubCredentialsSecretArn = secret.ARN!
    const table = resolve(resource(template, 'State').Properties, values) as unknown as CreateTableCommandInput & {
      TimeToLiveSpecification: { AttributeName: string; Enabled: boolean }
    }
    const { TimeToLiveSpecification, ...tableInput } = table
    await stack.db.send(new CreateTableCommand({ ...tableInput, TableName: values.State }))
    await stack.db.send(
      new UpdateTimeToLiveCommand({ TableName: values.State, TimeToLiveSpecification: TimeToLiveSpecification })
    )
    const sweep = resolve(resource(template, 'Sweep').Properties, values) as unknown as CreateScheduleCommandInput
    await stack.scheduler.send(new CreateScheduleCommand(sweep))
    return stack
  }

  /** The function's environment as Lambda gives it, pointed at the local services. */
  get environment(): Record<string, string> {
    const variables = resolve(
      (resource(this.template, 'Function').Properties.Environment as { Variables: Json }).Variables,
      this.values
    ) as Record<string, string>
    return {
      ...variables,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_CODEPIPELINE: this.options.codePipelineUrl,
      AWS_ENDPOINT_URL_DYNAMODB: this.options.motoUrl,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: this.options.motoUrl,
      AWS_ENDPOINT_URL_SCHEDULER: this.options.motoUrl,
      // The artifact store, which the bridge signs for in credential-free mode.
      AWS_ENDPOINT_URL_S3: this.options.motoUrl,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_LAMBDA_FUNCTION_NAME: 'github-bridge-Function',
      ...this.options.environment
    }
  }

  get actionType(): ActionType {
    return bridgeActionType(this.template, this.values)
  }

  get scheduleName(): string {
    return this.environment.SWEEP_SCHEDULE_NAME!
  }

  async schedule(): Promise<{ state?: string; endDate?: Date }> {
    const schedule = await this.scheduler.send(new GetScheduleCommand({ Name: this.scheduleName }))
    return { state: schedule.State, endDate: schedule.EndDate }
  }

  async rotateSecret(value: string): Promise<void> {
    await this.secrets.send(
      new PutSecretValueCommand({ SecretId: this.values.GitHubCredentialsSecretArn, SecretString: value })
    )
  }

  /** Every item in the state table, keyed by its key. */
  async records(): Promise<Record<string, Record<string, unknown>>> {
    const { Items = [] } = await this.db.send(new ScanCommand({ TableName: this.values.State }))
    const { plain } = await import('../src/bridge/state-store.js')
    return Object.fromEntries(
      Items.map((item) => {
        const fields = Object.fromEntries(Object.entries(item).map(([name, value]) => [name, plain(value)]))
        return [String(fields.pk), fields]
      })
    )
  }

  close(): void {
    this.db.destroy()
    this.scheduler.destroy()
    this.secrets.destroy()
  }
}
