import { describe, expect, it } from 'vitest'
import { readTrigger } from '../../src/bridge/trigger.js'
import { Logger } from '../../src/bridge/json-log.js'
import { ENVIRONMENT, readSettings } from '../../src/bridge/settings.js'

const NOW = Date.parse('2026-11-25T12:00:00Z')

describe('Logger', () => {
  it('writes one JSON line per entry, with its fields, from the level up', () => {
    const lines: string[] = []
    const log = Logger.create('info', { now: () => NOW }, (line) => lines.push(line)).with({ requestId: 'r1' })
    log.debug('hidden')
    log.info('Started the workflow run', { jobId: 'j', error: new Error('boom') })
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2026-11-25T12:00:00.000Z',
      level: 'info',
      message: 'Started the workflow run',
      requestId: 'r1',
      jobId: 'j',
      error: { name: 'Error', message: 'boom' }
    })
  })

  it('masks registered secrets in every logger that shares them, as they are and JSON-escaped', () => {
    const lines: string[] = []
    const root = Logger.create('debug', { now: () => NOW }, (line) => lines.push(line))
    const child = root.with({ requestId: 'r' })
    root.secret('line one of a key\nline two of a key')
    root.secret('short')
    child.info('a "line one of a key\nline two of a key" short', { value: 'line two of a key' })
    expect(lines[0]).not.toContain('of a key')
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'a "***" short', value: '***' })
  })
})

const TYPE = { owner: 'Custom' as const, category: 'Build' as const, provider: 'GitHubWorkflow', version: '1' }
const event = (detail: Record<string, unknown>) => ({
  source: 'aws.codepipeline',
  'detail-type': 'CodePipeline Action Execution State Change',
  detail: {
    pipeline: 'p',
    'execution-id': 'e',
    stage: 's',
    action: 'a',
    'action-execution-id': 'x',
    state: 'STARTED',
    type: { owner: 'Custom', category: 'Build', provider: 'GitHubWorkflow', version: '1' },
    ...detail
  }
})

describe('readTrigger', () => {
  it("reads the sweep's event and action state changes", () => {
    expect(readTrigger({ bridge: 'sweep' }, TYPE)).toEqual({ kind: 'sweep' })
    expect(readTrigger(event({ state: 'ABANDONED' }), TYPE)).toEqual({
      kind: 'action',
      state: 'ABANDONED',
      actionExecutionId: 'x',
      place: { pipeline: 'p', executionId: 'e', stage: 's', action: 'a' }
    })
  })

  it('matches the version as text or number, and ignores other types and shapes', () => {
    expect(readTrigger(event({ type: { ...TYPE, version: 1 } }), TYPE).kind).toBe('action')
    expect(readTrigger(event({ type: { ...TYPE, provider: 'Other' } }), TYPE)).toMatchObject({ kind: 'ignored' })
    expect(readTrigger(event({ state: 'RESUMED' }), TYPE)).toMatchObject({ kind: 'ignored' })
    expect(readTrigger(null, TYPE)).toMatchObject({ kind: 'ignored' })
    expect(readTrigger({ source: 'aws.s3' }, TYPE)).toMatchObject({ kind: 'ignored' })
  })
})

describe('readSettings', () => {
  const env = {
    [ENVIRONMENT.category]: 'Build',
    [ENVIRONMENT.provider]: 'GitHubWorkflow',
    [ENVIRONMENT.version]: '1',
    [ENVIRONMENT.allowedRepos]: 'acme/app',
    [ENVIRONMENT.githubApiUrl]: 'https://ghe.example.com/api/v3/',
    [ENVIRONMENT.githubSecretId]: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:x',
    [ENVIRONMENT.queueTimeoutMinutes]: '30',
    [ENVIRONMENT.retryMinutes]: '15',
    [ENVIRONMENT.tableName]: 'table',
    [ENVIRONMENT.scheduleName]: 'sweep'
  }

  it('reads what the template sets', () => {
    expect(readSettings(env)).toMatchObject({
      actionType: TYPE,
      githubApiUrl: 'https://ghe.example.com/api/v3',
      queueTimeoutMs: 30 * 60_000,
      retryWindowMs: 15 * 60_000,
      sweep: { scheduleName: 'sweep', groupName: 'default' }
    })
  })

  it('names every variable that is missing or wrong', () => {
    expect(() =>
      readSettings({
        ...env,
        ACTION_CATEGORY: 'Pipeline',
        ALLOWED_REPOS: '',
        TABLE_NAME: '',
        QUEUE_TIMEOUT_MINUTES: 'x'
      })
    ).toThrow(
      "The bridge's settings are wrong; fix the stack's parameters: ACTION_CATEGORY must be one of Source, Build, Deploy, Test, Invoke, Approval, Compute; AllowedRepos is empty: list the repositories as owner/repo or owner/*; QUEUE_TIMEOUT_MINUTES must be a number of minutes above 0 and at most 1440; TABLE_NAME is not set"
    )
  })
})
