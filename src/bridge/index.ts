/**
 * The bridge's Lambda handler: starts a GitHub workflow for each job of its
 * custom action type, and makes sure the pipeline hears how the run ended.
 * Invoked by EventBridge (action execution state changes) and by the sweep
 * schedule while work is open. Every setting comes from the environment the
 * template sets; every AWS client honours AWS_ENDPOINT_URL_<SERVICE>.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as wait } from 'node:timers/promises'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { SchedulerClient } from '@aws-sdk/client-scheduler'
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { CodePipeline } from '../portable/codepipeline.js'
import { errorCode } from '../portable/aws-errors.js'
import { errorMessage } from '../portable/errors.js'
import {
  announceProxy,
  proxyAgents,
  proxyCredentials,
  readProxySettings,
  withProxyCredentials,
  type ProxySettings
} from '../portable/proxy.js'
import type { Clock } from './clock.js'
import { CredentialsError, SecretTokens } from './github-credentials.js'
import { readTrigger } from './trigger.js'
import { GitHubApi } from './github.js'
import { agentFetch } from './http.js'
import { handle } from './intake.js'
import { Logger } from './json-log.js'
import { parseProxyCredentials } from './proxy-secret.js'
import { CODEPIPELINE_CALLS, readSettings } from './settings.js'
import type { Summary } from './session.js'
import { isUrlEvent, type HttpAnswer } from './endpoint.js'
import { KeySet } from './oidc.js'
import { answerRunCall, type EndpointParts } from './run-calls.js'
import { StateStore } from './state-store.js'
import { SweepSchedule } from './sweep-schedule.js'
import { RunWatch } from './watch.js'
import { answerDelivery, WEBHOOK_PATH, type DeliveryParts } from './webhook.js'

/** The parts of the Lambda context the bridge reads. */
export interface LambdaContext {
  readonly awsRequestId: string
  getRemainingTimeInMillis(): number
}

/** Clients, caches and tokens, made once per container and kept while it is warm. */
let container: (EndpointParts & DeliveryParts) | undefined

async function createContainer(env: NodeJS.ProcessEnv): Promise<EndpointParts & DeliveryParts> {
  // The one clock of the bridge: Date.now for the time, node:timers/promises for its waits.
  const clock: Clock = {
    now: () => Date.now(),
    sleep: (ms) => wait(ms),
    random: () => Math.random()
  }
  const log = Logger.create(env.LOG_LEVEL, clock)
  for (const secret of proxyCredentials(env)) log.secret(secret)
  announceProxy({ info: (message) => log.info(message), warning: (message) => log.warn(message) }, env)
  const settings = readSettings(env)
  const region = env.AWS_REGION
  // Each attempt is bounded; the SDK retries throttling, 5xx and network errors. Each client, and
  // GitHub's, gets agents of its own for HTTPS_PROXY and NO_PROXY, as destroying a client destroys them.
  const aws = (route: ProxySettings) => ({
    region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000, ...proxyAgents(route) }
  })
  let proxy = readProxySettings(env)
  if (settings.proxySecretId) {
    // Read without the credentials it holds: past the proxy by NO_PROXY (a VPC endpoint), or through it.
    const client = new SecretsManagerClient(aws(proxy))
    const text = await readSecret(client, settings.proxySecretId).finally(() => client.destroy())
    const credentials = parseProxyCredentials(text)
    log.secret(credentials.password)
    log.secret(encodeURIComponent(credentials.password))
    proxy = withProxyCredentials(proxy, credentials)
  }
  const secrets = new SecretsManagerClient(aws(proxy))
  const fetcher = agentFetch(proxyAgents(proxy), proxyAgents(proxy, undefined, { keepAlive: false }))
  const readGitHubSecret = () => readSecret(secrets, settings.githubSecretId)
  const tokens = new SecretTokens(readGitHubSecret, settings.githubApiUrl, log, clock, fetcher)
  const fetchJson = async (url: string): Promise<unknown> => {
    // The issuer's documents come from where the issuer says, never from where a redirect points.
    const response = await fetcher(url, {
      signal: AbortSignal.timeout(5_000),
      headers: { accept: 'application/json' },
      redirect: 'manual'
    })
    if (!response.ok) throw new Error(`${url} answered ${response.status}`)
    return response.json()
  }
  return {
    settings,
    log,
    keys: new KeySet({ issuer: settings.oidcIssuer, fetchJson, now: () => clock.now() }),
    // The job's artifact store is in the pipeline's Region, which is the function's.
    artifactAccess: { region: region ?? '', client: { maxAttempts: 3, requestHandler: aws(proxy).requestHandler } },
    store: new StateStore(new DynamoDBClient(aws(proxy)), settings.tableName, clock),
    pipeline: new CodePipeline({ region, ...CODEPIPELINE_CALLS }, log, proxyAgents(proxy)),
    github: new GitHubApi(settings.githubApiUrl, tokens, log, clock, fetcher),
    schedule: new SweepSchedule(new SchedulerClient(aws(proxy)), settings.sweep, log, clock),
    webhookSecrets: (noneSigned) => tokens.webhookSecrets(noneSigned),
    watch: new RunWatch(async () => (await tokens.webhookSecrets()).length > 0),
    clock
  }
}

async function readSecret(client: SecretsManagerClient, secretId: string): Promise<string> {
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }))
    if (SecretString === undefined) throw new CredentialsError(`The secret ${secretId} has no text value.`, false)
    return SecretString
  } catch (error) {
    if (error instanceof CredentialsError) throw error
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
    // Throttling, 5xx and the network may pass; a missing secret or a denied read will not.
    const retryable = status === undefined || status >= 500 || /Throttl/.test(errorCode(error))
    throw new CredentialsError(
      `Reading the secret failed (${errorCode(error)}: ${errorMessage(error)}).${retryable ? '' : " Check that the secret exists and that the function's role may read it."}`,
      retryable
    )
  }
}

export async function handler(event: unknown, context: LambdaContext): Promise<Summary | HttpAnswer> {
  container ??= await createContainer(process.env)
  const log = container.log.with({ requestId: context.awsRequestId })
  const invocation = {
    owner: `${context.awsRequestId}/${randomUUID()}`,
    deadline: container.clock.now() + context.getRemainingTimeInMillis()
  }
  // GitHub's deliveries and the runs' calls come through the function URL; everything else is EventBridge's or the sweep's.
  if (isUrlEvent(event))
    return event.rawPath === WEBHOOK_PATH
      ? answerDelivery({ ...container, log }, event, invocation)
      : answerRunCall({ ...container, log }, event, invocation)
  const trigger = readTrigger(event, container.settings.actionType)
  return handle({ ...container, log }, invocation, trigger)
}
