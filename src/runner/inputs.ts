import * as core from '@actions/core'
import { InputError, InvalidInputs, quote } from '../portable/errors.js'
import { JOB_ID_PATTERN, isWithin, type LengthLimit } from '../portable/limits.js'
import type { AwsSettings, SettingNames } from '../portable/codepipeline.js'

/**
 * Input reading shared by the actions in this repository: each reads all its
 * inputs once through these, into a typed and checked settings object.
 */

/**
 * What every input reader returns. Problems are not returned but thrown, all
 * of them together, as one InvalidInputs.
 */
export interface InputRead<Settings> {
  readonly settings: Settings
  /** Findings worth a warning that do not stop the step. */
  readonly warnings: readonly string[]
}

export function input(name: string): string {
  return core.getInput(name).trim()
}

export function optionalInput(name: string): string | undefined {
  const value = input(name)
  return value === '' ? undefined : value
}

/** Gathers every input problem of one read, so that a user fixes them all in one go. */
export class Problems {
  readonly found: InputError[] = []

  /** Runs one read; the rules it breaks are noted, and it gives undefined. */
  check<T>(read: () => T): T | undefined {
    try {
      return read()
    } catch (error) {
      if (error instanceof InvalidInputs) this.found.push(...error.problems)
      else if (error instanceof InputError) this.found.push(error)
      else throw error
      return undefined
    }
  }

  add(...problems: readonly InputError[]): void {
    this.found.push(...problems)
  }

  throwIfAny(): void {
    if (this.found.length > 0) throw new InvalidInputs(this.found)
  }
}

export const DEFAULT_MAX_ATTEMPTS = 10
export const DEFAULT_TIMEOUT_SECONDS = 120

export interface ChoiceRule<T extends string> {
  readonly choices: readonly T[]
  /** Taken when the input is empty. */
  readonly fallback: T
  /** What a value must be, for the error: "a CodePipeline failure type". */
  readonly what: string
  /** How to choose, for the error; the choices follow it. */
  readonly fix: string
}

/**
 * One of a fixed set of values, matched without regard to case and returned
 * as the API spells it.
 */
export function readChoice<T extends string>(name: string, { choices, fallback, what, fix }: ChoiceRule<T>): T {
  const text = input(name) || fallback
  const match = choices.find((choice) => choice.toLowerCase() === text.toLowerCase())
  if (!match) throw new InputError(name, `${quote(text)} is not ${what}`, `${fix} One of ${choices.join(', ')}.`)
  return match
}

/** A true or false input, `fallback` when it is empty. */
export function readBoolean(name: string, { fallback, fix }: { fallback: boolean; fix: string }): boolean {
  const text = input(name).toLowerCase() || String(fallback)
  if (text !== 'true' && text !== 'false') throw new InputError(name, `${quote(text)} is not true or false`, fix)
  return text === 'true'
}

/** The `job-id` input, which must be a CodePipeline job ID. */
export function readJobId(): string {
  const jobId = input('job-id')
  if (jobId === '') {
    throw new InputError(
      'job-id',
      'it is required',
      'Pass the ID of the CodePipeline job this workflow works on, for example job-id: ${{ inputs.job-id }}.'
    )
  }
  if (!JOB_ID_PATTERN.test(jobId)) {
    const hint = JOB_ID_PATTERN.test(jobId.toLowerCase()) ? ' (it has upper-case letters)' : ''
    throw new InputError(
      'job-id',
      `${quote(jobId)} is not a CodePipeline job ID, which is a lowercase UUID such as 0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11${hint}`,
      'Pass the job ID exactly as CodePipeline gave it.'
    )
  }
  return jobId
}

/** The actions' inputs, as a workflow author changes them. */
export const ACTION_SETTING_NAMES: SettingNames = {
  principal: 'the role this workflow assumes',
  region: "'aws-region' (or AWS_REGION)",
  actionType: "'provider', 'category' and 'version'",
  timeout: "'timeout-seconds'",
  attempts: "'max-attempts'",
  expiredCredentials:
    'Role sessions last 1 hour by default: run aws-actions/configure-aws-credentials right before this step, or raise its role-duration-seconds',
  missingCredentials:
    'Add aws-actions/configure-aws-credentials before this step (OpenID Connect is recommended), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
  query: "'query'",
  outputVariables: "'output-variables'"
}

/** Bad AWS inputs, with settings that can still reach CodePipeline, so that the problems can be reported. */
export class InvalidAwsInputs extends InvalidInputs {
  constructor(
    problems: readonly InputError[],
    /** The settings with defaults in place of the bad values. */
    readonly fallback: AwsSettings
  ) {
    super(problems)
  }
}

/** Reads how to reach CodePipeline; throws InvalidAwsInputs, which still carries usable settings. */
export function readAwsSettings(env: NodeJS.ProcessEnv = process.env): InputRead<AwsSettings> {
  const problems = new Problems()
  const regionInput = optionalInput('aws-region')
  const region = problems.check(() => checkRegion(regionInput)) ?? envRegion(env)
  const maxAttempts =
    problems.check(() =>
      readInteger('max-attempts', {
        min: 1,
        max: 50,
        fallback: DEFAULT_MAX_ATTEMPTS,
        fix: 'Use 1 to turn retries off.'
      })
    ) ?? DEFAULT_MAX_ATTEMPTS
  const timeoutSeconds =
    problems.check(() =>
      readInteger('timeout-seconds', {
        min: 1,
        max: 3600,
        fallback: DEFAULT_TIMEOUT_SECONDS,
        fix: 'It bounds all attempts together.'
      })
    ) ?? DEFAULT_TIMEOUT_SECONDS
  const settings = { region, maxAttempts, timeoutSeconds, names: ACTION_SETTING_NAMES }
  if (problems.found.length > 0) throw new InvalidAwsInputs(problems.found, settings)
  return { settings, warnings: [] }
}

function envRegion(env: NodeJS.ProcessEnv): string | undefined {
  return env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || undefined
}

function checkRegion(region: string | undefined): string | undefined {
  if (region !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(region)) {
    throw new InputError(
      'aws-region',
      `${quote(region)} is not an AWS Region code`,
      "Use the pipeline's Region code, such as us-east-1, or leave it empty to use AWS_REGION."
    )
  }
  return region
}

/** An optional input that must fit the API's length limit; it is not free text, so it is rejected rather than cut. */
export function readLimited(name: string, limit: LengthLimit, fix: string): string | undefined {
  const value = optionalInput(name)
  if (value !== undefined && !isWithin(value, limit)) {
    throw new InputError(name, `it is ${value.length} characters long, over CodePipeline's limit of ${limit.max}`, fix)
  }
  return value
}

export interface IntegerRule<T extends number | undefined> {
  readonly min: number
  readonly max: number
  /** Taken when the input is empty. */
  readonly fallback: T
  /** What to do about a bad value, for the error. */
  readonly fix: string
}

/** A whole number within a range. */
export function readInteger<T extends number | undefined>(
  name: string,
  { min, max, fallback, fix }: IntegerRule<T>
): number | T {
  const text = optionalInput(name)
  if (text === undefined) return fallback
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InputError(name, `${quote(text)} is not a whole number from ${min} to ${max}`, fix)
  }
  return value
}
