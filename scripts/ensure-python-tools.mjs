// Makes sure the Python tools the tests run are here: moto's server, the local
// stand-in for S3 and the other AWS services beyond CodePipeline, and cfn-lint.
// A tool that works from PATH is used as it is. Otherwise the versions pinned in
// scripts/python-requirements.txt are installed, once, into a virtual environment
// under .cache/python-tools (git-ignored). Only a missing Python stops it.
// Where each tool was found goes to .cache/python-tools/paths.json for the tests
// (local/python-tools.ts).
import { spawn, spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { delimiter, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const cache = join(root, '.cache', 'python-tools')
const venv = join(cache, 'venv')
const requirementsFile = join(root, 'scripts', 'python-requirements.txt')
const windows = process.platform === 'win32'
const venvBin = join(venv, windows ? 'Scripts' : 'bin')
const venvPython = join(venvBin, windows ? 'python.exe' : 'python')
const marker = join(venv, 'installed-requirements.txt')

/** Each tool, with the arguments that prove it runs: moto's server must load its web framework too. */
const TOOLS = { moto_server: ['--help'], 'cfn-lint': ['--version'] }
const MIN_PYTHON = [3, 9]

const say = (line) => console.error(line)
const shown = (path) => (path.startsWith(root) ? relative(root, path) : path)

/** The executable `name` on PATH, as the shell would find it. */
function onPath(name) {
  const extensions = windows ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : ['']
  for (const folder of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const extension of extensions) {
      const candidate = join(folder, name + extension)
      try {
        if (!statSync(candidate).isFile()) continue
        if (!windows) accessSync(candidate, constants.X_OK)
        return candidate
      } catch {
        // Not here.
      }
    }
  }
  return undefined
}

/** Whether the program runs: a shim or a broken install is found on PATH but fails here. */
function runs(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore' })
    child.on('error', () => resolve(false))
    child.on('exit', (code) => resolve(code === 0))
  })
}

async function fromPath() {
  const found = {}
  await Promise.all(
    Object.entries(TOOLS).map(async ([name, args]) => {
      const path = onPath(name)
      if (path && (await runs(path, args))) found[name] = path
    })
  )
  return found
}

function venvTools() {
  const suffix = windows ? '.exe' : ''
  return Object.fromEntries(Object.keys(TOOLS).map((name) => [name, join(venvBin, name + suffix)]))
}

function venvIsCurrent(requirements) {
  return (
    existsSync(venvPython) &&
    existsSync(marker) &&
    readFileSync(marker, 'utf8') === requirements &&
    Object.values(venvTools()).every((path) => existsSync(path))
  )
}

/** A Python new enough to make the virtual environment, as a command and its leading arguments. */
function findPython() {
  const candidates = [
    ...(process.env.PYTHON ? [[process.env.PYTHON]] : []),
    ['python3'],
    ['python'],
    ...(windows ? [['py', '-3']] : [])
  ]
  for (const [command, ...args] of candidates) {
    const probe = spawnSync(command, [...args, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
      encoding: 'utf8'
    })
    const [major, minor] = (probe.stdout ?? '').trim().split('.').map(Number)
    if (probe.status !== 0 || major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) continue
    return { command, args, version: `${major}.${minor}` }
  }
  return undefined
}

function install(requirements, missing) {
  const python = findPython()
  if (!python) {
    say(
      `The tests need ${missing.join(' and ')}, and Python ${MIN_PYTHON.join('.')} or newer to install them: install Python 3 (python.org, or your package manager's python3 and python3-venv), then run the tests again.`
    )
    process.exit(1)
  }
  const hasVenv = spawnSync(python.command, [...python.args, '-c', 'import venv, ensurepip'], { stdio: 'ignore' })
  if (hasVenv.status !== 0) {
    say(
      `Python ${python.version} is here but cannot make virtual environments: install its venv module (on Debian and Ubuntu: apt install python3-venv), then run the tests again.`
    )
    process.exit(1)
  }
  const pins = requirements
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  say(
    `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not on PATH: installing ${pins.join(', ')} with Python ${python.version} into ${shown(venv)} (once)...`
  )
  rmSync(venv, { recursive: true, force: true })
  mkdirSync(cache, { recursive: true })
  const steps = [
    [python.command, [...python.args, '-m', 'venv', venv]],
    [
      venvPython,
      [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--no-input',
        '--quiet',
        '--requirement',
        requirementsFile
      ]
    ]
  ]
  for (const [command, args] of steps) {
    if (spawnSync(command, args, { stdio: 'inherit' }).status !== 0) {
      say(
        `Installing them failed (see above). Install ${pins.join(' and ')} with pip or pipx so that ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} on PATH, then run the tests again.`
      )
      rmSync(venv, { recursive: true, force: true })
      process.exit(1)
    }
  }
  writeFileSync(marker, requirements)
}

const requirements = readFileSync(requirementsFile, 'utf8')
const found = await fromPath()
const missing = Object.keys(TOOLS).filter((name) => !(name in found))
if (missing.length > 0 && !venvIsCurrent(requirements)) install(requirements, missing)
const tools = { ...venvTools(), ...found }
mkdirSync(cache, { recursive: true })
writeFileSync(join(cache, 'paths.json'), `${JSON.stringify(tools, null, 2)}\n`)
say(
  `Python tools for the tests: ${Object.entries(tools)
    .map(([name, path]) => `${name} ${shown(path)}`)
    .join(', ')}`
)
