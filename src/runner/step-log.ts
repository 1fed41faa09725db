/**
 * The step's plain log lines. The runner reads every line a step prints for
 * workflow commands: a line that starts with `::` once leading whitespace is
 * trimmed (`::add-mask::`, `::stop-commands::`), and the older `##[command]`
 * anywhere in a line. `@actions/core`'s warning, error and debug escape their
 * text, but `core.info` prints it raw, so a value with a line break could
 * run a command. Every plain line this project prints goes through here.
 */
import * as core from '@actions/core'

/** Prints text that may carry outside values as plain log lines. */
export function info(text: string): void {
  core.info(neutraliseCommands(text))
}

/**
 * What the runner trims from the start of a line before it looks for `::`:
 * whitespace as .NET's Char.IsWhiteSpace has it. That is the Unicode space
 * and separator categories, TAB to CR, and NEL (U+0085), which JavaScript's
 * `\s` leaves out.
 */
const COMMAND_START = /^([\p{Zs}\p{Zl}\p{Zp}\t-\r\u0085]*)::/u

/**
 * Text that no runner reads as a workflow command: on each line (CR, LF and
 * CRLF all end one, as the runner splits them), a `::` after whatever the
 * runner trims gets a backslash before it, and every `##[` becomes `##\[`.
 * What the user sees stays readable.
 */
export function neutraliseCommands(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(COMMAND_START, '$1\\::').replaceAll('##[', '##\\['))
    .join('\n')
}

/** A warning annotation; `@actions/core` escapes line breaks, and the legacy `##[` goes too. */
export function warning(text: string): void {
  core.warning(neutraliseCommands(text))
}

/** An error annotation, neutralised as warning() is. */
export function error(text: string): void {
  core.error(neutraliseCommands(text))
}

/** Fails the step with an error annotation, neutralised as warning() is. */
export function setFailed(text: string): void {
  core.setFailed(neutraliseCommands(text))
}

/** A debug line, shown with step debug logging on; neutralised as warning() is. */
export function debug(text: string): void {
  core.debug(neutraliseCommands(text))
}
