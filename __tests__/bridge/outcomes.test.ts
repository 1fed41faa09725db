import { describe, expect, it } from 'vitest'
import { GitHubError } from '../../src/bridge/github-request.js'
import {
  configurationOutcome,
  noRunOutcome,
  refusedOutcome,
  runEndedOutcome,
  runUnreadableOutcome,
  runUnwatchedOutcome,
  unavailableOutcome,
  unnamedRunWarning,
  withWarning
} from '../../src/bridge/outcomes.js'
import { namesJob } from '../../src/bridge/record.js'

const target = { owner: 'acme', repo: 'app', workflow: 'build.yml' }
const SECRET = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:github-AbCdEf'
const dispatch = 'POST /repos/acme/app/actions/workflows/build.yml/dispatches'
const refused = (status: number, message: string, request = dispatch) =>
  refusedOutcome(
    new GitHubError(status === 401 ? 'unauthorized' : 'refused', request, message, status),
    target,
    'main',
    SECRET
  )

describe('what each refusal tells the pipeline', () => {
  it('404: the workflow is not on the default branch, or the credentials cannot see the repository', () => {
    expect(refused(404, 'Not Found')).toEqual({
      type: 'ConfigurationError',
      message:
        'GitHub cannot find workflow build.yml in acme/app on main (GitHub answered 404 "Not Found" to POST /repos/acme/app/actions/workflows/build.yml/dispatches): either the workflow file is not on the repository\'s default branch, or the bridge\'s credentials cannot see acme/app. Check Workflow (the file name in .github/workflows, such as build.yml), Owner and Repo, and that the GitHub App is installed on the repository or the token can reach it.'
    })
  })

  it('422: quotes GitHub and says what to change', () => {
    expect(refused(422, 'Unexpected inputs provided: ["job-id"]').message).toMatch(
      /GitHub refused to start workflow build\.yml in acme\/app on main \(GitHub answered 422 "Unexpected inputs provided: \[\\"job-id\\"\]".*add 'job-id' \(required: true\)/
    )
    expect(refused(422, 'Unexpected stuff').message).toMatch(/Check that build\.yml has a workflow_dispatch trigger/)
  })

  it('401 and 403 are permission errors, naming the secret or the permission', () => {
    expect(refused(401, 'Bad credentials')).toMatchObject({
      type: 'PermissionError',
      message: expect.stringContaining(`in secret ${SECRET}`) as unknown
    })
    expect(refused(403, 'Resource not accessible by integration')).toMatchObject({
      type: 'PermissionError',
      message: expect.stringContaining('Actions: read and write on acme/app') as unknown
    })
    expect(
      refused(
        422,
        'The permissions requested are not granted to this installation.',
        'POST /app/installations/7/access_tokens'
      ).type
    ).toBe('PermissionError')
  })

  it('a missing App installation is a configuration error', () => {
    expect(refused(404, 'Not Found', 'GET /repos/acme/app/installation').message).toMatch(
      /^The bridge's GitHub App is not installed on acme\/app/
    )
  })
})

describe('messages', () => {
  it('stay within CodePipeline 5000 characters', () => {
    const outcome = configurationOutcome(Array.from({ length: 200 }, () => 'x'.repeat(60)))
    expect(outcome.message).toHaveLength(5000)
    expect(outcome.message.endsWith('…')).toBe(true)
  })

  it('name the conclusion of a run that ended without reporting, and link it', () => {
    const run = { id: 7, status: 'completed', created_at: '', html_url: 'https://github.com/acme/app/actions/runs/7' }
    expect(runEndedOutcome({ ...run, conclusion: 'neutral' }, 'job').message).toBe(
      'The workflow run https://github.com/acme/app/actions/runs/7 ended neutral before it reported to CodePipeline (conclusion: neutral).'
    )
    expect(runEndedOutcome({ ...run, conclusion: 'brand_new' }, 'job').message).toContain(
      'ended with conclusion brand_new'
    )
  })

  it('say how long GitHub was tried, and what it last said', () => {
    expect(unavailableOutcome(target, 'GET /repos/acme/app: 503 "Unavailable"', 15 * 60_000)).toEqual({
      type: 'SystemUnavailable',
      message:
        'GitHub did not start workflow build.yml in acme/app within 15 minutes of trying (last: GET /repos/acme/app: 503 "Unavailable"). Retry the stage once GitHub is reachable again; https://www.githubstatus.com shows GitHub\'s own incidents.'
    })
  })
})

describe('a run that cannot be identified', () => {
  const page = 'https://github.com/acme/app/actions/workflows/build.yml?query=event%3Aworkflow_dispatch%20branch%3Amain'
  it('fails the job, saying a run may still have started, where to look, and how to fix the workflow', () => {
    for (const accepted of [true, false]) {
      const told = noRunOutcome(target, 'job-1', 5 * 60_000, page, accepted)
      expect(told.type).toBe('SystemUnavailable')
      expect(told.message).toContain(accepted ? 'GitHub accepted the request' : 'GitHub gave no answer to the request')
      expect(told.message).toContain(`A run may still have started (see ${page})`)
      expect(told.message).toContain('none is started again')
      expect(told.message).toContain("run-name: 'CodePipeline ${{ inputs.job-id }}'")
      expect(told.message).toContain('examples/workflows/dispatch-build-and-report.yml')
    }
  })

  it('is warned about at the first look at a run whose name lacks the job ID', () => {
    const run = { id: 5, html_url: 'https://github.com/acme/app/actions/runs/5', display_title: 'build' }
    expect(namesJob(run, 'job-1')).toBe(false)
    expect(namesJob({ display_title: 'CodePipeline job-1' }, 'job-1')).toBe(true)
    expect(namesJob({}, 'job-1')).toBe(false)
    const warning = unnamedRunWarning({ ...run, status: 'queued', conclusion: null, created_at: '' })
    expect(warning).toMatch(/runs\/5 is named "build", without the job ID/)
    expect(warning).toContain("run-name: 'CodePipeline ${{ inputs.job-id }}'")
    // A name of any length from GitHub is quoted short.
    const long = unnamedRunWarning({
      ...run,
      display_title: 'x'.repeat(1_000_000),
      status: 'queued',
      conclusion: null,
      created_at: ''
    })
    expect(long.length).toBeLessThan(1_000)
  })

  it('carries the warning into the failure message, whole, within the 5,000 characters', () => {
    const warning = 'Name the run after the job.'
    const ended = runEndedOutcome(
      { id: 5, status: 'completed', conclusion: 'failure', html_url: 'u', created_at: '' },
      'j'
    )
    expect(withWarning(ended, undefined)).toEqual(ended)
    expect(withWarning(ended, warning)).toEqual({ type: 'JobFailed', message: `${ended.message} ${warning}` })
    const long = withWarning({ type: 'JobFailed', message: 'x'.repeat(5_000) }, warning)
    expect(long.message).toHaveLength(5_000)
    expect(long.message.endsWith(` ${warning}`)).toBe(true)
  })
})

describe('a run the bridge cannot read', () => {
  it('names the permission when reading is refused', () => {
    const error = new GitHubError(
      'refused',
      'GET /repos/acme/app/actions/runs/5',
      'Resource not accessible by integration',
      403
    )
    const told = runUnreadableOutcome(error, target, 'https://github.com/acme/app/actions/runs/5')
    expect(told.type).toBe('PermissionError')
    expect(told.message).toContain('403 "Resource not accessible by integration"')
    expect(told.message).toContain('the repository permission Actions: read')
  })

  it('says how long it tried when GitHub stayed unavailable', () => {
    const told = runUnwatchedOutcome(
      'https://github.com/acme/app/actions/runs/5',
      22 * 3600_000,
      'GET x: 503 Unavailable'
    )
    expect(told).toMatchObject({
      type: 'SystemUnavailable',
      message: expect.stringContaining('for 22 hours') as unknown
    })
    expect(told.message).toContain('503 Unavailable')
  })
})
