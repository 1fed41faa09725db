// Writes dist/licenses.txt: the license of every production dependency that the
// bundles may contain. ncc's own --license drops the main chunk's packages when
// it splits the bundle, so the list comes from the installed tree instead.
// `--check` writes nothing and fails when a dependency's license is not on the
// allow-list below; check-dist runs it.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

// Permissive licenses, whose only condition is the notice that dist/licenses.txt carries.
// A dependency under any other license fails the check until a maintainer decides about it.
const ALLOWED = new Set(['MIT', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD'])

/** Whether an SPDX expression lets the bundle use the package under allowed licenses only. */
function isAllowed(expression) {
  if (typeof expression !== 'string') return false
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? []
  let next = 0
  // or := and (OR and)*   and := term (AND term)*   term := ID [WITH ID] | ( or )
  const or = () => {
    let result = and()
    while (tokens[next]?.toUpperCase() === 'OR') {
      next += 1
      result = and() || result
    }
    return result
  }
  const and = () => {
    let result = term()
    while (tokens[next]?.toUpperCase() === 'AND') {
      next += 1
      result = term() && result
    }
    return result
  }
  const term = () => {
    const token = tokens[next++]
    if (token === '(') {
      const result = or()
      if (tokens[next++] !== ')') throw new Error(`unbalanced parentheses in "${expression}"`)
      return result
    }
    // A license with an exception is its own decision: it is not on the list as it stands.
    if (tokens[next]?.toUpperCase() === 'WITH') {
      next += 2
      return false
    }
    return ALLOWED.has(token)
  }
  try {
    const result = or()
    return next === tokens.length && result
  } catch {
    return false
  }
}

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
  packages.set(id, {
    license: manifest.license,
    entry: `${manifest.name} ${manifest.version}\n${manifest.license ?? 'UNKNOWN'}\n${text}`
  })
}

if (process.argv.includes('--check')) {
  const refused = [...packages].filter(([, { license }]) => !isAllowed(license))
  for (const [id, { license }] of refused) {
    console.error(
      `${id} is under ${JSON.stringify(license ?? 'no license')}, which is not on the allow-list in scripts/licenses.mjs.`
    )
  }
  if (refused.length > 0) process.exit(1)
  console.log(
    `Licenses: all ${packages.size} bundled packages are under ${[...ALLOWED].join(', ')} or a choice among them.`
  )
} else {
  if (!existsSync('dist')) throw new Error('dist/ does not exist; run ncc first')
  const entries = [...packages.keys()].sort().map((id) => packages.get(id).entry)
  writeFileSync('dist/licenses.txt', `${entries.join('\n\n')}\n`)
  console.log(`dist/licenses.txt: ${entries.length} packages`)
}
