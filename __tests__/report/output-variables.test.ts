import { describe, expect, it } from 'vitest'
import { stringMatching } from '../../__fixtures__/expect.js'
import { InputError } from '../../src/portable/errors.js'
import { parseOutputVariables } from '../../src/report/output-variables.js'

describe('parseOutputVariables', () => {
  it('is undefined for an empty input', () => {
    expect(parseOutputVariables('  \n ')).toBeUndefined()
  })

  it('reads what toJSON(steps.x.outputs) gives, numbers and booleans as strings', () => {
    expect(parseOutputVariables('{\n  "TAG": "v1",\n  "N": 3.5,\n  "OK": false\n}')).toEqual({
      variables: { TAG: 'v1', N: '3.5', OK: 'false' },
      warnings: []
    })
  })

  it('keeps numbers exactly as written, however large or precise', () => {
    expect(
      parseOutputVariables('{"BIG": 12345678901234567890, "HUGE": 1e400, "ONE": 1.0, "NEG": -0.5E-3}')?.variables
    ).toEqual({ BIG: '12345678901234567890', HUGE: '1e400', ONE: '1.0', NEG: '-0.5E-3' })
  })

  it('reads names with escapes, and values next to nested data it then refuses', () => {
    expect(parseOutputVariables(' { "A\\u0042" : "x\\"}" ,"C":true } ')?.variables).toEqual({ AB: 'x"}', C: 'true' })
  })

  it('keeps the spaces around every value in lines alike, the first and last lines too', () => {
    expect(parseOutputVariables('  A= one \n B =two \nC= three ')?.variables).toEqual({
      A: ' one ',
      B: 'two ',
      C: ' three '
    })
  })

  it('reads {} as no variables at all', () => {
    expect(parseOutputVariables('{}')?.variables).toEqual({})
  })

  it('keeps a name such as __proto__ as an ordinary variable', () => {
    const parsed = parseOutputVariables('{"__proto__": "x"}')!.variables
    expect(Object.keys(parsed)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
    expect(parseOutputVariables('__proto__=y')!.variables).toHaveProperty('__proto__', 'y')
  })

  it('reads NAME=value lines, CRLF included, splitting at the first =', () => {
    expect(parseOutputVariables('A=1\r\nB=x=y\r\n\r\n@c-d_e=\r\n')?.variables).toEqual({
      A: '1',
      B: 'x=y',
      '@c-d_e': ''
    })
  })

  it.each([
    ['{"a b": "1"}', /the name "a b" has characters/],
    ['{"A": null}', /"A" is null/],
    ['[]', /not an array/],
    ['{', /does not parse/],
    ['=1', /line 1 has no name before '='/],
    ['A=1\nB', /line 2 has no '='/],
    ['A=1\nA=2', /"A" appears more than once/],
    ['{"A": "1", "A": "2"}', /the name "A" appears more than once in the JSON object.*Give each variable one member/],
    ['{"A": "1", "B": {"A": [1, "]"]}}', /the value of "B" is an object/],
    ['{"A": [1]}', /the value of "A" is an array/]
  ])('rejects %j', (text, message) => {
    let thrown: unknown
    try {
      parseOutputVariables(text)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(InputError)
    expect((thrown as InputError).input).toBe('output-variables')
    expect((thrown as InputError).message).toMatch(message)
  })

  it('counts the size limit in UTF-8 bytes, names included', () => {
    expect(() => parseOutputVariables(`AB=${'é'.repeat(61_439)}`)).not.toThrow()
    expect(() => parseOutputVariables(`ABC=${'é'.repeat(61_439)}`)).toThrow(/122881 bytes/)
  })

  it('warns about values longer than a configuration field holds', () => {
    expect(parseOutputVariables(`OK=${'x'.repeat(1000)}\nLONG=${'x'.repeat(1001)}`)?.warnings).toEqual([
      stringMatching(/^Output variable "LONG" is 1001 characters long.*#\{Namespace\.LONG\}/)
    ])
  })
})
