import { describe, expect, it } from 'vitest'
import { stringMatching } from '../../__fixtures__/expect.js'
import { closedDelivered, readReport, sameReport, storedReport, type RunReport } from '../../src/bridge/run-report.js'
import { FAILURE_TYPES, OUTPUT_VARIABLES_MAX_BYTES } from '../../src/portable/limits.js'

const JOB = '0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11'
const RUN_ID = 4242424242
const REVISION = {
  revision: '0123456789abcdef0123456789abcdef01234567',
  changeIdentifier: 'main',
  revisionSummary: 'Add the deploy step'
}

/** The report read from a result body with this success or failure. */
const success = (fields: unknown): ReturnType<typeof readReport> => readReport({ jobId: JOB, success: fields }, RUN_ID)
const failure = (fields: unknown): ReturnType<typeof readReport> => readReport({ jobId: JOB, failure: fields }, RUN_ID)

/** The problems of a refused report, or a failure naming what was read instead. */
function problemsOf(read: ReturnType<typeof readReport>): string[] {
  if (!('problems' in read)) throw new Error(`The report was read as a ${read.kind}: ${JSON.stringify(read.fields)}`)
  return read.problems
}

/** What readReport said, in a line: what a failing test shows. */
function verdict(read: () => ReturnType<typeof readReport>): string {
  try {
    const report = read()
    return 'problems' in report ? 'refused' : `read as a ${report.kind}`
  } catch (error) {
    return `threw ${String(error)}`
  }
}

