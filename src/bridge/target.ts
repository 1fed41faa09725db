import { quote } from '../portable/errors.js'
import { GITHUB_DISPATCH } from '../portable/limits.js'

/** The workflow a pipeline action starts, from the action's configuration. */
export interface WorkflowTarget {
  readonly owner: string
  readonly repo: string
  /** The workflow's file name, such as build.yml, or its numeric ID. */
  readonly workflow: string
  /** The branch or tag to run on; the repository's default branch when unset. */
  readonly branch?: string
}

/** Configuration property names of the bridge's action type. */
const PROPERTIES = { owner: 'Owner', repo: 'Repo', workflow: 'Workflow', branch: 'Branch' } as const

/**
 * The repositories the bridge may start workflows in: `owner/repo` or
 * `owner/*`, separated by commas or spaces. GitHub names ignore case, so
 * this does too. Anyone who can edit a pipeline picks Owner and Repo; this
 * list is what stops them from reaching every repository the credentials can.
 */
export class AllowedRepos {
  private constructor(private readonly entries: readonly string[]) {}

  /** Throws with every bad entry named. */
  static parse(text: string): AllowedRepos {
    const entries = text
      .split(/[\s,]+/)
      .map((entry) => entry.trim().toLowerCase())
      .filter((entry) => entry !== '')
    const bad = entries.filter((entry) => {
      const [owner = '', repo = '', ...rest] = entry.split('/')
      return rest.length > 0 || !GITHUB_DISPATCH.owner.test(owner) || (repo !== '*' && !GITHUB_DISPATCH.repo.test(repo))
    })
    if (entries.length === 0) throw new Error('AllowedRepos is empty: list the repositories as owner/repo or owner/*')
    if (bad.length > 0) {
      throw new Error(
        `AllowedRepos has entries that are not owner/repo or owner/*: ${bad.map((entry) => quote(entry)).join(', ')}`
      )
    }
    return new AllowedRepos(entries)
  }

  allows(owner: string, repo: string): boolean {
    const wanted = `${owner}/${repo}`.toLowerCase()
    return this.entries.some((entry) => entry === wanted || entry === `${owner.toLowerCase()}/*`)
  }

  toString(): string {
    return this.entries.join(', ')
  }
}

export type TargetReading = { readonly target: WorkflowTarget } | { readonly problems: readonly string[] }

/**
 * Reads and checks the action's configuration, naming every problem at
 * once, so that one pipeline failure tells the user all there is to fix.
 */
export function readTarget(
  configuration: Readonly<Record<string, string>> | undefined,
  allowed: AllowedRepos
): TargetReading {
  const config = configuration ?? {}
  const problems: string[] = []
  const read = (name: string, pattern: RegExp, rule: string, required: boolean): string | undefined => {
    const value = config[name]?.trim()
    if (value === undefined || value === '') {
      if (required) problems.push(`${name} is required: ${rule}`)
      return undefined
    }
    if (!pattern.test(value)) {
      problems.push(`${name} ${quote(value)} is not ${rule}`)
      return undefined
    }
    return value
  }
  const owner = read(PROPERTIES.owner, GITHUB_DISPATCH.owner, 'a GitHub user or organization name', true)
  const repo = read(PROPERTIES.repo, GITHUB_DISPATCH.repo, 'a repository name, such as app', true)
  const workflow = read(
    PROPERTIES.workflow,
    GITHUB_DISPATCH.workflow,
    'the file name of a workflow in .github/workflows, such as build.yml, or its numeric ID',
    true
  )
  const branch = read(PROPERTIES.branch, GITHUB_DISPATCH.ref, 'a branch or tag name, such as main', false)
  if (owner !== undefined && repo !== undefined && !allowed.allows(owner, repo)) {
    problems.push(
      `${owner}/${repo} is not in the bridge's AllowedRepos (${allowed.toString()}): add it to the stack's AllowedRepos parameter, or correct Owner and Repo`
    )
  }
  if (problems.length > 0 || owner === undefined || repo === undefined || workflow === undefined) return { problems }
  return { target: { owner, repo, workflow, ...(branch !== undefined && { branch }) } }
}

export function describeTarget(target: WorkflowTarget): string {
  return `workflow ${target.workflow} in ${target.owner}/${target.repo}`
}

/**
 * The workflow's runs on GitHub's website, filtered to dispatched runs on
 * the branch, from the API's address: https://api.HOST or https://HOST/api/v3.
 */
export function runsPage(apiUrl: string, target: WorkflowTarget, ref?: string): string {
  const site = apiUrl.replace('//api.', '//').replace(/\/api\/v3$/, '')
  const query = encodeURIComponent(`event:workflow_dispatch${ref ? ` branch:${ref}` : ''}`)
  return `${site}/${target.owner}/${target.repo}/actions/workflows/${encodeURIComponent(target.workflow)}?query=${query}`
}
