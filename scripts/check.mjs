// `npm run check`: every check CI makes, in one place. .ci/run calls it, and so
// does the GitHub workflow (through .ci/run), so the two cannot drift apart.
// It runs all of them even when one fails, then ends with a summary and a plain
// "N passed, N failed" line for the tests.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'

const report = '.vitest-report.json'
const STEPS = [
  ['typecheck', ['run', '--silent', 'typecheck']],
  ['lint (ESLint, Prettier, actionlint)', ['run', '--silent', 'lint']],
  // npm test makes sure of Node.js 24, moto_server and cfn-lint first, installing what is missing. With
  // --coverage, it fails when the line coverage of src/ falls below the floor in vitest.config.ts.
  ['test', ['test', '--', '--reporter=default', '--reporter=json', `--outputFile=${report}`, '--coverage']],
  ['dist/, its size budget, licenses and README tables', ['run', '--silent', 'check-dist']]
]

rmSync(report, { force: true })
const results = []
for (const [name, args] of STEPS) {
  console.log(`\n== ${name}`)
  const started = Date.now()
  // npm is npm.cmd on Windows, which only a shell runs.
  const { status } = spawnSync('npm', args, { stdio: 'inherit', shell: process.platform === 'win32' })
  results.push({ name, passed: status === 0, seconds: Math.round((Date.now() - started) / 1000) })
}

console.log('\n== summary')
for (const { name, passed, seconds } of results) console.log(`${passed ? 'ok    ' : 'FAILED'} ${name} (${seconds} s)`)
let tests = { numPassedTests: 0, numFailedTests: 1, numTotalTests: 0 }
if (existsSync(report)) tests = JSON.parse(readFileSync(report, 'utf8'))
console.log(`${tests.numPassedTests} passed, ${tests.numFailedTests} failed`)
process.exit(results.every((result) => result.passed) && tests.numTotalTests > 0 ? 0 : 1)
