import { InputError, quote } from '../portable/errors.js'
import {
  ACTION_CONFIGURATION_VALUE_MAX_LENGTH,
  OUTPUT_VARIABLE_NAME_PATTERN,
  OUTPUT_VARIABLES_MAX_BYTES,
  outputVariablesBytes
} from '../portable/limits.js'

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
  // Read again, member by member, from the text JSON.parse accepted: JSON.parse lets a repeated
  // name silently win and turns numbers into doubles, and neither may change what is sent.
  const variables = new Map<string, string>()
  for (const { name, value } of topLevelMembers(text)) {
    if (variables.has(name)) {
      throw new InputError(
        INPUT,
        `the name ${quote(name)} appears more than once in the JSON object`,
        'Give each variable one member; names are case-sensitive.'
      )
    }
    variables.set(name, scalarText(name, value))
  }
  // fromEntries keeps a name such as __proto__ as a plain own property.
  return Object.fromEntries(variables)
}

/** One member of the top-level object: its name, decoded, and its value exactly as written. */
interface RawMember {
  readonly name: string
  readonly value: string
}

const WHITESPACE = /[ \t\n\r]*/y
const STRING = /"(?:[^"\\]|\\.)*"/y
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const LITERAL = /true|false|null/y

/** The members of a JSON object's text, which JSON.parse has already accepted, in order. */
function topLevelMembers(text: string): RawMember[] {
  let at = 0
  const skip = (pattern: RegExp): string => {
    pattern.lastIndex = at
    const match = pattern.exec(text)
    if (!match) throw new Error(`Unexpected JSON at ${at}`)
    at = pattern.lastIndex
    return match[0]
  }
  const value = (): string => {
    skip(WHITESPACE)
    const start = at
    const first = text[at]
    if (first === '"') return skip(STRING)
    if (first === '{' || first === '[') {
      // Nested data is refused whole; only its extent is needed.
      let depth = 0
      do {
        const char = text[at]
        if (char === '"') skip(STRING)
        else {
          if (char === '{' || char === '[') depth++
          else if (char === '}' || char === ']') depth--
          at++
        }
      } while (depth > 0)
      return text.slice(start, at)
    }
    return first === '-' || (first !== undefined && first >= '0' && first <= '9') ? skip(NUMBER) : skip(LITERAL)
  }
  const members: RawMember[] = []
  skip(WHITESPACE)
  at++ // {
  skip(WHITESPACE)
  if (text[at] === '}') return members
  for (;;) {
    skip(WHITESPACE)
    const name = JSON.parse(skip(STRING)) as string
    skip(WHITESPACE)
    at++ // :
    members.push({ name, value: value() })
    skip(WHITESPACE)
    if (text[at++] === '}') return members
  }
}

/** A value as the text CodePipeline gets: strings decoded, numbers and booleans exactly as written. */
function scalarText(name: string, raw: string): string {
  const first = raw[0]
  if (first === '"') return JSON.parse(raw) as string
  if (raw === 'true' || raw === 'false') return raw
  if (first !== 'n' && first !== '{' && first !== '[') return raw
  const kind = raw === 'null' ? 'null' : first === '[' ? 'an array' : 'an object'
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
