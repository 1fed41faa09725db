import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

// scripts/release.mjs, run in a scratch clone whose origin is a scratch bare repository.
const release = fileURLToPath(new URL('../../scripts/release.mjs', import.meta.url))
let scratch: string
let work: string
let env: NodeJS.ProcessEnv

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: work, env, encoding: 'utf8' }).trim()
}

/** Commits a release commit for `version`, and pushes it to origin's main unless told not to. */
function prepare(version: string, { push = true, changelog = `## ${version}\n\n- Changes.\n` } = {}): string {
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'scratch', version }))
  writeFileSync(join(work, 'CHANGELOG.md'), `# Changelog\n\n${changelog}`)
  git('add', '.')
  git('commit', '--quiet', '--message', `Release ${version}`)
  if (push) git('push', '--quiet', 'origin', 'main')
  return git('rev-parse', 'HEAD')
}

function run(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [release, ...args], { cwd: work, env, encoding: 'utf8' })
  return { status: result.status, output: result.stdout + result.stderr }
}

/** What origin's tags point at, peeled to commits. */
function originTags(): Record<string, string> {
  const lines = git('ls-remote', '--tags', 'origin').split('\n').filter(Boolean)
  return Object.fromEntries(
    lines
      .map((line) => line.split('\t'))
      .filter(([, ref]) => ref?.endsWith('^{}'))
      .map(([sha, ref]) => [ref!.replace(/^refs\/tags\//, '').replace(/\^\{\}$/, ''), sha!])
  )
}

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'release-'))
  work = join(scratch, 'work')
  const globalConfig = join(scratch, 'gitconfig')
  writeFileSync(globalConfig, '')
  env = {
    ...process.env,
    GIT_CONFIG_GLOBAL: globalConfig,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Release Manager',
    GIT_AUTHOR_EMAIL: 'releases@example.com',
    GIT_COMMITTER_NAME: 'Release Manager',
    GIT_COMMITTER_EMAIL: 'releases@example.com'
  }
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', join(scratch, 'origin.git')], { env })
  execFileSync('git', ['clone', '--quiet', join(scratch, 'origin.git'), work], { env, stdio: 'ignore' })
  git('checkout', '--quiet', '-B', 'main')
})
afterEach(() => rmSync(scratch, { recursive: true, force: true }))

describe('the release script', () => {
  it('tags the release on origin and points the major tag at it', () => {
    const commit = prepare('1.0.0')
    const { status, output } = run('1.0.0')
    expect(status, output).toBe(0)
    expect(originTags()).toEqual({ 'v1.0.0': commit, v1: commit })
    expect(output).toContain('- Changes.')
  })

  it('moves the major tag to the next release and leaves the earlier one where it was', () => {
    const first = prepare('1.0.0')
    expect(run('1.0.0').status).toBe(0)
    const second = prepare('1.1.0')
    const { status, output } = run('v1.1.0')
    expect(status, output).toBe(0)
    expect(originTags()).toEqual({ 'v1.0.0': first, 'v1.1.0': second, v1: second })
  })

  it('starts a new major tag for a new major version', () => {
    const first = prepare('1.4.2')
    expect(run('1.4.2').status).toBe(0)
    const second = prepare('2.0.0')
    expect(run('2.0.0').status).toBe(0)
    expect(originTags()).toEqual({ 'v1.4.2': first, v1: first, 'v2.0.0': second, v2: second })
  })

  it('only says what it would do in a dry run', () => {
    prepare('1.0.0')
    const { status, output } = run('1.0.0', '--dry-run')
    expect(status).toBe(0)
    expect(output).toContain('git push --atomic origin refs/tags/v1.0.0 +refs/tags/v1')
    expect(originTags()).toEqual({})
    expect(git('tag', '--list')).toBe('')
  })

  it.each([
    ['a version that is not X.Y.Z', () => prepare('1.0.0'), ['1.0'], /as X\.Y\.Z/],
    ['a version package.json does not carry', () => prepare('1.0.0'), ['1.0.1'], /package\.json says 1\.0\.0/],
    [
      'a version the changelog has not released',
      () => prepare('1.0.0', { changelog: '## 1.0.0 (unreleased)\n' }),
      ['1.0.0'],
      /CHANGELOG\.md has no released section for 1\.0\.0/
    ],
    [
      'a commit that is not on origin',
      () => prepare('1.0.0', { push: false }),
      ['1.0.0'],
      /not the tip of origin\/main/
    ],
    [
      'uncommitted changes',
      () => {
        prepare('1.0.0')
        writeFileSync(join(work, 'CHANGELOG.md'), 'edited')
      },
      ['1.0.0'],
      /commit or stash/
    ]
  ])('refuses %s, and tags nothing', (_, arrange, args, message) => {
    arrange()
    const { status, output } = run(...args)
    expect(status).toBe(1)
    expect(output).toMatch(message)
    expect(originTags()).toEqual({})
    expect(git('tag', '--list')).toBe('')
  })

  it('refuses a version that is not newer than the last release of its major', () => {
    prepare('1.2.0')
    expect(run('1.2.0').status).toBe(0)
    const { status, output } = run('1.2.0')
    expect(status).toBe(1)
    expect(output).toMatch(/v1\.2\.0 exists already/)
    prepare('1.1.9')
    expect(run('1.1.9').output).toMatch(/v1\.1\.9 is not newer than v1\.2\.0/)
  })

  it('puts the local tags back when origin refuses the push, so that the release can run again', () => {
    const first = prepare('1.0.0')
    expect(run('1.0.0').status).toBe(0)
    prepare('1.1.0')
    const hook = join(scratch, 'origin.git', 'hooks', 'pre-receive')
    writeFileSync(hook, '#!/bin/sh\necho "tags are frozen today" >&2\nexit 1\n')
    chmodSync(hook, 0o755)
    const { status, output } = run('1.1.0')
    expect(status).toBe(1)
    expect(output).toMatch(/tags are frozen today/)
    expect(originTags()).toEqual({ 'v1.0.0': first, v1: first })
    expect(git('tag', '--list')).toBe('v1\nv1.0.0')
    expect(git('rev-parse', 'v1^{commit}')).toBe(first)
    rmSync(hook)
    expect(run('1.1.0').status).toBe(0)
  })

  it('refuses to release from another branch', () => {
    prepare('1.0.0')
    git('checkout', '--quiet', '-b', 'feature')
    expect(run('1.0.0').output).toMatch(/release from main; this checkout is on feature/)
  })
})
