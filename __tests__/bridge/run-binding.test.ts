import { describe, expect, it } from 'vitest'
import type { WorkflowRun } from '../../src/bridge/github.js'
import { GITHUB_OIDC_ISSUER, verifyToken, type RunClaims } from '../../src/bridge/oidc.js'
import { bindingProblem, runFacts, type BoundRun, type RunFacts } from '../../src/bridge/run-binding.js'
import { defaultRunClaims, FakeOidcKeys } from '../../local/fake-oidc-issuer.js'

const NOW = Date.parse('2026-11-25T12:00:00Z')
const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'
const AUDIENCE = 'https://abcdefghijklmnop.lambda-url.us-east-1.on.aws'
/** The account the bridge dispatches with: a GitHub App's bot. */
const BRIDGE = 'pipeline-bridge[bot]'
const RUN_ID = 4242424242
const DISPATCHED_AT = NOW - 60_000

/** The claims of a token as the bridge holds them once verified: GitHub's, for the run the bridge started. */
function verifiedClaims(): RunClaims {
  const keys = new FakeOidcKeys(GITHUB_OIDC_ISSUER, () => NOW)
  const token = keys.mint({ ...defaultRunClaims(AUDIENCE), actor: BRIDGE })
  const verdict = verifyToken(
    token,
    new Map([[keys.kid, keys.publicKey()]]),
    { issuer: GITHUB_OIDC_ISSUER, audience: AUDIENCE },
    NOW
  )
  if (!verdict.ok) throw new Error(`The test's token did not verify: ${verdict.reason}`)
  return verdict.claims
}
const CLAIMS = verifiedClaims()

const BOUND: BoundRun = {
  jobId: JOB,
  target: { owner: 'acme', repo: 'app', workflow: 'build.yml' },
  runId: RUN_ID,
  ref: 'main',
  dispatchedAt: DISPATCHED_AT
}

const FACTS: RunFacts = {
  repositoryId: 123456789,
  attempt: 1,
  path: '.github/workflows/build.yml',
  event: 'workflow_dispatch',
  branch: 'main',
  actorId: 583231,
  actorLogin: BRIDGE,
  createdAt: DISPATCHED_AT + 3_000
}

/** What GitHub answers for the run the bridge started. */
const RUN: WorkflowRun = {
  id: RUN_ID,
  status: 'in_progress',
  conclusion: null,
  html_url: `https://github.com/acme/app/actions/runs/${RUN_ID}`,
  display_title: `CodePipeline job ${JOB}`,
  created_at: new Date(DISPATCHED_AT + 3_000).toISOString(),
  run_attempt: 1,
  event: 'workflow_dispatch',
  path: '.github/workflows/build.yml',
  head_branch: 'main',
  repository: { id: 123456789 },
  actor: { id: 583231, login: BRIDGE }
}

/** The problem with a token whose claims differ from the run's by `claims`, for a run that differs by the rest. */
function problem(
  changes: {
    claims?: Partial<RunClaims>
    bound?: Partial<BoundRun>
    facts?: Partial<RunFacts>
    identity?: string | undefined
  } = {}
): string | undefined {
  const identity = 'identity' in changes ? changes.identity : BRIDGE
  return bindingProblem(
    { ...CLAIMS, ...changes.claims },
    { ...BOUND, ...changes.bound },
    { ...FACTS, ...changes.facts },
    identity
  )
}

/** A token's workflow_ref and ref, for a workflow file on a ref. */
const workflowAt = (file: string, ref: string, repository = 'acme/app'): Partial<RunClaims> => ({
  workflow_ref: `${repository}/.github/workflows/${file}@${ref}`,
  ref
})

