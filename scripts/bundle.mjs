// Rebuilds dist/: one bundle per action, and the licenses of what they contain.
// `--quiet` keeps ncc's size report out of the test output.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'

const quiet = process.argv.includes('--quiet') ? ['-q'] : []
const entries = [
  ['src/index.ts', 'dist'],
  ['src/job/index.ts', 'dist/job']
]
rmSync('dist', { recursive: true, force: true })
for (const [entry, out] of entries) {
  execFileSync('npx', ['--no-install', 'ncc', 'build', entry, '-o', out, '--minify', ...quiet], { stdio: 'inherit' })
}
execFileSync('node', ['scripts/licenses.mjs'], { stdio: quiet.length > 0 ? 'ignore' : 'inherit' })
