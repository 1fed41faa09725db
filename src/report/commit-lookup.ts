import * as log from '../runner/step-log.js'
import { errorMessage, quote } from '../portable/errors.js'
import type { GitHubContext } from '../runner/github-context.js'
import type { CommitDetails, CommitLookup } from './revision.js'

const LOOKUP_TIMEOUT_MS = 10_000

/**
 * Looks a commit up through the GitHub REST API at GITHUB_API_URL, so that
 * GitHub Enterprise Server works too. A failed lookup only costs the report
 * its commit time and summary, so it warns instead of failing.
 */
export function githubCommitLookup(context: GitHubContext, token: string | undefined): CommitLookup {
  return async (sha: string): Promise<CommitDetails | undefined> => {
    const skip = (reason: string): undefined => {
      log.warning(
        `Reporting revision ${sha} without its commit time and summary: ${reason}. Set 'revision-created' and 'revision-summary' to send them anyway.`
      )
      return undefined
    }
    if (!context.repository) return skip('GITHUB_REPOSITORY is not set, so the commit cannot be looked up')
    if (!token) return skip("'github-token' is empty, so the commit cannot be looked up")

    const [owner, repo] = context.repository.split('/')
    if (!owner || !repo) return skip(`GITHUB_REPOSITORY is ${quote(context.repository)}, not owner/name`)
    try {
      // Loaded only here: most events carry the commit in their payload and never need Octokit.
      const { getOctokit } = await import('@actions/github')
      const octokit = getOctokit(token, { baseUrl: context.apiUrl })
      log.debug(`Looking up commit ${sha} at ${context.apiUrl}`)
      const { data } = await octokit.rest.git.getCommit({
        owner,
        repo,
        commit_sha: sha,
        request: { signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) }
      })
      const committedAt = new Date(data.committer.date)
      return {
        committedAt: Number.isNaN(committedAt.getTime()) ? undefined : committedAt,
        message: data.message
      }
    } catch (error) {
      return skip(`the GitHub API lookup at ${context.apiUrl} failed (${errorMessage(error)})`)
    }
  }
}
