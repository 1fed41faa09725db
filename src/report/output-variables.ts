import { InputError, quote } from '../core/errors.js'
import {
  ACTION_CONFIGURATION_VALUE_MAX_LENGTH,
  OUTPUT_VARIABLE_NAME_PATTERN,
  OUTPUT_VARIABLES_MAX_BYTES,
  outputVariablesBytes
} from '../core/limits.js'

const INPUT = 'output-variables'

export type OutputVariables = Record<string, string>

export interface ParsedOutputVariables {
  readonly variables: OutputVariables
  /** Non-fatal findings the user should see. */
  readonly warnings: string[]
}

/**
 * Reads the `output-variables` input: a JSON object, such as
 * `${{ toJSON(steps.build.outputs) }}` gives, or `NAME=value` lines.
 * Returns undefined when the input is empty.
 */
export function parseOutputVariables(text: string): ParsedOutputVariables | undefined {
  if (text.trim() === '') return undefined
  const variables = looksLikeJson(text) ? fromJson(text) : fromLines(text)
  for (const name of Object.keys(variables)) checkName(name)
  checkTotalSize(variables)
  return { variables, warnings: longValueWarnings(variables) }
}

function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0]
  return first === '{' || first === '['
}

function fromJson(text: string): OutputVariables {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new InputError(
      INPUT,
      `it starts like JSON but does not parse (${(error as Error).message})`,
      'Pass a JSON object such as ${{ toJSON(steps.build.outputs) }}, or NAME=value lines.'
    )
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InputError(
      INPUT,
      'JSON must be an object of names to values, not an array',
      'Pass an object such as {"IMAGE_TAG": "1.2.3"}.'
    )
  }
  // fromEntries keeps a name such as __proto__ as a plain own property.
  return Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name, scalarToString(name, value)]))
}

function scalarToString(name: string, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'
  throw new InputError(
    INPUT,
    `the value of ${quote(name)} is ${kind}, but CodePipeline variables are strings`,
    'Pass a string, number or boolean; to pass structured data, encode it as a JSON string first.'
  )
}

function fromLines(text: string): OutputVariables {
  const variables = new Map<string, string>()
  const lines = text.split(/\r?\n/)
  lines.forEach((line, index) => {
    if (line.trim() === '') return
    const separator = line.indexOf('=')
    if (separator < 0) {
      throw new InputError(
        INPUT,
        `line ${index + 1} has no '=' (lines must be NAME=value)`,
        'Write one NAME=value per line, or pass a JSON object.'
      )
    }
    const name = line.slice(0, separator).trim()
    if (name === '') {
      throw new InputError(INPUT, `line ${index + 1} has no name before '='`, 'Write one NAME=value per line.')
    }
    if (variables.has(name)) {
      throw new InputError(
        INPUT,
        `the name ${quote(name)} appears more than once`,
        'Give each variable one line; names are case-sensitive.'
      )
    }
    variables.set(name, line.slice(separator + 1))
  })
  return Object.fromEntries(variables)
}

function checkName(name: string): void {
  if (!OUTPUT_VARIABLE_NAME_PATTERN.test(name)) {
    throw new InputError(
      INPUT,
      `the name ${quote(name)} has characters CodePipeline does not allow (names match [A-Za-z0-9@\\-_]+)`,
      'Rename it using only letters, digits, @, - and _.'
    )
  }
}

function checkTotalSize(variables: OutputVariables): void {
  const total = outputVariablesBytes(variables)
  if (total > OUTPUT_VARIABLES_MAX_BYTES) {
    throw new InputError(
      INPUT,
      `names and values add up to ${total} bytes, over CodePipeline's limit of ${OUTPUT_VARIABLES_MAX_BYTES} bytes for one action`,
      'Pass only the variables later pipeline actions read; put large data in an artifact.'
    )
  }
}

function longValueWarnings(variables: OutputVariables): string[] {
  return Object.entries(variables)
    .filter(([, value]) => value.length > ACTION_CONFIGURATION_VALUE_MAX_LENGTH)
    .map(
      ([name, value]) =>
        `Output variable ${quote(name)} is ${value.length} characters long. A later action's configuration field holds at most ${ACTION_CONFIGURATION_VALUE_MAX_LENGTH} characters, #{Namespace.${name}} included, so it cannot use this value whole.`
    )
}
