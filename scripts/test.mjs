// `npm test` and `npm run test:<group>`: runs the test groups named (unit, e2e,
// stress; all three when none is), with vitest on Node.js 24, the runtime the
// actions and the bridge run on. Before e2e and stress it makes sure of
// Node.js 24, moto and cfn-lint, and rebuilds dist/, which those groups run.
// Other arguments go to vitest: `npm test -- --coverage`.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ensureNode24 } from './ensure-node24.mjs'

const GROUPS = ['unit', 'e2e', 'stress']
const args = process.argv.slice(2)
const named = args.filter((arg) => GROUPS.includes(arg))
const groups = named.length > 0 ? named : GROUPS
const vitestArgs = args.filter((arg) => !GROUPS.includes(arg))
const started = Date.now()
const say = (line) => console.log(`test: ${line} (${Math.round((Date.now() - started) / 1000)} s)`)

say(`the ${groups.join(', ')} tests${groups.length > 1 ? ', in one vitest run' : ''}`)

/** Runs a step of the build, and ends here when it fails. */
function step(what, command, commandArgs) {
  say(what)
  const { status, signal } = spawnSync(command, commandArgs, { stdio: 'inherit' })
  if (status !== 0) {
    console.error(`test: ${what} failed${signal ? ` (${signal})` : ''}`)
    process.exit(status ?? 1)
  }
}

let node
try {
  node = ensureNode24()
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
}
if (groups.some((group) => group !== 'unit')) {
  step('moto and cfn-lint for the end-to-end tests', process.execPath, ['scripts/ensure-python-tools.mjs'])
  step('rebuilding dist/, which the end-to-end tests run', process.execPath, ['scripts/bundle.mjs', '--quiet'])
}
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url))
say(`vitest on Node.js ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}`)
const projects = groups.flatMap((group) => ['--project', group])
const { status, signal } = spawnSync(node, [vitest, 'run', ...projects, ...vitestArgs], { stdio: 'inherit' })
say('done')
process.exit(status ?? (signal ? 1 : 0))
