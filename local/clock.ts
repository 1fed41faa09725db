import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The preload that puts a Node.js process on a SimulatedClock. */
const PRELOAD = fileURLToPath(new URL('./simulated-clock.cjs', import.meta.url))

/**
 * A clock shared between this process and the Node.js processes started with
 * its `execArgv` and `environment`: the real time plus an offset, kept in a
 * small file that every side reads. The test moves it with `advance`, and a
 * process on it moves it whenever it waits (see simulated-clock.cjs), so that
 * time spent waiting costs no real time. It only ever goes forward.
 */
export class SimulatedClock {
  private constructor(
    private readonly dir: string,
    readonly file: string
  ) {}

  static create(): SimulatedClock {
    const dir = mkdtempSync(join(tmpdir(), 'clock-'))
    const clock = new SimulatedClock(dir, join(dir, 'offset'))
    writeFileSync(clock.file, '0')
    return clock
  }

  /** How far the clock is ahead of the real time, in milliseconds. */
  get offsetMs(): number {
    return Number(readFileSync(this.file, 'utf8')) || 0
  }

  /** The time on this clock, as Date.now() gives the real one. */
  readonly now = (): number => Date.now() + this.offsetMs

  /** Lets `ms` milliseconds pass at once. */
  advance(ms: number): void {
    const ahead = this.offsetMs + Math.max(0, ms)
    const next = `${this.file}.${process.pid}`
    writeFileSync(next, String(ahead))
    renameSync(next, this.file)
  }

  /** The Node.js options that put a child process on this clock. */
  get execArgv(): string[] {
    return ['--require', PRELOAD]
  }

  /** The variables that tell the preload where the clock is. */
  get environment(): Record<string, string> {
    return { SIMULATED_CLOCK_FILE: this.file }
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}