describe('readReport', () => {
  it('reads a success into PutJobSuccessResult’s fields, with the run’s ID as the external execution ID', () => {
    const variables = { IMAGE_TAG: 'build-7', 'deploy@region_1-a': 'us-east-1' }
    expect(
      success({
        currentRevision: REVISION,
        executionDetails: {
          summary: 'Built and tested',
          percentComplete: 100,
          externalExecutionId: 'the run’s choice'
        },
        outputVariables: variables
      })
    ).toStrictEqual({
      kind: 'success',
      fields: {
        currentRevision: REVISION,
        executionDetails: { summary: 'Built and tested', percentComplete: 100, externalExecutionId: String(RUN_ID) },
        outputVariables: variables
      }
    })
  })

  it('completes the job when the success leaves out how far it got', () => {
    expect(success({})).toEqual({
      kind: 'success',
      fields: { executionDetails: { percentComplete: 100, externalExecutionId: String(RUN_ID) } }
    })
    expect(success({ executionDetails: { summary: 'Done' } })).toMatchObject({
      fields: { executionDetails: { summary: 'Done', percentComplete: 100 } }
    })
  })

  it('refuses a success with a continuation token, and says to leave it out', () => {
    expect(problemsOf(success({ continuationToken: 'step-2' }))).toEqual([
      stringMatching(/^a run may not continue the job: .*leave out continuation-token and send progress instead$/)
    ])
    expect(problemsOf(success({ continuationToken: '' }))).toHaveLength(1)
  })

  it.each([
    ['executionDetails as text', { executionDetails: 'done' }, /success\.executionDetails must be an object/],
    ['executionDetails as null', { executionDetails: null }, /success\.executionDetails must be an object/],
    ['a summary as a number', { executionDetails: { summary: 7 } }, /executionDetails\.summary must be text/],
    [
      'percentComplete as text',
      { executionDetails: { percentComplete: '100' } },
      /executionDetails\.percentComplete must be a number/
    ],
    [
      'currentRevision as text',
      { currentRevision: REVISION.revision },
      /success\.currentRevision must hold revision and changeIdentifier/
    ],
    [
      'currentRevision as an array',
      { currentRevision: [REVISION] },
      /success\.currentRevision must hold revision and changeIdentifier/
    ],
    ['outputVariables as an array', { outputVariables: ['A=1'] }, /success\.outputVariables must map names to text/],
    [
      'an output variable as a number',
      { outputVariables: { A: 1 } },
      /success\.outputVariables must map names to text/
    ],
    ['an output variable as null', { outputVariables: { A: null } }, /success\.outputVariables must map names to text/]
  ])('refuses a success with %s', (_name, fields, because) => {
    expect(problemsOf(success(fields))).toEqual([stringMatching(because)])
  })

  it('names every wrong type at once', () => {
    expect(
      problemsOf(success({ executionDetails: { summary: 1, percentComplete: 'all' }, outputVariables: 'A=1' }))
    ).toHaveLength(3)
  })

  it.each([
    ['a revision of more than 1500 characters', { currentRevision: { ...REVISION, revision: 'r'.repeat(1501) } }],
    ['a revision without a change identifier', { currentRevision: { revision: REVISION.revision } }],
    ['an empty summary', { executionDetails: { summary: '' } }],
    ['a summary of more than 2048 characters', { executionDetails: { summary: 's'.repeat(2049) } }],
    ['a percentage over 100', { executionDetails: { percentComplete: 101 } }],
    ['a negative percentage', { executionDetails: { percentComplete: -1 } }],
    ['a percentage that is not whole', { executionDetails: { percentComplete: 99.5 } }]
  ])('refuses a success that breaks CodePipeline’s limits: %s', (_name, fields) => {
    expect(problemsOf(success(fields)).length).toBeGreaterThan(0)
  })

  it.each([
    ['a revision that is not text', { ...REVISION, revision: [REVISION.revision] }],
    ['a change identifier that is not text', { ...REVISION, changeIdentifier: ['main'] }],
    ['a revision that is null', { ...REVISION, revision: null }],
    ['a revision summary that is null', { ...REVISION, revisionSummary: null }]
  ])('refuses a current revision with %s, as a problem of the run’s', (_name, currentRevision) => {
    expect(verdict(() => success({ currentRevision }))).toBe('refused')
  })

  describe('output variables', () => {
    it('takes names of letters, digits, @, - and _', () => {
      expect(success({ outputVariables: { 'Az09@-_': 'v' } })).toMatchObject({ kind: 'success' })
    })

    it.each(['has space', 'dotted.name', 'ünïcode', 'slash/name', ''])('refuses the name %j', (name) => {
      expect(problemsOf(success({ outputVariables: { [name]: 'value' } }))).toEqual([
        `output variable name ${JSON.stringify(name)} must match [A-Za-z0-9@\\-_]+`
      ])
    })

    it('takes names and values of up to 122,880 bytes in all, and refuses one byte more', () => {
      const value = 'v'.repeat(OUTPUT_VARIABLES_MAX_BYTES - 'NAME'.length)
      expect(success({ outputVariables: { NAME: value } })).toMatchObject({ kind: 'success' })
      expect(problemsOf(success({ outputVariables: { NAME: `${value}v` } }))).toEqual([
        `outputVariables total ${OUTPUT_VARIABLES_MAX_BYTES + 1} bytes, over ${OUTPUT_VARIABLES_MAX_BYTES}`
      ])
    })

    it('counts the bytes of UTF-8, not the characters', () => {
      const half = 'é'.repeat(OUTPUT_VARIABLES_MAX_BYTES / 2)
      expect(problemsOf(success({ outputVariables: { A: half } }))).toEqual([stringMatching(/over 122880/)])
    })
  })

  it.each(FAILURE_TYPES)('reads a failure of type %s, with the run’s ID as the external execution ID', (type) => {
    expect(failure({ type, message: 'The tests failed', externalExecutionId: 'the run’s choice' })).toStrictEqual({
      kind: 'failure',
      fields: { failureDetails: { type, message: 'The tests failed', externalExecutionId: String(RUN_ID) } }
    })
  })

  it('refuses a failure of a type CodePipeline does not know', () => {
    const problems = problemsOf(failure({ type: 'TestsFailed', message: 'The tests failed' }))
    expect(problems.length).toBeGreaterThan(0)
    for (const problem of problems) expect(problem).toMatch(/type must be one of JobFailed, ConfigurationError/)
    expect(problemsOf(failure({ type: 'jobfailed', message: 'x' })).length).toBeGreaterThan(0)
    expect(problemsOf(failure({ message: 'x' })).length).toBeGreaterThan(0)
  })

  it.each([
    ['no message', { type: 'JobFailed' }],
    ['an empty message', { type: 'JobFailed', message: '' }],
    ['a message of more than 5000 characters', { type: 'JobFailed', message: 'm'.repeat(5001) }],
    ['a message that is a number', { type: 'JobFailed', message: 404 }],
    ['a message that is null', { type: 'JobFailed', message: null }],
    ['a type that is null', { type: null, message: 'The tests failed' }]
  ])('refuses a failure with %s, as a problem of the run’s', (_name, fields) => {
    expect(verdict(() => failure(fields))).toBe('refused')
  })

  it.each([
    ['both a success and a failure', { success: {}, failure: { type: 'JobFailed', message: 'x' } }],
    ['neither', {}],
    ['a success that is not an object', { success: 'yes' }],
    ['a failure that is not an object', { failure: 'JobFailed' }],
    ['a success that is null', { success: null }],
    ['a success that is an array', { success: [] }]
  ])('refuses a body with %s', (_name, fields) => {
    expect(problemsOf(readReport({ jobId: JOB, ...fields }, RUN_ID))).toEqual([
      'the body must have either success or failure, an object'
    ])
  })

  it('reads a failure beside a success that is not an object as the failure', () => {
    expect(
      readReport({ jobId: JOB, success: null, failure: { type: 'JobFailed', message: 'x' } }, RUN_ID)
    ).toMatchObject({ kind: 'failure' })
  })
})

