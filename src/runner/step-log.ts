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
 * Text that no runner reads as a workflow command: on each line (CR, LF and
 * CRLF all end one), a `::` at the start gets a backslash before it, and
 * every `##[` becomes `##\[`. What the user sees stays readable.
 */
function neutraliseCommands(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/^(\s*)::/, '$1\\::').replaceAll('##[', '##\\['))
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
