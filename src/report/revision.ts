import type { CurrentRevision } from '@aws-sdk/client-codepipeline'
import type { GitHubContext } from '../runner/github-context.js'
import { LENGTH, truncate } from '../portable/limits.js'

/** The `revision*` and `change-identifier` inputs; each replaces what would be derived. */
export interface RevisionOverrides {
  readonly revision?: string
  readonly changeIdentifier?: string
  readonly created?: Date
  readonly summary?: string
}

export interface CommitDetails {
  readonly committedAt?: Date
  readonly message?: string
}

/** Fetches a commit's details; resolves undefined (having warned) when it cannot. */
export type CommitLookup = (sha: string) => Promise<CommitDetails | undefined>

/**
 * The `currentRevision` to report: the commit this workflow ran on, unless the
 * user names another. Undefined when there is no revision at all.
 */
export async function resolveCurrentRevision(
  overrides: RevisionOverrides,
  context: GitHubContext,
  lookupCommit: CommitLookup
): Promise<CurrentRevision | undefined> {
  const revision = overrides.revision ?? context.sha
  if (revision === undefined) return undefined

  // Commit details describe context.sha, so they only apply when that is what we report.
  const needsDetails = overrides.created === undefined || overrides.summary === undefined
  const details =
    needsDetails && revision === context.sha ? await commitDetails(revision, context, lookupCommit) : undefined

  const created = overrides.created ?? details?.committedAt
  const summary = overrides.summary ?? firstLine(details?.message)
  return {
    revision,
    changeIdentifier:
      overrides.changeIdentifier ?? truncate(changeIdentifierFor(context) ?? revision, LENGTH.changeIdentifier.max),
    ...(created && { created }),
    ...(summary && { revisionSummary: truncate(summary, LENGTH.revisionSummary.max) })
  }
}

/** A branch or tag name, or `pull/<number>` for pull-request events. */
export function changeIdentifierFor(context: GitHubContext): string | undefined {
  const pullNumber = context.payload.pull_request?.number ?? context.payload.number
  if (context.eventName?.startsWith('pull_request') && pullNumber !== undefined) return `pull/${pullNumber}`
  if (context.refName) return context.refName
  return context.ref?.replace(/^refs\/(heads|tags)\//, '')
}

async function commitDetails(
  sha: string,
  context: GitHubContext,
  lookupCommit: CommitLookup
): Promise<CommitDetails | undefined> {
  const headCommit = context.payload.head_commit
  if (headCommit?.id === sha && (headCommit.timestamp || headCommit.message)) {
    return { committedAt: parseDate(headCommit.timestamp), message: headCommit.message }
  }
  return lookupCommit(sha)
}

function firstLine(message: string | undefined): string | undefined {
  const line = message?.split(/\r?\n/, 1)[0]?.trim()
  return line ? line : undefined
}

function parseDate(text: string | undefined): Date | undefined {
  if (!text) return undefined
  const date = new Date(text)
  return Number.isNaN(date.getTime()) ? undefined : date
}
