// Fails when the committed dist/ is not what the source builds to (GitHub runs dist/, not src/),
// or when an entry bundle outgrows its budget: every step loads it, and load time follows size.
// Also fails when a bundled dependency's license is off the allow-list (scripts/licenses.mjs),
// or when the READMEs' input and output tables no longer match the action.yml files.
import { execFileSync, spawnSync } from 'node:child_process'
import { statSync } from 'node:fs'

const BUDGET_KIB = 768
const ENTRY_BUNDLES = ['dist/index.js', 'dist/job/index.js']

execFileSync('npm', ['run', '--silent', 'bundle'], { stdio: ['ignore', 'ignore', 'inherit'] })
const changed = execFileSync('git', ['status', '--porcelain', '--', 'dist', 'tsconfig.paths.json'], {
  encoding: 'utf8'
})
if (changed.trim() !== '') {
  console.error(
    `dist/ does not match the source. Run \`npm run bundle\` and commit dist/ and tsconfig.paths.json:\n${changed}`
  )
  process.exit(1)
}
console.log('dist/ matches the source.')
const over = ENTRY_BUNDLES.map((file) => [file, statSync(file).size / 1024]).filter(([, kib]) => kib > BUDGET_KIB)
for (const [file, kib] of over) {
  console.error(
    `${file} is ${kib.toFixed(0)} KiB, over its budget of ${BUDGET_KIB} KiB. Load what only some steps need with \`await import()\`, and check that tsconfig.paths.json still maps the SDK to its ES build.`
  )
}
if (over.length > 0) process.exit(1)
console.log(
  `Entry bundles within ${BUDGET_KIB} KiB: ${ENTRY_BUNDLES.map((file) => `${file} ${(statSync(file).size / 1024).toFixed(0)} KiB`).join(', ')}.`
)
for (const script of ['scripts/licenses.mjs', 'scripts/action-docs.mjs']) {
  if (spawnSync('node', [script, '--check'], { stdio: 'inherit' }).status !== 0) process.exitCode = 1
}
