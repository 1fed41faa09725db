import { existsSync, readFileSync } from 'node:fs'

/**
 * What the runner tells a step about the workflow run, read from the
 * environment and the event payload file. Read directly rather than through
 * @actions/github, which would load Octokit on every run just to read these.
 */
export interface GitHubContext {
  readonly sha?: string
  readonly ref?: string
  readonly refName?: string
  readonly eventName?: string
  readonly payload: EventPayload
  readonly repository?: string
  readonly runId?: string
  readonly runNumber?: string
  readonly runAttempt?: string
  readonly workflow?: string
  readonly serverUrl: string
  readonly apiUrl: string
}

export interface EventPayload {
  readonly head_commit?: {
    readonly id?: string
    readonly message?: string
    readonly timestamp?: string
  } | null
  readonly pull_request?: { readonly number?: number }
  readonly number?: number
  readonly [key: string]: unknown
}

export function readGitHubContext(env: NodeJS.ProcessEnv = process.env): GitHubContext {
  return {
    sha: nonEmpty(env.GITHUB_SHA),
    ref: nonEmpty(env.GITHUB_REF),
    refName: nonEmpty(env.GITHUB_REF_NAME),
    eventName: nonEmpty(env.GITHUB_EVENT_NAME),
    payload: readPayload(env.GITHUB_EVENT_PATH),
    repository: nonEmpty(env.GITHUB_REPOSITORY),
    runId: nonEmpty(env.GITHUB_RUN_ID),
    runNumber: nonEmpty(env.GITHUB_RUN_NUMBER),
    runAttempt: nonEmpty(env.GITHUB_RUN_ATTEMPT),
    workflow: nonEmpty(env.GITHUB_WORKFLOW),
    serverUrl: (nonEmpty(env.GITHUB_SERVER_URL) ?? 'https://github.com').replace(/\/+$/, ''),
    apiUrl: (nonEmpty(env.GITHUB_API_URL) ?? 'https://api.github.com').replace(/\/+$/, '')
  }
}

/** The run's page, `<server>/<owner>/<repo>/actions/runs/<id>`, when the run is known. */
export function runUrl(context: GitHubContext): string | undefined {
  if (!context.repository || !context.runId) return undefined
  return `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}`
}

/** Describes this run for people: "workflow 'Build', run #12, attempt 2". */
export function describeRun(context: GitHubContext): string {
  const workflow = context.workflow ? `workflow '${context.workflow}'` : 'GitHub Actions workflow'
  const parts = [workflow]
  if (context.runNumber) parts.push(`run #${context.runNumber}`)
  if (context.runAttempt) parts.push(`attempt ${context.runAttempt}`)
  return parts.join(', ')
}

function readPayload(path: string | undefined): EventPayload {
  if (!path || !existsSync(path)) return {}
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
    return parsed !== null && typeof parsed === 'object' ? (parsed as EventPayload) : {}
  } catch {
    // A payload we cannot read only costs us the commit details, which can be looked up.
    return {}
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
