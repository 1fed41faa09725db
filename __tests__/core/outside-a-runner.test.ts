import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const CORE = fileURLToPath(new URL('../../src/core/', import.meta.url))

/** The packages a module loads, following its imports within the project. */
function packagesOf(file: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>()
  if (seen.has(file)) return packages
  seen.add(file)
  const source = readFileSync(file, 'utf8')
  for (const match of source.matchAll(/from '([^']+)'|import\('([^']+)'\)/g)) {
    const specifier = match[1] ?? match[2] ?? ''
    if (!specifier.startsWith('.')) {
      packages.add(specifier)
      continue
    }
    const imported = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))
    for (const name of packagesOf(imported, seen)) packages.add(name)
  }
  return packages
}

describe('the core the bridge shares', () => {
  it.each(['codepipeline.ts', 'aws-errors.ts', 'limits.ts', 'errors.ts'])(
    '%s loads nothing that needs a runner',
    (file) => {
      const packages = [...packagesOf(resolve(CORE, file))]
      expect(packages.filter((name) => name.startsWith('@actions/'))).toEqual([])
    }
  )

  it('sees the runner packages a module does load', () => {
    expect([...packagesOf(resolve(CORE, 'inputs.ts'))]).toContain('@actions/core')
  })
})
