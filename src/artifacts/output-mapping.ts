import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { InputError, quote } from '../portable/errors.js'
import { ARTIFACT_NAME, isInside } from './paths.js'
import { describeType } from './source-file.js'

const INPUT = 'output-artifacts'
/** The input that lets mapped paths lie outside the workspace. */
export const OUTSIDE_WORKSPACE_INPUT = 'output-artifacts-outside-workspace'

/** One line of `output-artifacts`: a name, or none for the bare-path shorthand. */
export interface OutputArtifactLine {
  readonly name?: string
  readonly path: string
}

/** What `output-artifacts` asks for, with the rule its paths follow. */
export interface OutputArtifactsRequest {
  readonly lines: readonly OutputArtifactLine[]
  /** Set by `output-artifacts-outside-workspace`: mapped paths may then lie anywhere. */
  readonly outsideWorkspace: boolean
}

/** An output artifact matched to the path that fills it. */
export interface OutputArtifactPlan {
  readonly name: string
  /** Absolute path of a directory, a .zip file or another file. */
  readonly path: string
  readonly kind: 'directory' | 'zip' | 'file'
  readonly bucketName: string
  readonly objectKey: string
}

/** What the job says about an output artifact. */
export interface DeclaredOutput {
  readonly name?: string
  readonly location?: { readonly s3Location?: { readonly bucketName?: string; readonly objectKey?: string } }
}

/** Reads `Name=path` lines; blank lines and # comments are skipped. */
export function parseOutputArtifacts(text: string): OutputArtifactLine[] | undefined {
  const lines: OutputArtifactLine[] = []
  const seen = new Set<string>()
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const separator = line.indexOf('=')
    const name = separator < 0 ? undefined : line.slice(0, separator).trim()
    const path = separator < 0 ? line : line.slice(separator + 1).trim()
    if (name !== undefined && !ARTIFACT_NAME.test(name)) {
      throw new InputError(
        INPUT,
        `line ${index + 1}: ${quote(name)} is not an artifact name (1–100 letters, digits, _ or -)`,
        "Write Name=path, with the output artifact's name from the pipeline."
      )
    }
    if (path === '') throw new InputError(INPUT, `line ${index + 1} has no path`, 'Write Name=path.')
    if (name !== undefined && seen.has(name)) {
      throw new InputError(INPUT, `${quote(name)} is given twice`, 'Give each output artifact one line.')
    }
    if (name !== undefined) seen.add(name)
    lines.push({ name, path })
  })
  if (lines.some((line) => line.name === undefined) && lines.length > 1) {
    throw new InputError(
      INPUT,
      'a bare path is allowed only as the one line',
      'Write Name=path on every line when there are several output artifacts.'
    )
  }
  return lines.length > 0 ? lines : undefined
}

/**
 * Matches the lines to the job's declared outputs, by name only, and checks
 * every path. Throws an InputError that lists what the job expects.
 *
 * A mapped path must lie inside the workspace once links are followed, as
 * every file in a mapped directory must lie inside that directory: an
 * artifact never carries what lies outside the folder it was given, such as
 * a credentials file reached through a link. `outsideWorkspace` lifts the
 * first rule for workflows that build elsewhere, such as in runner.temp.
 */
export function planOutputArtifacts(
  request: OutputArtifactsRequest,
  declared: readonly DeclaredOutput[],
  workspace: string
): OutputArtifactPlan[] {
  const lines = request.lines
  const names = declared.map((output) => output.name ?? '')
  const expected =
    names.length === 0
      ? 'This job has no output artifacts, so remove output-artifacts.'
      : `The job expects: ${names.join(', ')}.`
  const named = lines.map((line) => {
    if (line.name !== undefined) return { name: line.name, path: line.path }
    // A bare path, always the one line, stands for the job's one output artifact.
    const [only, ...others] = names
    if (only === undefined || others.length > 0) {
      throw new InputError(
        INPUT,
        `a bare path needs exactly one output artifact, and the job has ${names.length}`,
        `Write Name=path lines. ${expected}`
      )
    }
    return { name: only, path: line.path }
  })
  const unknown = named.filter((line) => !names.includes(line.name)).map((line) => line.name)
  if (unknown.length > 0) {
    throw new InputError(
      INPUT,
      `the job has no output artifact ${unknown.map((name) => quote(name)).join(', ')}`,
      expected
    )
  }
  const unmapped = names.filter((name) => !named.some((line) => line.name === name))
  if (unmapped.length > 0) {
    throw new InputError(
      INPUT,
      `the job's output artifact ${unmapped.map((name) => quote(name)).join(', ')} has no path`,
      `Map every output artifact to a path: later actions wait for it. ${expected}`
    )
  }
  return named.map((line) => {
    const declaredOutput = declared.find((output) => output.name === line.name)!
    const path = isAbsolute(line.path) ? line.path : resolve(workspace, line.path)
    return {
      name: line.name,
      path,
      kind: kindOf(line.name, line.path, path, request.outsideWorkspace ? undefined : workspace),
      bucketName: declaredOutput.location?.s3Location?.bucketName ?? '',
      objectKey: declaredOutput.location?.s3Location?.objectKey ?? ''
    }
  })
}

/** What a mapped path holds; `workspace` is where it must lie, if anywhere. */
function kindOf(name: string, given: string, path: string, workspace: string | undefined): OutputArtifactPlan['kind'] {
  if (!existsSync(path)) {
    throw new InputError(
      INPUT,
      `the path ${quote(given)} for ${quote(name)} does not exist`,
      'Check the path, relative to the workspace, and that the build step wrote it.'
    )
  }
  if (workspace !== undefined) {
    const real = realpathSync(path)
    if (!isInside(realpathSync(workspace), real)) {
      const how = isInside(resolve(workspace), path)
        ? `leads outside the workspace through a symbolic link, to ${quote(real)}`
        : 'is outside the workspace'
      throw new InputError(
        INPUT,
        `the path ${quote(given)} for ${quote(name)} ${how}`,
        `Map a path inside the workspace, or set '${OUTSIDE_WORKSPACE_INPUT}: true' to upload from elsewhere, such as runner.temp.`
      )
    }
  }
  // stat does not open the file, so a named pipe cannot block here.
  const stats = statSync(path)
  if (!stats.isDirectory() && !stats.isFile()) {
    throw new InputError(
      INPUT,
      `the path ${quote(given)} for ${quote(name)} is ${describeType(stats)}`,
      'Map a directory or a regular file: nothing else can be uploaded.'
    )
  }
  if (stats.isDirectory()) {
    if (readdirSync(path).length === 0) {
      throw new InputError(
        INPUT,
        `the directory ${quote(given)} for ${quote(name)} is empty`,
        'Check that the build step wrote its output there.'
      )
    }
    return 'directory'
  }
  return path.toLowerCase().endsWith('.zip') ? 'zip' : 'file'
}