describe('runFacts', () => {
  it('reads what the binding holds a token against from the run GitHub describes', () => {
    expect(runFacts(RUN)).toStrictEqual(FACTS)
  })

  it('keeps the workflow’s path without the ref GitHub may add to it', () => {
    expect(runFacts({ ...RUN, path: '.github/workflows/build.yml@refs/heads/main' })?.path).toBe(
      '.github/workflows/build.yml'
    )
  })

  it.each([
    ['run_attempt', { run_attempt: undefined }],
    ['event', { event: undefined }],
    ['path', { path: undefined }],
    ['head_branch', { head_branch: undefined }],
    ['repository', { repository: undefined }],
    ['repository.id', { repository: {} }],
    ['actor', { actor: undefined }],
    ['actor.id', { actor: { login: BRIDGE } }],
    ['actor.login', { actor: { id: 583231 } }]
  ])('has no facts for a run without %s', (_field, changes: Partial<WorkflowRun>) => {
    expect(runFacts({ ...RUN, ...changes })).toBeUndefined()
  })

  it.each([
    ['run_attempt as text', { run_attempt: '1' }],
    ['event as a number', { event: 1 }],
    ['path as an array', { path: ['.github/workflows/build.yml'] }],
    ['head_branch as null, as GitHub gives it for some runs', { head_branch: null }],
    ['repository.id as text', { repository: { id: '123456789' } }],
    ['actor as null', { actor: null }],
    ['actor.id as text', { actor: { id: '583231', login: BRIDGE } }],
    ['actor.login as a number', { actor: { id: 583231, login: 583231 } }]
  ])('has no facts for a run with %s', (_field, changes) => {
    expect(runFacts({ ...RUN, ...(changes as Partial<WorkflowRun>) })).toBeUndefined()
  })
})

