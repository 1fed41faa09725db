import { describe, expect, it } from 'vitest'
import { AllowedRepos, readTarget, runsPage } from '../../src/bridge/target.js'

const allowed = AllowedRepos.parse('acme/app, Acme/Web\nplatform/*')

describe('AllowedRepos', () => {
  it('takes owner/repo and owner/* entries, separated by commas or spaces, ignoring case', () => {
    expect(allowed.allows('acme', 'app')).toBe(true)
    expect(allowed.allows('ACME', 'web')).toBe(true)
    expect(allowed.allows('platform', 'anything')).toBe(true)
    expect(allowed.allows('acme', 'other')).toBe(false)
    expect(allowed.allows('platformer', 'x')).toBe(false)
    expect(allowed.toString()).toBe('acme/app, acme/web, platform/*')
  })

  it('refuses entries that are not owner/repo or owner/*, naming each', () => {
    expect(() => AllowedRepos.parse('acme/app, */*, acme, a/b/c')).toThrow(
      'AllowedRepos has entries that are not owner/repo or owner/*: "*/*", "acme", "a/b/c"'
    )
    expect(() => AllowedRepos.parse(' , ')).toThrow('AllowedRepos is empty')
  })
})

describe('readTarget', () => {
  it('reads Owner, Repo, Workflow and an optional Branch', () => {
    expect(readTarget({ Owner: 'acme', Repo: 'app', Workflow: 'build.yml' }, allowed)).toEqual({
      target: { owner: 'acme', repo: 'app', workflow: 'build.yml' }
    })
    expect(readTarget({ Owner: 'acme', Repo: 'app', Workflow: '1234', Branch: 'release/2.x' }, allowed)).toEqual({
      target: { owner: 'acme', repo: 'app', workflow: '1234', branch: 'release/2.x' }
    })
  })

  it('names every problem at once', () => {
    const reading = readTarget({ Owner: 'acme_', Workflow: 'build.sh', Branch: '-x y' }, allowed)
    expect(reading).toEqual({
      problems: [
        'Owner "acme_" is not a GitHub user or organization name',
        'Repo is required: a repository name, such as app',
        'Workflow "build.sh" is not the file name of a workflow in .github/workflows, such as build.yml, or its numeric ID',
        'Branch "-x y" is not a branch or tag name, such as main'
      ]
    })
  })

  it.each(['../secrets.yml', 'a/b.yml', '.yml', 'build.yml?x=1', 'build.yml#', '%2e%2e.yml'])(
    'never lets the workflow %s reach the URL',
    (workflow) => {
      expect(readTarget({ Owner: 'acme', Repo: 'app', Workflow: workflow }, allowed)).toHaveProperty('problems')
    }
  )

  it.each(['..', '.', 'a b', 'x'.repeat(101)])('refuses the repository name %j', (repo) => {
    expect(readTarget({ Owner: 'acme', Repo: repo, Workflow: 'build.yml' }, allowed)).toHaveProperty('problems')
  })

  it.each(['main..x', 'a//b', 'x.lock', '/main', 'main/', 'a~b', 'a^b', 'a:b', '@{x}', 'a\\b'])(
    'refuses the branch %j, which git would not take',
    (branch) => {
      expect(readTarget({ Owner: 'acme', Repo: 'app', Workflow: 'build.yml', Branch: branch }, allowed)).toHaveProperty(
        'problems'
      )
    }
  )

  it('refuses a repository outside the allow-list, and says where to add it', () => {
    expect(readTarget({ Owner: 'evil', Repo: 'app', Workflow: 'build.yml' }, allowed)).toEqual({
      problems: [
        "evil/app is not in the bridge's AllowedRepos (acme/app, acme/web, platform/*): add it to the stack's AllowedRepos parameter, or correct Owner and Repo"
      ]
    })
  })
})

describe('runsPage', () => {
  const target = { owner: 'acme', repo: 'app', workflow: 'build.yml' }
  it("is the workflow's runs on GitHub's website, filtered to dispatched runs on the branch", () => {
    expect(runsPage('https://api.github.com', target, 'release/2.x')).toBe(
      'https://github.com/acme/app/actions/workflows/build.yml?query=event%3Aworkflow_dispatch%20branch%3Arelease%2F2.x'
    )
    expect(runsPage('https://api.github.com', target)).toBe(
      'https://github.com/acme/app/actions/workflows/build.yml?query=event%3Aworkflow_dispatch'
    )
  })

  it('on GitHub Enterprise Server and GHE.com too', () => {
    expect(runsPage('https://ghes.example/api/v3', target, 'main')).toMatch(
      /^https:\/\/ghes\.example\/acme\/app\/actions\/workflows\/build\.yml\?query=/
    )
    expect(runsPage('https://api.octo.ghe.com', target, 'main')).toMatch(/^https:\/\/octo\.ghe\.com\/acme\/app\//)
  })
})
