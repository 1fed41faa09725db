// Writes dist/licenses.txt: the license of every production dependency that the
// bundles may contain. ncc's own --license drops the main chunk's packages when
// it splits the bundle, so the list comes from the installed tree instead.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const paths = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { encoding: 'utf8' })
  .split('\n')
  .filter((path) => path.includes('node_modules'))
const packages = new Map()
for (const path of paths) {
  const manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'))
  const id = `${manifest.name}@${manifest.version}`
  if (packages.has(id)) continue
  const licenseFile = readdirSync(path).find((name) => /^(licen[cs]e|copying)/i.test(name))
  const text = licenseFile ? readFileSync(join(path, licenseFile), 'utf8').trim() : '(no license file)'
  packages.set(id, `${manifest.name} ${manifest.version}\n${manifest.license ?? 'UNKNOWN'}\n${text}`)
}
if (!existsSync('dist')) throw new Error('dist/ does not exist; run ncc first')
const entries = [...packages.keys()].sort().map((id) => packages.get(id))
writeFileSync('dist/licenses.txt', `${entries.join('\n\n')}\n`)
console.log(`dist/licenses.txt: ${entries.length} packages`)
