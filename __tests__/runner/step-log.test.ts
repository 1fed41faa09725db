import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as core from '../../__fixtures__/core.js'
import { commandsIn, dotNetWhiteSpace } from '../../local/runner-commands.js'

vi.mock('@actions/core', () => core)

const log = await import('../../src/runner/step-log.js')

/** What the step printed, as the runner sees its output: core.info adds the line ending. */
let printed = ''
beforeEach(() => {
  printed = ''
  core.info.mockImplementation((text) => (printed += `${text}\n`))
})

const WHITESPACE = dotNetWhiteSpace()
const LINE_BREAKS = { LF: '\n', CR: '\r', CRLF: '\r\n' }
const name = (char: string): string => `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`

describe('the whitespace the runner trims', () => {
  it('is what .NET documents for Char.IsWhiteSpace: 25 code units, NEL among them', () => {
    expect(WHITESPACE).toHaveLength(25)
    expect(WHITESPACE).toContain('\u0085')
    expect(WHITESPACE).not.toContain('\ufeff')
  })
})

describe('neutraliseCommands', () => {
  it.each(WHITESPACE.map((char) => [name(char), char]))(
    'leaves no command after %s, at the start or after any line break',
    (_, char) => {
      const payloads = [
        `${char}::add-mask::x`,
        `${char}${char}::stop-commands::t`,
        ...Object.values(LINE_BREAKS).map((lineBreak) => `Tests failed${lineBreak}${char}::warning::x`),
        `a\r\n${char} \t::error::x\n${char}##[add-mask]x`
      ]
      for (const payload of payloads) log.info(payload)
      expect(commandsIn(printed)).toEqual([])
    }
  )

  it('keeps the text readable, whitespace and all', () => {
    log.info('Tests failed\n\u0085::warning::x\r  ::add-mask::x\nsee ##[add-mask]x')
    expect(printed).toBe('Tests failed\n\u0085\\::warning::x\n  \\::add-mask::x\nsee ##\\[add-mask]x\n')
  })

  it('neutralises annotations too, before @actions/core escapes their line breaks', () => {
    log.error('\u2028::add-mask::x')
    log.setFailed('\u00a0::stop-commands::t')
    expect(core.error).toHaveBeenCalledWith('\u2028\\::add-mask::x')
    expect(core.setFailed).toHaveBeenCalledWith('\u00a0\\::stop-commands::t')
  })
})
