// `npm run release -- X.Y.Z [--dry-run] [--remote NAME]`: releases the commit at
// the tip of main as vX.Y.Z, and moves the major tag vX to it, which is what
// workflows that say `uses: example-org/codepipeline-job-action@v1` run.
//
// The release commit (package.json's version and a `## X.Y.Z` section in
// CHANGELOG.md) must already be on the remote's main, so that CI has checked it
// and its dist/. Both tags go up in one atomic push: both move, or neither does.
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const args = process.argv.slice(2)
const dryRun = args.includes('--dry-run')
const remoteFlag = args.indexOf('--remote')
const remote = remoteFlag >= 0 ? args[remoteFlag + 1] : 'origin'
const version = args
  .find((arg, index) => !arg.startsWith('--') && (remoteFlag < 0 || index !== remoteFlag + 1))
  ?.replace(/^v/, '')
const BRANCH = 'main'

const git = (...gitArgs) => execFileSync('git', gitArgs, { encoding: 'utf8' }).trim()
function refuse(reason) {
  console.error(`Not released: ${reason}`)
  process.exit(1)
}

const parse = (text) => /^(\d+)\.(\d+)\.(\d+)$/.exec(text)?.slice(1).map(Number)
const newer = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]

if (!version || !parse(version)) refuse('give the version to release as X.Y.Z, such as `npm run release -- 1.2.0`.')
const [major] = parse(version)
const tag = `v${version}`
const majorTag = `v${major}`

const branch = git('rev-parse', '--abbrev-ref', 'HEAD')
if (branch !== BRANCH) refuse(`release from ${BRANCH}; this checkout is on ${branch}.`)
if (git('status', '--porcelain', '--untracked-files=no') !== '') refuse('commit or stash your changes first.')
const manifestVersion = JSON.parse(readFileSync('package.json', 'utf8')).version
if (manifestVersion !== version) {
  refuse(`package.json says ${manifestVersion}: set its version to ${version} in the release commit.`)
}
const changelog = readFileSync('CHANGELOG.md', 'utf8')
const section = new RegExp(`^## ${version.replaceAll('.', '\\.')}(?![.\\d])(.*)$`, 'm').exec(changelog)
if (!section || /unreleased/i.test(section[1])) {
  refuse(`CHANGELOG.md has no released section for ${version}: add \`## ${version}\` with what changed.`)
}

// One look at the remote: its main, and the tags it has.
const remoteRefs = new Map(
  git('ls-remote', remote, `refs/heads/${BRANCH}`, 'refs/tags/*')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t').reverse())
)
const head = git('rev-parse', 'HEAD')
if (remoteRefs.get(`refs/heads/${BRANCH}`) !== head) {
  refuse(`this commit is not the tip of ${remote}/${BRANCH}: push the release commit, let CI pass, then release it.`)
}
const released = new Set([
  ...git('tag', '--list', 'v*').split('\n'),
  ...[...remoteRefs.keys()].map((ref) => ref.replace(/^refs\/tags\//, '').replace(/\^\{\}$/, ''))
])
if (released.has(tag)) refuse(`${tag} exists already.`)
const versions = [...released].map((name) => parse(name.replace(/^v/, ''))).filter(Boolean)
const sameMajor = versions.filter((other) => other[0] === major)
const latest = (sameMajor.length > 0 ? sameMajor : versions).sort(newer).at(-1)
if (latest && newer(parse(version), latest) <= 0) refuse(`${tag} is not newer than v${latest.join('.')}.`)

const steps = [
  ['tag', '--annotate', tag, '--message', tag, head],
  ['tag', '--force', '--annotate', majorTag, '--message', `${majorTag}: ${tag}`, head],
  ['push', '--atomic', remote, `refs/tags/${tag}`, `+refs/tags/${majorTag}`]
]
if (dryRun) {
  console.log(`Would release ${head.slice(0, 12)} as ${tag} and move ${majorTag} to it:`)
  for (const step of steps) console.log(`  git ${step.map((arg) => (/\s/.test(arg) ? `'${arg}'` : arg)).join(' ')}`)
  process.exit(0)
}

const previousMajor =
  git('tag', '--list', majorTag) === majorTag ? git('rev-parse', `refs/tags/${majorTag}`) : undefined
try {
  for (const step of steps) execFileSync('git', step, { stdio: 'inherit' })
} catch {
  // Put the local tags back as they were, so that the release can simply be run again.
  spawnSync('git', ['tag', '--delete', tag], { stdio: 'ignore' })
  if (previousMajor) spawnSync('git', ['update-ref', `refs/tags/${majorTag}`, previousMajor], { stdio: 'ignore' })
  else spawnSync('git', ['tag', '--delete', majorTag], { stdio: 'ignore' })
  refuse('git failed (see above); the local tags are as they were before.')
}
console.log(
  `Released ${tag}, and ${majorTag} points at it. The Release workflow (.github/workflows/release.yml) now checks the\n` +
    `bridge template and publishes the GitHub release for ${tag}; its notes are this changelog text and the template's SHA-256:\n`
)
const rest = changelog.slice(section.index + section[0].length)
console.log(rest.slice(0, rest.search(/^## /m) >= 0 ? rest.search(/^## /m) : undefined).trim())
