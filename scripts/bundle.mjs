// Rebuilds dist/: one bundle per action, and the licenses of what they contain.
// `--quiet` keeps ncc's size report out of the test output.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { minify } from 'terser'

const quiet = process.argv.includes('--quiet') ? ['-q'] : []
const entries = [
  ['src/report/index.ts', 'dist'],
  ['src/job/index.ts', 'dist/job']
]
// The module mappings follow the installed packages, so a dependency update cannot silently undo them.
execFileSync('node', ['scripts/module-paths.mjs'], { stdio: quiet.length > 0 ? 'ignore' : 'inherit' })
rmSync('dist', { recursive: true, force: true })
for (const [entry, out] of entries) {
  execFileSync('npx', ['--no-install', 'ncc', 'build', entry, '-o', out, '--minify', ...quiet], { stdio: 'inherit' })
}
// ncc minifies each entry but not the chunks it splits off for `await import()`.
for (const [, out] of entries) {
  for (const chunk of readdirSync(out).filter((name) => /^\d+\.index\.js$/.test(name))) {
    const path = join(out, chunk)
    const { code } = await minify(readFileSync(path, 'utf8'), { module: true, compress: true, mangle: true })
    writeFileSync(path, code)
  }
}
execFileSync('node', ['scripts/licenses.mjs'], { stdio: quiet.length > 0 ? 'ignore' : 'inherit' })
// The bridge: a Lambda handler carried inside its CloudFormation template.
execFileSync('node', ['scripts/bundle-bridge.mjs', ...(quiet.length > 0 ? ['--quiet'] : [])], { stdio: 'inherit' })
