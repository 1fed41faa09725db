// `npm test` and `npm run test:<group>`: runs the test groups named (unit, e2e,
// stress; all three when none is), with vitest on Node.js 24, the runtime the
// actions and the bridge run on. Before e2e and stress it makes sure of moto and
// cfn-lint and rebuilds dist/, which those groups run, side by side. It skips the
// rebuild when neither the source nor dist/ changed since the last one here.
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
const { node24OrExit } = await import('./ensure-node24.mjs')
const { createHash } = await import('node:crypto')
const { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } = await import('node:fs')
const { join } = await import('node:path')

/** What dist/ is built from, and what the build writes: when neither changed since the last build, dist/ is current. */
const BUILT_FROM = [
  'src',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'scripts/bundle.mjs',
  'scripts/bundle-bridge.mjs',
  'scripts/module-paths.mjs',
  'scripts/licenses.mjs'
]
const BUILT = ['dist', 'tsconfig.paths.json']
const STAMP = '.cache/bundle-stamp.json'

/** A digest of the files at these paths, their names included. */
function digest(paths) {
  const hash = createHash('sha256')
  const add = (path) => {
    if (!existsSync(path)) return hash.update(`missing ${path}\0`)
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) add(join(path, name))
    } else hash.update(`${path}\0`).update(readFileSync(path)).update('\0')
  }
  for (const path of paths) add(path)
  return hash.digest('hex')
}

function bundleIsCurrent() {
  if (!existsSync(STAMP)) return false
  const stamp = JSON.parse(readFileSync(STAMP, 'utf8'))
  return stamp.from === digest(BUILT_FROM) && stamp.built === digest(BUILT)
}

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

const node = node24OrExit()
if (groups.some((group) => group !== 'unit')) {
  const current = bundleIsCurrent()
  if (current) say('dist/ is what the source builds to, as of the last build here: not rebuilding it')
  const ready = await Promise.all([
    step('making sure of moto and cfn-lint, for the end-to-end tests', 'scripts/ensure-python-tools.mjs'),
    current || step('rebuilding dist/, which the end-to-end tests run', 'scripts/bundle.mjs', ['--quiet'])
  ])
  if (!ready.every(Boolean)) process.exit(1)
  if (!current) {
    mkdirSync('.cache', { recursive: true })
    writeFileSync(STAMP, JSON.stringify({ from: digest(BUILT_FROM), built: digest(BUILT) }))
  }
}
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url))
say(`vitest on Node.js ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}`)
const projects = groups.flatMap((group) => ['--project', group])
const { status, signal, error } = spawnSync(node, [vitest, 'run', ...projects, ...vitestArgs], { stdio: 'inherit' })
say(status === 0 ? 'done' : `failed (${error?.message ?? signal ?? `exit code ${status}`})`)
// No status: vitest died of a signal, or never started. Either way the tests did not pass.
process.exit(status ?? 1)
