/**
 * The bridge's only source of time. The handler makes one, and every part
 * that reads the time or waits is given it, so that a test can run the
 * whole bridge on a clock of its own.
 */
export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
  random(): number
}
