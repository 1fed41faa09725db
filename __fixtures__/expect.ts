/**
 * vitest's asymmetric matchers, typed as the values they stand in for.
 * vitest types them `any`, which would let a mistake through wherever one is
 * placed; typed, each fits only where such a value belongs.
 */
import { expect, type DeeplyAllowMatchers } from 'vitest'

/** Any string that matches `pattern`. */
export function stringMatching(pattern: string | RegExp): string {
  return expect.stringMatching(pattern) as string
}

/** Any object with at least these properties, each equal to its value here, or matching its matcher. */
export function objectContaining<T extends object>(properties: DeeplyAllowMatchers<T>): T {
  return expect.objectContaining(properties) as T
}

/** Any string that contains `text`. */
export function stringContaining(text: string): string {
  return expect.stringContaining(text) as string
}

/** Any instance of `type`: `instanceOf<unknown[]>(Array)` for any array. */
export function instanceOf<T>(type: abstract new (...args: never[]) => T): T {
  return expect.any(type) as T
}
