/** A rule that one input breaks: names the input, the rule and what to do. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    readonly rule: string,
    readonly fix: string
  ) {
    super(`Invalid input '${input}': ${rule}. ${fix}`)
    this.name = 'InputError'
  }
}

/** Every input problem found in one read, so that a user fixes them all in one go. */
export class InvalidInputs extends Error {
  constructor(readonly problems: readonly InputError[]) {
    super(problems.map((problem) => problem.message).join('\n'))
    this.name = 'InvalidInputs'
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Quotes a user-supplied value for an error message, shortened so one bad value cannot flood the log. */
export function quote(value: string, max = 60): string {
  const shown = value.length > max ? `${value.slice(0, max)}…` : value
  return JSON.stringify(shown)
}
