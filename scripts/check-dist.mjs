// Fails when the committed dist/ is not what the source builds to: GitHub runs dist/, not src/.
// Also fails when a bundled dependency's license is off the allow-list (scripts/licenses.mjs),
// or when the READMEs' input and output tables no longer match the action.yml files.
import { execFileSync, spawnSync } from 'node:child_process'

execFileSync('npm', ['run', '--silent', 'bundle'], { stdio: ['ignore', 'ignore', 'inherit'] })
const changed = execFileSync('git', ['status', '--porcelain', '--', 'dist'], { encoding: 'utf8' })
if (changed.trim() !== '') {
  console.error(`dist/ does not match the source. Run \`npm run bundle\` and commit dist/:\n${changed}`)
  process.exit(1)
}
console.log('dist/ matches the source.')
for (const script of ['scripts/licenses.mjs', 'scripts/action-docs.mjs']) {
  if (spawnSync('node', [script, '--check'], { stdio: 'inherit' }).status !== 0) process.exitCode = 1
}
