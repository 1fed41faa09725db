import type { Clock } from './clock.js'
import type { DebugLog } from '../portable/codepipeline.js'

export type Level = 'debug' | 'info' | 'warn' | 'error'
export type Fields = Readonly<Record<string, unknown>>

const RANK: Readonly<Record<Level, number>> = { debug: 10, info: 20, warn: 30, error: 40 }
const MASK = '***'
/** Values shorter than this are never secrets worth masking, and masking them would garble logs. */
const MIN_SECRET_LENGTH = 8

/**
 * Structured JSON lines on stdout, one per event, which CloudWatch Logs
 * Insights reads as fields. Every value a secret was registered for is
 * masked, wherever it turns up.
 */
export class Logger implements DebugLog {
  private constructor(
    private readonly minimum: number,
    private readonly fields: Fields,
    private readonly secrets: Set<string>,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly write: (line: string) => void
  ) {}

  static create(
    level: string | undefined,
    clock: Pick<Clock, 'now'>,
    write: (line: string) => void = (line) => void process.stdout.write(line)
  ): Logger {
    const minimum = RANK[(level?.toLowerCase() ?? 'info') as Level] ?? RANK.info
    return new Logger(minimum, {}, new Set(), clock, write)
  }

  /** A logger that adds these fields to every line; it shares the secrets. */
  with(fields: Fields): Logger {
    return new Logger(this.minimum, { ...this.fields, ...fields }, this.secrets, this.clock, this.write)
  }

  /** Masks this value in every line from now on, in this logger and all that share its secrets. */
  secret(value: string | undefined): void {
    if (value === undefined || value.length < MIN_SECRET_LENGTH) return
    this.secrets.add(value)
    // A PEM key can turn up line by line, or JSON-escaped.
    for (const line of value.split(/\r?\n/)) if (line.length >= MIN_SECRET_LENGTH) this.secrets.add(line)
  }

  debug(message: string, fields?: Fields): void {
    this.log('debug', message, fields)
  }

  info(message: string, fields?: Fields): void {
    this.log('info', message, fields)
  }

  warn(message: string, fields?: Fields): void {
    this.log('warn', message, fields)
  }

  error(message: string, fields?: Fields): void {
    this.log('error', message, fields)
  }

  private log(level: Level, message: string, fields: Fields | undefined): void {
    if (RANK[level] < this.minimum) return
    const entry = { time: new Date(this.clock.now()).toISOString(), level, message, ...this.fields, ...fields }
    this.write(`${this.mask(JSON.stringify(entry, jsonSafe))}\n`)
  }

  private mask(line: string): string {
    let masked = line
    for (const secret of this.secrets) {
      for (const form of [secret, JSON.stringify(secret).slice(1, -1)]) masked = masked.split(form).join(MASK)
    }
    return masked
  }
}

/** Errors keep their name and message in JSON; everything else as JSON has it. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message }
  return value
}