describe('sameReport', () => {
  const read = (fields: unknown): RunReport => {
    const report = success(fields)
    if ('problems' in report) throw new Error(report.problems.join('; '))
    return report
  }
  const REPORT = read({
    currentRevision: REVISION,
    executionDetails: { summary: 'Built' },
    outputVariables: { A: '1' }
  })

  it('knows a report sent again', () => {
    const kept = storedReport(REPORT)
    expect(sameReport(kept, REPORT)).toBe(true)
    expect(
      sameReport(
        kept,
        read({ currentRevision: REVISION, executionDetails: { summary: 'Built' }, outputVariables: { A: '1' } })
      )
    ).toBe(true)
  })

  it('keeps the report as the JSON of its fields', () => {
    const kept = storedReport(REPORT)
    expect(kept.reportKind).toBe('success')
    expect(JSON.parse(Buffer.from(kept.report).toString('utf8'))).toEqual(REPORT.fields)
  })

  it('tells a different report from the one kept', () => {
    const kept = storedReport(REPORT)
    expect(
      sameReport(
        kept,
        read({ currentRevision: REVISION, executionDetails: { summary: 'Built' }, outputVariables: { A: '2' } })
      )
    ).toBe(false)
    expect(sameReport(kept, read({ currentRevision: REVISION, executionDetails: { summary: 'Built' } }))).toBe(false)
    expect(sameReport(kept, read({}))).toBe(false)
  })

  it('tells a failure from a success with the same fields', () => {
    expect(sameReport(storedReport(REPORT), { kind: 'failure', fields: REPORT.fields })).toBe(false)
  })

  it('tells failures of another type or message apart', () => {
    const kept = storedReport({ kind: 'failure', fields: { failureDetails: { type: 'JobFailed', message: 'x' } } })
    expect(sameReport(kept, { kind: 'failure', fields: { failureDetails: { type: 'JobFailed', message: 'x' } } })).toBe(
      true
    )
    expect(sameReport(kept, { kind: 'failure', fields: { failureDetails: { type: 'JobFailed', message: 'y' } } })).toBe(
      false
    )
    expect(
      sameReport(kept, { kind: 'failure', fields: { failureDetails: { type: 'ConfigurationError', message: 'x' } } })
    ).toBe(false)
  })
})

describe('closedDelivered', () => {
  it('counts a record closed by the delivery, or by the action’s event for the same outcome, as delivered', () => {
    expect(closedDelivered("delivered the run's success", 'success')).toBe(true)
    expect(closedDelivered('the action succeeded', 'success')).toBe(true)
    expect(closedDelivered('the action failed', 'failure')).toBe(true)
    expect(closedDelivered('the action failed', 'success')).toBe(false)
    expect(closedDelivered('CodePipeline refused the run’s result', 'success')).toBe(false)
    expect(closedDelivered(undefined, 'failure')).toBe(false)
  })
})
