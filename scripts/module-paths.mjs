// Writes tsconfig.paths.json, the module mappings the bundles are built with:
// - each AWS SDK and Smithy package (and each of its subpath exports) to its ES
//   build, while the type checker keeps reading the packages' own declarations;
// - `undici` to a stand-in that loads it on first use (src/runner/undici-on-demand.ts).
// ncc resolves these packages through their `node` condition, which points at
// the CommonJS build that webpack cannot tree-shake; the ES build it can.
// `npm run bundle` runs this first, and check-dist fails when the committed file differs.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const OUT = 'tsconfig.paths.json'
const SCOPES = ['@aws-sdk', '@smithy', '@aws']

/** The ES build behind an exports condition tree, if it names one as a plain path. */
function esTarget(conditions) {
  if (typeof conditions === 'string') return conditions.includes('/dist-es/') ? conditions : undefined
  if (!conditions || typeof conditions !== 'object') return undefined
  for (const key of ['import', 'module', 'default']) {
    const found = esTarget(conditions[key])
    if (found) return found
  }
  return undefined
}

function typesTarget(conditions, fallback) {
  return conditions && typeof conditions === 'object' && typeof conditions.types === 'string'
    ? conditions.types
    : fallback
}

// Not the SDK's, but mapped the same way: @actions/core would otherwise load all of undici at start.
const paths = { undici: ['./src/runner/undici-on-demand.ts'] }
for (const scope of SCOPES) {
  const scopeDir = join('node_modules', scope)
  if (!existsSync(scopeDir)) continue
  for (const name of readdirSync(scopeDir).sort()) {
    const dir = join(scopeDir, name)
    const pkgFile = join(dir, 'package.json')
    if (!existsSync(pkgFile)) continue
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'))
    const entries =
      pkg.exports && typeof pkg.exports === 'object'
        ? Object.entries(pkg.exports)
        : [['.', { import: pkg.module, types: pkg.types }]]
    for (const [subpath, conditions] of entries) {
      if (subpath === './package.json' || subpath.includes('*')) continue
      const es = esTarget(conditions)
      if (!es) continue
      const specifier = subpath === '.' ? `${scope}/${name}` : `${scope}/${name}/${subpath.slice(2)}`
      const types = typesTarget(conditions, pkg.types)
      if (!types) continue
      // Types first, named as the `.js` they declare: the type checker finds the `.d.ts`, while the
      // bundler finds no such file and takes the ES build next.
      const candidates = [join(dir, types.replace(/\.d\.ts$/, '.js')), join(dir, es)]
      paths[specifier] = candidates.map((path) => `./${path.split('\\').join('/')}`)
    }
  }
}

writeFileSync(OUT, `${JSON.stringify({ compilerOptions: { paths } }, null, 2)}\n`)
console.log(`${OUT}: ${Object.keys(paths).length} module mappings`)
