import { describe, expect, it, vi } from 'vitest'
import * as core from '../../__fixtures__/core.js'
import { InvalidInputs } from '../../src/portable/errors.js'
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_TIMEOUT_SECONDS,
  InvalidAwsInputs,
  ACTION_SETTING_NAMES,
  readAwsSettings,
  readJobId
} from '../../src/runner/inputs.js'
import { readReportSettings } from '../../src/report/inputs.js'

vi.mock('@actions/core', () => core)

const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'

function catchError(read: () => unknown): unknown {
  try {
    read()
  } catch (error) {
    return error
  }
  return undefined
}

function problemsOf(read: () => unknown): string[] {
  try {
    read()
  } catch (error) {
    if (error instanceof InvalidInputs) return error.problems.map((problem) => problem.input)
    throw error
  }
  return []
}

describe('readJobId', () => {
  it('trims and accepts a lowercase UUID', () => {
    core.givenInputs({ 'job-id': ` ${JOB}\n` })
    expect(readJobId()).toBe(JOB)
  })

  it.each(['', 'abc', JOB.toUpperCase(), `${JOB}0`])('rejects %j', (value) => {
    core.givenInputs({ 'job-id': value })
    expect(() => readJobId()).toThrow(/Invalid input 'job-id'/)
  })
})

describe('readAwsSettings', () => {
  it('uses the defaults and the environment Region', () => {
    expect(readAwsSettings({ AWS_REGION: 'eu-west-1' })).toEqual({
      settings: {
        region: 'eu-west-1',
        maxAttempts: DEFAULT_MAX_ATTEMPTS,
        timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
        names: ACTION_SETTING_NAMES
      },
      warnings: []
    })
    expect(readAwsSettings({ AWS_DEFAULT_REGION: 'eu-north-1' }).settings.region).toBe('eu-north-1')
    expect(readAwsSettings({}).settings.region).toBeUndefined()
  })

  it('prefers the input, and reads the retry bounds', () => {
    core.givenInputs({ 'aws-region': 'ap-south-1', 'max-attempts': '3', 'timeout-seconds': '30' })
    expect(readAwsSettings({ AWS_REGION: 'eu-west-1' }).settings).toEqual({
      region: 'ap-south-1',
      maxAttempts: 3,
      timeoutSeconds: 30,
      names: ACTION_SETTING_NAMES
    })
  })

  it('falls back to the defaults for bad values, and says what was wrong', () => {
    core.givenInputs({ 'aws-region': 'Not A Region', 'max-attempts': '99', 'timeout-seconds': '-1' })
    const error = catchError(() => readAwsSettings({ AWS_REGION: 'eu-west-1' }))
    expect(error).toBeInstanceOf(InvalidAwsInputs)
    const { fallback, problems } = error as InvalidAwsInputs
    expect(fallback).toEqual({
      region: 'eu-west-1',
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
      names: ACTION_SETTING_NAMES
    })
    expect(problems.map((problem) => problem.input)).toEqual(['aws-region', 'max-attempts', 'timeout-seconds'])
  })
})

describe('readReportSettings', () => {
  it('reads a plain success report', () => {
    expect(readReportSettings(JOB)).toEqual({
      settings: {
        jobId: JOB,
        status: 'success',
        continuationToken: undefined,
        percentComplete: undefined,
        summary: undefined,
        externalExecutionId: undefined,
        revision: {},
        failureType: 'JobFailed',
        failureMessage: undefined,
        githubToken: undefined,
        nonce: undefined
      },
      warnings: []
    })
  })

  it('masks the GitHub token as it reads it', () => {
    core.givenInputs({ 'github-token': 'ghs_abc' })
    readReportSettings(JOB)
    expect(core.setSecret).toHaveBeenCalledWith('ghs_abc')
  })

  it('reads every field', () => {
    core.givenInputs({
      status: 'Cancelled',
      'output-variables': 'A=1',
      'percent-complete': '0',
      summary: 'done',
      'external-execution-id': 'x',
      revision: 'r',
      'change-identifier': 'c',
      'revision-created': '2026-11-26T09:30:00Z',
      'revision-summary': 'rs',
      'failure-type': 'permissionerror',
      'failure-message': 'why'
    })
    expect(readReportSettings(JOB).settings).toMatchObject({
      status: 'cancelled',
      outputVariables: { A: '1' },
      percentComplete: 0,
      summary: 'done',
      externalExecutionId: 'x',
      revision: { revision: 'r', changeIdentifier: 'c', created: new Date('2026-11-26T09:30:00Z'), summary: 'rs' },
      failureType: 'PermissionError',
      failureMessage: 'why'
    })
  })

  it('cuts free text and rejects everything else that is too long', () => {
    core.givenInputs({
      summary: 'x'.repeat(5000),
      'revision-summary': 'y'.repeat(5000),
      'failure-message': 'z'.repeat(9000)
    })
    const { settings } = readReportSettings(JOB)
    expect(settings.summary).toHaveLength(2048)
    expect(settings.revision.summary).toHaveLength(2048)
    expect(settings.failureMessage).toHaveLength(5000)
  })

  it('collects every problem at once', () => {
    core.givenInputs({
      'percent-complete': '1e2',
      'revision-created': 'tomorrow',
      'change-identifier': 'c'.repeat(101),
      status: 'done'
    })
    expect(problemsOf(() => readReportSettings(JOB))).toEqual([
      'status',
      'percent-complete',
      'change-identifier',
      'revision-created'
    ])
  })

  it('wants an ISO 8601 date for revision-created', () => {
    core.givenInputs({ 'revision-created': '26/11/2026' })
    expect(problemsOf(() => readReportSettings(JOB))).toEqual(['revision-created'])
  })

  it.each([
    ['2026-02-30T10:00:00Z', /"2026-02-30T10:00:00Z" is not a real calendar date: 2026-02 has no day 30/],
    ['2026-11-26', /has no time of day/],
    ['2026-11-26T09:30:00', /has no time zone, so it would be read in the runner's zone/],
    ['2026-11-26T09:30:00Z and more', /has text after the date, time and zone: " and more"/],
    ['2026-11-26T09:30:00+0100', /where the time zone should be \(Z or ±HH:MM\)/],
    ['2026-11-26T24:30:00Z', /is not a real time of day/]
  ])('refuses %j as revision-created, saying why and what to use', (text, rule) => {
    core.givenInputs({ 'revision-created': text })
    expect(() => readReportSettings(JOB)).toThrow(rule)
    expect(() => readReportSettings(JOB)).toThrow(/Use a date and time with its zone, such as 2026-11-26T09:30:00Z/)
  })

  it.each([
    ['2028-02-29T10:00:00Z', '2028-02-29T10:00:00.000Z'],
    ['2026-11-26T10:30+01:00', '2026-11-26T09:30:00.000Z'],
    ['2026-11-26T09:30:00.123456-02:30', '2026-11-26T12:00:00.123Z']
  ])('takes %j as revision-created', (text, iso) => {
    core.givenInputs({ 'revision-created': text })
    expect(readReportSettings(JOB).settings.revision.created?.toISOString()).toBe(iso)
  })

  it('rejects variables with a continuation token only when reporting success', () => {
    core.givenInputs({ 'output-variables': 'A=1', 'continuation-token': 't' })
    expect(problemsOf(() => readReportSettings(JOB))).toEqual(['output-variables'])
    core.givenInputs({ 'output-variables': 'A=1', 'continuation-token': 't', status: 'failure' })
    expect(problemsOf(() => readReportSettings(JOB))).toEqual([])
  })
})
