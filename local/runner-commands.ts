/**
 * How the GitHub Actions runner reads a step's output for workflow commands,
 * for tests that check that no value smuggles one in. The runner is .NET: it
 * splits the output into lines at CR, LF and CRLF, trims each line with
 * String.TrimStart(), which drops every character Char.IsWhiteSpace accepts,
 * and takes a line that then starts with `::` as a command; the legacy
 * `##[command]` counts anywhere in a line.
 */

/**
 * Char.IsWhiteSpace, as .NET documents it: the members of the space,
 * line and paragraph separator categories, U+0009 to U+000D, and U+0085.
 */
export function isDotNetWhiteSpace(char: string): boolean {
  const code = char.charCodeAt(0)
  return (code >= 0x09 && code <= 0x0d) || code === 0x85 || /^[\p{Zs}\p{Zl}\p{Zp}]$/u.test(char)
}

/** Every UTF-16 code unit for which Char.IsWhiteSpace is true, found by trying each one. */
export function dotNetWhiteSpace(): string[] {
  const found: string[] = []
  for (let code = 0; code <= 0xffff; code++) {
    const char = String.fromCharCode(code)
    if (isDotNetWhiteSpace(char)) found.push(char)
  }
  return found
}

function trimStart(line: string): string {
  let at = 0
  while (at < line.length && isDotNetWhiteSpace(line.charAt(at))) at++
  return line.slice(at)
}

/** The lines of `output` the runner would take as workflow commands. */
export function commandsIn(output: string): string[] {
  return output
    .split(/\r\n|\r|\n/)
    .map(trimStart)
    .filter((line) => line.startsWith('::') || line.includes('##['))
}
