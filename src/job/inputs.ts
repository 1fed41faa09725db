import { resolve } from 'node:path'
import type { ActionTypeId } from '@aws-sdk/client-codepipeline'
import {
  input,
  optionalInput,
  Problems,
  readBoolean,
  readChoice,
  readInteger,
  readJobId,
  readLimited,
  type InputRead
} from '../runner/inputs.js'
import { InputError, InvalidInputs, quote } from '../portable/errors.js'
import {
  ACTION_CATEGORIES,
  ACTION_TYPE,
  LENGTH,
  QUERY_PARAM,
  isWithin,
  type ActionCategory
} from '../portable/limits.js'

/** Every input the job action reads; job/action.yml declares exactly these. */
export const JOB_INPUT_NAMES = [
  'job-id',
  'nonce',
  'provider',
  'category',
  'version',
  'query',
  'match-revision',
  'wait-seconds',
  'fail-if-none',
  'fail-if-unreported',
  'input-artifacts-path',
  'bridge-url',
  'aws-region',
  'max-attempts',
  'timeout-seconds'
] as const

export const DEFAULT_WAIT_SECONDS = 300

/** What both ways of getting a job share. */
interface JobHandling {
  /** Whether the step at the end of the GitHub job fails the job if no step reported on it. */
  readonly failIfUnreported: boolean
}

/** Read a job whose ID the workflow was given. */
export interface KnownJob extends JobHandling {
  readonly kind: 'known'
  readonly jobId: string
  readonly nonce?: string
}

/** Claim the next job of a custom action type. */
export interface ClaimSettings extends JobHandling {
  readonly kind: 'claim'
  readonly actionTypeId: Required<Pick<ActionTypeId, 'category' | 'owner' | 'provider' | 'version'>>
  readonly query?: { readonly name: string; readonly value: string }
  readonly matchRevision?: string
  readonly waitSeconds: number
  readonly failIfNone: boolean
}

export type JobSettings = KnownJob | ClaimSettings

/** Where to download the input artifacts, from `input-artifacts-path`; undefined to leave them. */
export function readInputArtifactsPath(
  workspace: string = process.env.GITHUB_WORKSPACE || process.cwd()
): string | undefined {
  const path = optionalInput('input-artifacts-path')
  return path === undefined ? undefined : resolve(workspace, path)
}

/** Reads and checks the job action's inputs; throws InvalidInputs naming every problem. */
export function readJobSettings(): InputRead<JobSettings> {
  const problems = new Problems()
  const warnings: string[] = []
  const jobId = problems.check(() => (optionalInput('job-id') === undefined ? undefined : readJobId()))
  const nonce = problems.check(() =>
    readLimited('nonce', LENGTH.nonce, 'Pass the nonce exactly as PollForJobs returned it with the job.')
  )
  const provider = optionalInput('provider')
  const failIfUnreported =
    problems.check(() =>
      readBoolean('fail-if-unreported', {
        fallback: true,
        fix: 'Use false when a later GitHub job, not this one, reports the result.'
      })
    ) ?? true

  if (jobId !== undefined) {
    problems.throwIfAny()
    if (provider !== undefined) warnings.push(`'job-id' is set, so 'provider' and the other claim inputs are ignored.`)
    return {
      settings: { kind: 'known', jobId, ...(nonce !== undefined && { nonce }), failIfUnreported },
      warnings
    }
  }
  if (provider === undefined) {
    // A bad job ID is the problem to name, if there is one; otherwise neither input was set.
    problems.throwIfAny()
    throw new InvalidInputs([
      new InputError(
        'provider',
        "either 'job-id' or 'provider' is required",
        "Set 'job-id' to read a job the workflow was given, or 'provider' (with 'category' and 'version') to claim the next job of your custom action type."
      )
    ])
  }
  if (nonce !== undefined)
    warnings.push("'nonce' goes with 'job-id'; a claimed job is acknowledged with the nonce it comes with.")

  const actionTypeId = {
    owner: 'Custom' as const,
    category: problems.check(readCategory) ?? 'Build',
    provider: problems.check(() => checkActionTypePart('provider', provider, ACTION_TYPE.provider)) ?? provider,
    version: problems.check(() => checkActionTypePart('version', input('version') || '1', ACTION_TYPE.version)) ?? '1'
  }
  const query = problems.check(() => readQuery(warnings))
  const matchRevision = problems.check(() =>
    readLimited('match-revision', LENGTH.revision, 'Pass the revision to claim a job for, such as ${{ github.sha }}.')
  )
  const waitSeconds =
    problems.check(() =>
      readInteger('wait-seconds', { min: 0, max: 21_600, fallback: DEFAULT_WAIT_SECONDS, fix: 'Use 0 to poll once.' })
    ) ?? DEFAULT_WAIT_SECONDS
  const failIfNone =
    problems.check(() =>
      readBoolean('fail-if-none', { fallback: true, fix: 'Use false to get an empty result instead.' })
    ) ?? true
  problems.throwIfAny()
  return {
    settings: { kind: 'claim', actionTypeId, query, matchRevision, waitSeconds, failIfNone, failIfUnreported },
    warnings
  }
}

function readCategory(): ActionCategory {
  return readChoice('category', {
    choices: ACTION_CATEGORIES,
    fallback: 'Build',
    what: 'an action category',
    fix: 'Use the category your custom action type was created with:'
  })
}

function checkActionTypePart(name: 'provider' | 'version', value: string, limit: { min: number; max: number }): string {
  if (!isWithin(value, limit) || !ACTION_TYPE.pattern.test(value)) {
    throw new InputError(
      name,
      `${quote(value)} is not a valid action type ${name}: ${limit.min}–${limit.max} letters, digits, _ or -`,
      `Use the ${name} your custom action type was created with.`
    )
  }
  return value
}

function readQuery(warnings: string[]): ClaimSettings['query'] {
  const text = optionalInput('query')
  if (text === undefined) return undefined
  const separator = text.indexOf('=')
  const name = separator < 0 ? '' : text.slice(0, separator).trim()
  const value = separator < 0 ? '' : text.slice(separator + 1).trim()
  const fix = "Write it as NAME=value, with the action type's queryable property, such as Workflow=build."
  if (!name || !value) throw new InputError('query', `${quote(text)} is not NAME=value`, fix)
  if (!isWithin(name, QUERY_PARAM.key)) {
    throw new InputError(
      'query',
      `the name is ${name.length} characters, over the limit of ${QUERY_PARAM.key.max}`,
      fix
    )
  }
  if (!isWithin(value, QUERY_PARAM.value) || !QUERY_PARAM.valuePattern.test(value)) {
    throw new InputError(
      'query',
      `the value ${quote(value)} must be ${QUERY_PARAM.value.min}–${QUERY_PARAM.value.max} letters, digits, _ or -`,
      fix
    )
  }
  if (value.length > QUERY_PARAM.pipelineValueMax) {
    warnings.push(
      `The query value ${quote(value)} is longer than the ${QUERY_PARAM.pipelineValueMax} characters a pipeline lets a queryable property hold, so no job can match it.`
    )
  }
  return { name, value }
}
