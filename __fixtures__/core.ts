/**
 * A typed stand-in for `@actions/core`, for unit tests:
 *
 *   import * as core from '../../__fixtures__/core.js'
 *   vi.mock('@actions/core', () => core)
 *
 * It holds every function the actions call. By default each behaves as on a
 * runner where nothing is set: inputs are empty, and everything else records
 * its calls and does nothing. Mocks are reset before each test.
 */
import type * as actionsCore from '@actions/core'
import { vi, type Mock } from 'vitest'

export const getInput = vi.fn<typeof actionsCore.getInput>(() => '')
export const setSecret = vi.fn<typeof actionsCore.setSecret>()
export const setOutput = vi.fn<typeof actionsCore.setOutput>()
export const setFailed = vi.fn<typeof actionsCore.setFailed>()
export const debug = vi.fn<typeof actionsCore.debug>()
export const info = vi.fn<typeof actionsCore.info>()
export const warning = vi.fn<typeof actionsCore.warning>()
export const error = vi.fn<typeof actionsCore.error>()

type Summary = typeof actionsCore.summary

/** The parts of `core.summary` the actions use: the builder chains, and nothing is written. */
export interface SummaryStandIn {
  readonly addHeading: Mock<(...args: Parameters<Summary['addHeading']>) => SummaryStandIn>
  readonly addRaw: Mock<(...args: Parameters<Summary['addRaw']>) => SummaryStandIn>
  readonly write: Mock<(...args: Parameters<Summary['write']>) => Promise<SummaryStandIn>>
}

export const summary: SummaryStandIn = {
  addHeading: vi.fn(() => summary),
  addRaw: vi.fn(() => summary),
  write: vi.fn(() => Promise.resolve(summary))
}

/** Serves inputs from a record, as the runner does from `with:`; a missing input is empty. */
export function givenInputs(inputs: Readonly<Record<string, string>>): void {
  getInput.mockImplementation((name) => inputs[name] ?? '')
}