describe('bindingProblem', () => {
  it('lets the run the bridge started answer for its job', () => {
    expect(problem()).toBeUndefined()
  })

  it('lets it answer when the bridge’s account is unknown, as with a fine-grained token', () => {
    expect(problem({ identity: undefined })).toBeUndefined()
  })

  it('takes names in any case, as GitHub does', () => {
    expect(problem({ bound: { target: { owner: 'ACME', repo: 'App', workflow: 'build.yml' } } })).toBeUndefined()
    expect(problem({ identity: 'Pipeline-Bridge[bot]' })).toBeUndefined()
  })

  it('refuses a token of another repository', () => {
    expect(
      problem({ claims: { repository: 'acme/other', ...workflowAt('build.yml', 'refs/heads/main', 'acme/other') } })
    ).toBe("the token is from acme/other, and the job's run is in acme/app")
  })

  it('refuses a token whose repository_id is not the run’s, as when a repository was deleted and its name taken again', () => {
    expect(problem({ claims: { repository_id: '555' } })).toBe(
      "the token's repository_id 555 is not the job's repository (123456789)"
    )
  })

  it('refuses another run of the same repository', () => {
    expect(problem({ claims: { run_id: '4242424243' } })).toBe(
      `the token is from run 4242424243, and job ${JOB} belongs to run ${RUN_ID}`
    )
  })

  it('refuses another attempt of the run, and says to retry the pipeline stage', () => {
    const said = problem({ claims: { run_attempt: '2' } })
    expect(said).toMatch(
      /^the token is from attempt 2 of run 4242424242, and the bridge takes answers only from attempt 1/
    )
    expect(said).toMatch(/Retry the pipeline stage/)
  })

  it.each(['push', 'schedule', 'repository_dispatch', 'workflow_call'])(
    'refuses a token of a run started by %s',
    (event) => {
      expect(problem({ claims: { event_name: event } })).toBe(
        `the run was started by ${event}, not by the bridge's workflow_dispatch`
      )
    }
  )

  it('refuses a run that GitHub says was not started by a workflow_dispatch', () => {
    expect(problem({ facts: { event: 'push' } })).toMatch(/workflow_dispatch/)
  })

  it('refuses a token for a ref other than the dispatched branch', () => {
    expect(problem({ claims: workflowAt('build.yml', 'refs/heads/feature') })).toBe(
      'the token is for refs/heads/feature, and the bridge dispatched main'
    )
    expect(problem({ claims: workflowAt('build.yml', 'refs/pull/7/merge') })).toMatch(/refs\/pull\/7\/merge/)
  })

  it('takes a branch or a tag of the dispatched name, and only that one when the ref is in full', () => {
    expect(problem({ claims: workflowAt('build.yml', 'refs/tags/main') })).toBeUndefined()
    expect(problem({ bound: { ref: 'v1.2.0' }, claims: workflowAt('build.yml', 'refs/tags/v1.2.0') })).toBeUndefined()
    expect(problem({ bound: { ref: 'refs/heads/main' } })).toBeUndefined()
    expect(problem({ bound: { ref: 'refs/heads/main' }, claims: workflowAt('build.yml', 'refs/tags/main') })).toBe(
      'the token is for refs/tags/main, and the bridge dispatched refs/heads/main'
    )
  })

  it('refuses a token of another workflow file', () => {
    expect(problem({ claims: workflowAt('deploy.yml', 'refs/heads/main') })).toBe(
      "the token's workflow_ref acme/app/.github/workflows/deploy.yml@refs/heads/main is not the workflow the bridge dispatched (.github/workflows/build.yml at main)"
    )
  })

  it('refuses a token of the run GitHub says ran another workflow file than the one dispatched', () => {
    expect(
      problem({ claims: workflowAt('deploy.yml', 'refs/heads/main'), facts: { path: '.github/workflows/deploy.yml' } })
    ).toMatch(
      /^the token's workflow_ref .*deploy\.yml.* is not the workflow the bridge dispatched \(\.github\/workflows\/build\.yml at main\)$/
    )
  })

  it('holds the token against the run’s own path when the workflow is named by its numeric ID', () => {
    const byId = { bound: { target: { owner: 'acme', repo: 'app', workflow: '161335' } } }
    const deploy = { path: '.github/workflows/deploy.yml' }
    expect(problem({ ...byId, facts: deploy, claims: workflowAt('deploy.yml', 'refs/heads/main') })).toBeUndefined()
    expect(problem({ ...byId, facts: deploy })).toBe(
      "the token's workflow_ref acme/app/.github/workflows/build.yml@refs/heads/main is not the workflow the bridge dispatched (.github/workflows/deploy.yml at main)"
    )
  })

  it('takes the token of a job in a reusable workflow, whose workflow_ref is the caller’s', () => {
    expect(
      problem({ claims: { job_workflow_ref: 'acme/shared/.github/workflows/reusable.yml@refs/heads/main' } })
    ).toBeUndefined()
    expect(
      problem({ claims: { job_workflow_ref: 'acme/app/.github/workflows/steps.yml@refs/tags/v3' } })
    ).toBeUndefined()
  })

  it('refuses a token whose actor_id is not the account that started the run', () => {
    expect(problem({ claims: { actor_id: '1' } })).toBe(
      "the token's actor_id 1 is not the account that started the run (583231)"
    )
  })

  it('refuses a run that someone other than the bridge started', () => {
    expect(problem({ facts: { actorLogin: 'octocat' } })).toBe(
      'the run was started by octocat, not by the bridge (pipeline-bridge[bot])'
    )
    expect(problem({ facts: { actorLogin: 'octocat' }, identity: 'release-bot' })).toMatch(/release-bot/)
  })

  describe('for a run found by the job ID in its name', () => {
    it('lets the one run carrying it answer', () => {
      expect(problem({ bound: { foundByName: 1 } })).toBeUndefined()
      expect(problem({ bound: { foundByName: 1, ref: 'refs/heads/main' } })).toBeUndefined()
    })

    it('lets none answer when two runs carry it', () => {
      expect(problem({ bound: { foundByName: 2 } })).toBe(
        '2 runs carry the job ID in their name, so none of them can answer for it'
      )
    })

    it('refuses a run created well before the dispatch', () => {
      expect(problem({ bound: { foundByName: 1 }, facts: { createdAt: DISPATCHED_AT - 10 * 60_000 } })).toBe(
        'the run carrying the job ID in its name was not created by the bridge’s dispatch'
      )
    })

    it('allows for clocks that disagree by a minute', () => {
      expect(problem({ bound: { foundByName: 1 }, facts: { createdAt: DISPATCHED_AT - 60_000 } })).toBeUndefined()
    })

    it('refuses a run on another branch', () => {
      expect(problem({ bound: { foundByName: 1 }, facts: { branch: 'feature' } })).toBe(
        'the run carrying the job ID in its name was not created by the bridge’s dispatch'
      )
    })
  })

  it('does not hold a run found by its ID to its creation time or its branch', () => {
    expect(problem({ facts: { createdAt: DISPATCHED_AT - 10 * 60_000, branch: 'feature' } })).toBeUndefined()
  })
})
