// `npm test` and `npm run test:<group>`: runs the test groups named (unit, e2e,
// stress; all three when none is), with vitest on Node.js 24, the runtime the
// actions and the bridge run on. Before e2e and stress it makes sure of moto and
// cfn-lint and rebuilds dist/, which those groups run, side by side.
// Other arguments go to vitest: `npm test -- --coverage`.
const GROUPS = ['unit', 'e2e', 'stress']
const args = process.argv.slice(2)
const named = args.filter((arg) => GROUPS.includes(arg))
const groups = named.length > 0 ? named : GROUPS
const vitestArgs = args.filter((arg) => !GROUPS.includes(arg))
const started = Date.now()
const say = (line) => console.log(`test: ${line} (${Math.round((Date.now() - started) / 1000)} s)`)

// First a word, then the modules: a busy machine takes a while to load them.
say(`the ${groups.join(', ')} tests${groups.length > 1 ? ', in one vitest run' : ''}`)
const { spawn, spawnSync } = await import('node:child_process')
const { fileURLToPath } = await import('node:url')
const { ensureNode24 } = await import('./ensure-node24.mjs')

/** Runs a Node.js script of the build; resolves to whether it passed. */
function step(what, script, scriptArgs = []) {
  say(what)
  return new Promise((resolve) => {
    spawn(process.execPath, [script, ...scriptArgs], { stdio: 'inherit' }).on('exit', (status, signal) => {
      if (status !== 0) console.error(`test: ${what} failed${signal ? ` (${signal})` : ''}`)
      resolve(status === 0)
    })
  })
}

let node
try {
  node = ensureNode24()
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
}
if (groups.some((group) => group !== 'unit')) {
  const ready = await Promise.all([
    step('making sure of moto and cfn-lint, for the end-to-end tests', 'scripts/ensure-python-tools.mjs'),
    step('rebuilding dist/, which the end-to-end tests run', 'scripts/bundle.mjs', ['--quiet'])
  ])
  if (!ready.every(Boolean)) process.exit(1)
}
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url))
say(`vitest on Node.js ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}`)
const projects = groups.flatMap((group) => ['--project', group])
const { status, signal } = spawnSync(node, [vitest, 'run', ...projects, ...vitestArgs], { stdio: 'inherit' })
say('done')
process.exit(status ?? (signal ? 1 : 0))
