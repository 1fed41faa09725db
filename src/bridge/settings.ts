import { ACTION_CATEGORIES, ACTION_TYPE, isWithin, type ActionCategory } from '../portable/limits.js'
import type { AwsSettings } from '../portable/codepipeline.js'
import { quote } from '../portable/errors.js'
import { GITHUB_OIDC_ISSUER, parseIssuer } from './oidc.js'
import { AllowedRepos } from './target.js'

/**
 * Everything the bridge is told by its stack, through the environment
 * variables the template sets on the function. Read once per container.
 */
export interface BridgeSettings {
  readonly actionType: {
    readonly owner: 'Custom'
    readonly category: ActionCategory
    readonly provider: string
    readonly version: string
  }
  readonly allowedRepos: AllowedRepos
  /** GitHub's REST API, without a trailing slash: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  readonly githubApiUrl: string
  /** The Secrets Manager secret with a token, or a GitHub App's ID and private key. */
  readonly githubSecretId: string
  /** The Secrets Manager secret with the proxy's credentials, when it needs them. */
  readonly proxySecretId?: string
  /** How long a run may wait for a runner before it is cancelled and the job fails. */
  readonly queueTimeoutMs: number
  /** How long GitHub may stay unavailable (5xx, 429, network) before the job fails. */
  readonly retryWindowMs: number
  readonly tableName: string
  /** The issuer of the runs' OIDC tokens, for the endpoint of credential-free mode. */
  readonly oidcIssuer: string
  /** The EventBridge Scheduler schedule that runs the sweep. */
  readonly sweep: { readonly scheduleName: string; readonly groupName: string }
  readonly logLevel?: string
}

/** How the bridge calls CodePipeline: each call tried up to three times, within 20 seconds. */
export const CODEPIPELINE_CALLS = {
  maxAttempts: 3,
  timeoutSeconds: 20,
  // An operator changes the stack, not the calls: a failed call is tried again at the next sweep.
  names: {
    principal: "the stack's FunctionRole",
    region: "the stack's Region",
    actionType: "the stack's ActionCategory, ActionProvider and ActionVersion",
    expiredCredentials: "Check FunctionRole's trust policy",
    missingCredentials: "Check the stack's FunctionRole"
  }
} as const satisfies Omit<AwsSettings, 'region'>

/** The environment variables, by name; the template sets each of them. */
export const ENVIRONMENT = {
  category: 'ACTION_CATEGORY',
  provider: 'ACTION_PROVIDER',
  version: 'ACTION_VERSION',
  allowedRepos: 'ALLOWED_REPOS',
  githubApiUrl: 'GITHUB_API_URL',
  githubSecretId: 'GITHUB_CREDENTIALS_SECRET',
  proxySecretId: 'PROXY_CREDENTIALS_SECRET',
  queueTimeoutMinutes: 'QUEUE_TIMEOUT_MINUTES',
  retryMinutes: 'GITHUB_RETRY_MINUTES',
  tableName: 'TABLE_NAME',
  oidcIssuer: 'OIDC_ISSUER',
  scheduleName: 'SWEEP_SCHEDULE_NAME',
  scheduleGroup: 'SWEEP_SCHEDULE_GROUP',
  logLevel: 'LOG_LEVEL'
} as const

/** Reads the settings; throws naming every variable that is missing or wrong. */
export function readSettings(env: NodeJS.ProcessEnv): BridgeSettings {
  const problems: string[] = []
  const text = (name: string): string => {
    const value = env[name]?.trim()
    if (!value) problems.push(`${name} is not set`)
    return value ?? ''
  }
  const minutes = (name: string): number => {
    const value = Number(text(name))
    if (!(value > 0 && value <= 24 * 60)) problems.push(`${name} must be a number of minutes above 0 and at most 1440`)
    return value * 60_000
  }
  const category = ACTION_CATEGORIES.find((choice) => choice === env[ENVIRONMENT.category]?.trim())
  if (category === undefined) problems.push(`${ENVIRONMENT.category} must be one of ${ACTION_CATEGORIES.join(', ')}`)
  const typePart = (name: string, limit: { min: number; max: number }): string => {
    const value = text(name)
    if (value && !(isWithin(value, limit) && ACTION_TYPE.pattern.test(value)))
      problems.push(`${name} ${quote(value)} is not ${limit.min}–${limit.max} letters, digits, _ or -`)
    return value
  }
  const provider = typePart(ENVIRONMENT.provider, ACTION_TYPE.provider)
  const version = typePart(ENVIRONMENT.version, ACTION_TYPE.version)
  let allowedRepos: AllowedRepos | undefined
  try {
    allowedRepos = AllowedRepos.parse(env[ENVIRONMENT.allowedRepos] ?? '')
  } catch (error) {
    problems.push((error as Error).message)
  }
  const githubApiUrl = text(ENVIRONMENT.githubApiUrl).replace(/\/+$/, '')
  if (githubApiUrl && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(githubApiUrl))
    problems.push(`${ENVIRONMENT.githubApiUrl} ${quote(githubApiUrl)} is not a URL`)
  const settings = {
    actionType: { owner: 'Custom' as const, category: category ?? 'Build', provider, version },
    githubApiUrl,
    githubSecretId: text(ENVIRONMENT.githubSecretId),
    proxySecretId: env[ENVIRONMENT.proxySecretId]?.trim() || undefined,
    queueTimeoutMs: minutes(ENVIRONMENT.queueTimeoutMinutes),
    retryWindowMs: minutes(ENVIRONMENT.retryMinutes),
    tableName: text(ENVIRONMENT.tableName),
    oidcIssuer: readIssuer(env[ENVIRONMENT.oidcIssuer], problems),
    sweep: {
      scheduleName: text(ENVIRONMENT.scheduleName),
      groupName: env[ENVIRONMENT.scheduleGroup]?.trim() || 'default'
    },
    logLevel: env[ENVIRONMENT.logLevel]?.trim()
  }
  if (problems.length > 0 || allowedRepos === undefined) {
    throw new Error(`The bridge's settings are wrong; fix the stack's parameters: ${problems.join('; ')}`)
  }
  return { ...settings, allowedRepos }
}

/** The OIDC issuer: GitHub's by default; https always, but for a test's issuer on this machine. */
function readIssuer(value: string | undefined, problems: string[]): string {
  try {
    return parseIssuer(value?.trim() || GITHUB_OIDC_ISSUER)
  } catch (error) {
    problems.push((error as Error).message)
    return GITHUB_OIDC_ISSUER
  }
}
