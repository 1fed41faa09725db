// Rebuilds dist/: one bundle per action, and the licenses of what they contain.
// `--quiet` keeps ncc's size report out of the test output; each step still says
// what it is building, as it goes, for the build takes a while.
import { execFile, execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { transform } from 'esbuild'

const quiet = process.argv.includes('--quiet') ? ['-q'] : []
const started = Date.now()
const say = (line) => console.log(`bundle: ${line} (${Math.round((Date.now() - started) / 1000)} s)`)
const entries = [
  ['src/report/index.ts', 'dist'],
  ['src/job/index.ts', 'dist/job'],
  // The job action's post step, which the runner starts at the end of every GitHub job that used the action.
  // Its own directory, so that its chunk names cannot collide with the main step's.
  ['src/job/post.ts', 'dist/job/post']
]
// The module mappings follow the installed packages, so a dependency update cannot silently undo them.
say('module mappings, tsconfig.paths.json')
execFileSync('node', ['scripts/module-paths.mjs'], { stdio: quiet.length > 0 ? 'ignore' : 'inherit' })
rmSync('dist', { recursive: true, force: true })
// Built side by side, which shortens the build where there is more than one core.
say(`the actions with ncc: ${entries.map(([entry, out]) => `${entry} into ${out}/`).join(', ')}`)
const built = await Promise.all(
  entries.map(async ([entry, out]) => {
    const result = await promisify(execFile)(
      'npx',
      ['--no-install', 'ncc', 'build', entry, '-o', out, '--minify', ...quiet],
      { maxBuffer: 16 * 1024 * 1024 }
    )
    say(`${out}/ built`)
    return result
  })
)
for (const { stdout, stderr } of built) process.stdout.write(stdout + stderr)
// ncc minifies each entry but not the chunks it splits off for `await import()`. The folders share many
// chunks (the SDK's credential code, undici), so each distinct one is minified once, by esbuild: in a
// fraction of a second rather than terser's six, for chunks a tenth larger, loaded only when they are needed.
say('minifying the chunks the entries load on demand, with esbuild')
const minified = new Map()
for (const [, out] of entries) {
  for (const chunk of readdirSync(out).filter((name) => /^\d+\.index\.js$/.test(name))) {
    const path = join(out, chunk)
    const source = readFileSync(path, 'utf8')
    if (!minified.has(source)) {
      minified.set(source, (await transform(source, { format: 'esm', minify: true, target: 'node24' })).code)
    }
    writeFileSync(path, minified.get(source))
  }
}
say('dist/licenses.txt')
execFileSync('node', ['scripts/licenses.mjs'], { stdio: quiet.length > 0 ? 'ignore' : 'inherit' })
// The bridge: a Lambda handler carried inside its CloudFormation template.
say('the bridge, dist/bridge/, with esbuild')
execFileSync('node', ['scripts/bundle-bridge.mjs', ...(quiet.length > 0 ? ['--quiet'] : [])], { stdio: 'inherit' })
say('done')
