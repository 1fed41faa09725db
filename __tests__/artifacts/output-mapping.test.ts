import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  parseOutputArtifacts,
  planOutputArtifacts,
  type OutputArtifactLine
} from '../../src/artifacts/output-mapping.js'
import { isInside } from '../../src/artifacts/paths.js'

const location = (key: string) => ({ location: { s3Location: { bucketName: 'b', objectKey: key } } })
const inside = (lines: OutputArtifactLine[]) => ({ lines, outsideWorkspace: false })

describe('parseOutputArtifacts', () => {
  it('reads Name=path lines, skipping blanks and comments', () => {
    expect(parseOutputArtifacts('# outputs\nBuildOutput = dist/\n\nImages=imagedefinitions.json\n')).toEqual([
      { name: 'BuildOutput', path: 'dist/' },
      { name: 'Images', path: 'imagedefinitions.json' }
    ])
    expect(parseOutputArtifacts('  ')).toBeUndefined()
    expect(parseOutputArtifacts('dist')).toEqual([{ name: undefined, path: 'dist' }])
  })

  it.each([
    ['bad name=x', /"bad name" is not an artifact name/],
    ['A=', /line 1 has no path/],
    ['A=x\nA=y', /"A" is given twice/],
    ['dist\nA=x', /a bare path is allowed only as the one line/]
  ])('rejects %j', (text, message) => {
    expect(() => parseOutputArtifacts(text)).toThrow(message)
  })
})

describe('planOutputArtifacts', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'plan-'))
  mkdirSync(join(workspace, 'dist'))
  writeFileSync(join(workspace, 'dist/a.txt'), 'a')
  writeFileSync(join(workspace, 'bundle.ZIP'), 'PK')
  writeFileSync(join(workspace, 'defs.json'), '[]')

  it('matches by name, whatever the order, and knows each kind', () => {
    const plans = planOutputArtifacts(
      inside([
        { name: 'Second', path: 'bundle.ZIP' },
        { name: 'First', path: 'dist' },
        { name: 'Third', path: join(workspace, 'defs.json') }
      ]),
      [
        { name: 'First', ...location('k1') },
        { name: 'Second', ...location('k2') },
        { name: 'Third', ...location('k3') }
      ],
      workspace
    )
    expect(plans.map((plan) => [plan.name, plan.kind, plan.objectKey])).toEqual([
      ['Second', 'zip', 'k2'],
      ['First', 'directory', 'k1'],
      ['Third', 'file', 'k3']
    ])
    expect(plans[1]?.path).toBe(join(workspace, 'dist'))
  })

  it("gives a bare path to the job's one output artifact, and to no other", () => {
    const [plan] = planOutputArtifacts(inside([{ path: 'dist' }]), [{ name: 'Only', ...location('k') }], workspace)
    expect(plan).toMatchObject({ name: 'Only', kind: 'directory', objectKey: 'k' })
    expect(() =>
      planOutputArtifacts(
        inside([{ path: 'dist' }]),
        [
          { name: 'A', ...location('a') },
          { name: 'B', ...location('b') }
        ],
        workspace
      )
    ).toThrow(/a bare path needs exactly one output artifact, and the job has 2/)
  })

  describe('keeps mapped paths inside the workspace', () => {
    const outside = mkdtempSync(join(tmpdir(), 'outside-'))
    writeFileSync(join(outside, 'credentials'), 'secret')
    symlinkSync(join(outside, 'credentials'), join(workspace, 'creds.json'))
    symlinkSync(outside, join(workspace, 'elsewhere'))
    const plan = (path: string, outsideWorkspace = false) =>
      planOutputArtifacts(
        { lines: [{ name: 'Out', path }], outsideWorkspace },
        [{ name: 'Out', ...location('k') }],
        workspace
      )

    it.each([
      [
        'a path that climbs out',
        relative(workspace, outside),
        /the path "\.\.\/outside-\w+" for "Out" is outside the workspace/
      ],
      ['an absolute path elsewhere', outside, /is outside the workspace/],
      [
        'a link to a file outside',
        'creds.json',
        /"creds\.json" for "Out" leads outside the workspace through a symbolic link, to ".*credentials"/
      ],
      ['a link to a directory outside', 'elsewhere', /leads outside the workspace through a symbolic link/]
    ])('refuses %s, naming the opt-out', (_, path, message) => {
      expect(() => plan(path)).toThrow(message)
      expect(() => plan(path)).toThrow(/set 'output-artifacts-outside-workspace: true'/)
    })

    it('takes absolute paths inside the workspace, and any path once output-artifacts-outside-workspace is true', () => {
      expect(plan(join(workspace, 'dist'))[0]?.kind).toBe('directory')
      expect(plan(outside, true)[0]?.kind).toBe('directory')
      expect(plan('creds.json', true)[0]?.kind).toBe('file')
    })
  })

  it('says there is nothing to upload to when the job has no outputs', () => {
    expect(() => planOutputArtifacts(inside([{ name: 'A', path: 'dist' }]), [], workspace)).toThrow(
      /This job has no output artifacts, so remove output-artifacts\./
    )
  })
})

describe('isInside', () => {
  it.each([
    ['/w/a', '/w/a', true],
    ['/w/a', '/w/a/b/c', true],
    ['/w/a', '/w/a/..b', true],
    ['/w/a', '/w/ab', false],
    ['/w/a', '/w', false],
    ['/w/a', '/etc/passwd', false]
  ])('%s holds %s: %s', (root, path, expected) => {
    expect(isInside(root, path)).toBe(expected)
  })
})
