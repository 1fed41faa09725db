import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { INPUT_NAMES } from '../../src/report/inputs.js'
import { ACTION_NAME, ACTION_VERSION } from '../../src/portable/version.js'
import { JOB_INPUT_NAMES } from '../../src/job/inputs.js'
import { JOB_OUTPUT_NAMES, jobOutputs } from '../../src/job/outputs.js'
import { REPORT_OUTPUT_NAMES } from '../../src/report/outputs.js'
import { ACTION_DEFAULTS, JOB_ACTION_DEFAULTS } from '../../local/runner.js'

interface ActionMetadata {
  runs: { using: string; main: string; post?: string; 'post-if'?: string }
  inputs: Record<string, { description: string; required?: boolean; default?: string }>
  outputs: Record<string, { description: string }>
}

const action = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as ActionMetadata

describe('action.yml', () => {
  it('runs the bundle on Node 24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
  })

  it('declares exactly the inputs the code reads', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...INPUT_NAMES].sort())
  })

  it('describes every input and output', () => {
    for (const [name, input] of Object.entries({ ...action.inputs, ...action.outputs })) {
      expect(input.description, name).toMatch(/\S/)
    }
  })

  it('requires only job-id', () => {
    const required = Object.entries(action.inputs)
      .filter(([, input]) => input.required)
      .map(([name]) => name)
    expect(required).toEqual(['job-id'])
  })

  it('has the defaults that the end-to-end runner applies', () => {
    const declared = Object.fromEntries(
      Object.entries(action.inputs)
        .filter(([, input]) => input.default !== undefined)
        .map(([name, input]) => [name, input.default])
    )
    expect(Object.keys(declared).sort()).toEqual(Object.keys(ACTION_DEFAULTS).sort())
    for (const [name, value] of Object.entries(declared)) {
      if (name !== 'github-token') expect(ACTION_DEFAULTS[name], name).toBe(value)
    }
    expect(declared['github-token']).toBe('${{ github.token }}')
  })

  it('declares exactly the outputs the code can set', () => {
    expect(Object.keys(action.outputs).sort()).toEqual([...REPORT_OUTPUT_NAMES].sort())
  })
})

describe('version', () => {
  it('matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      name: string
      version: string
    }
    expect(ACTION_VERSION).toBe(pkg.version)
    expect(ACTION_NAME).toBe(pkg.name)
  })
})

describe('job/action.yml', () => {
  const jobAction = parse(readFileSync(new URL('../../job/action.yml', import.meta.url), 'utf8')) as ActionMetadata

  it('runs its own bundle on Node 24, and its post step whatever happened before', () => {
    expect(jobAction.runs).toEqual({
      using: 'node24',
      main: '../dist/job/index.js',
      post: '../dist/job/post/index.js',
      'post-if': 'always()'
    })
    expect(existsSync(new URL('../../dist/job/index.js', import.meta.url))).toBe(true)
    expect(existsSync(new URL('../../dist/job/post/index.js', import.meta.url))).toBe(true)
  })

  it('declares exactly the inputs the code reads, with the defaults the runner applies', () => {
    expect(Object.keys(jobAction.inputs).sort()).toEqual([...JOB_INPUT_NAMES].sort())
    const declared = Object.fromEntries(
      Object.entries(jobAction.inputs)
        .filter(([, input]) => input.default !== undefined)
        .map(([name, input]) => [name, input.default])
    )
    expect(declared).toEqual(JOB_ACTION_DEFAULTS)
    expect(Object.values(jobAction.inputs).filter((input) => input.required)).toEqual([])
  })

  it('declares exactly the outputs the code can set', () => {
    expect(Object.keys(jobAction.outputs).sort()).toEqual([...JOB_OUTPUT_NAMES].sort())
  })

  it('gives every output from the job data but those of the claim and the download', () => {
    const outputs = jobOutputs(
      {
        id: 'j',
        accountId: '1',
        data: {
          pipelineContext: {
            pipelineName: 'p',
            pipelineArn: 'a',
            pipelineExecutionId: 'e',
            stage: { name: 's' },
            action: { name: 'a', actionExecutionId: 'x' }
          },
          actionConfiguration: { configuration: {} },
          inputArtifacts: [{ name: 'n', revision: 'r' }],
          continuationToken: 't'
        }
      },
      new Set(),
      'us-east-1'
    )
    // input-artifact-paths comes from the download, and confirmed from the acknowledgment, not the job data.
    expect([...Object.keys(outputs), 'input-artifact-paths', 'confirmed'].sort()).toEqual(
      Object.keys(jobAction.outputs).sort()
    )
    for (const [name, output] of Object.entries({ ...jobAction.inputs, ...jobAction.outputs })) {
      expect(output.description, name).toMatch(/\S/)
    }
  })
})
