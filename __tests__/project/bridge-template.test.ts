import { readFileSync, statSync } from 'node:fs'
import { brotliDecompressSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ENVIRONMENT } from '../../src/bridge/settings.js'
import { TABLE } from '../../src/bridge/store.js'
import { SWEEP_EVENT } from '../../src/bridge/sweep-schedule.js'
import { BRIDGE_BUNDLE_PATH, BRIDGE_TEMPLATE_PATH, readBridgeTemplate, resource } from '../support/bridge-stack.js'
import { RUN_NAME } from '../support/bridge-world.js'
import { inlineCode } from '../support/lambda.js'

// The bridge's template deploys with one command: within CloudFormation's limits, and consistent with the code.
const template = readBridgeTemplate()
const properties = (name: string) => resource(template, name).Properties as Record<string, unknown>

describe('the bridge template', () => {
  it("fits CloudFormation's 51,200-byte TemplateBody limit, so that it deploys without a bucket", () => {
    expect(statSync(BRIDGE_TEMPLATE_PATH).size).toBeLessThanOrEqual(51_200)
  })

  it('carries dist/bridge/index.js, byte for byte, as the inline code of a nodejs24.x function', () => {
    const packed = /Buffer\.from\('([A-Za-z0-9+/=]+)', 'base64'\)/.exec(inlineCode())?.[1]
    expect(brotliDecompressSync(Buffer.from(packed ?? '', 'base64'))).toEqual(readFileSync(BRIDGE_BUNDLE_PATH))
    expect(properties('Function')).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'index.handler' })
  })

  it('sets every environment variable the handler reads', () => {
    const variables = Object.keys((properties('Function').Environment as { Variables: object }).Variables)
    const optional: string[] = [ENVIRONMENT.logLevel, ENVIRONMENT.scheduleGroup]
    expect(variables.sort()).toEqual(
      Object.values(ENVIRONMENT)
        .filter((name) => !optional.includes(name))
        .sort()
    )
  })

  it('makes an action type with no queryable property, whose runs open from the pipeline', () => {
    const type = properties('ActionType') as { ConfigurationProperties: { Name: string; Queryable: boolean }[] }
    expect(type.ConfigurationProperties.map((property) => property.Name)).toEqual([
      'Owner',
      'Repo',
      'Workflow',
      'Branch'
    ])
    expect(type.ConfigurationProperties.every((property) => !property.Queryable)).toBe(true)
    expect(type).toMatchObject({
      Settings: {
        ExecutionUrlTemplate: {
          'Fn::Sub': '${GitHubServerUrl}/{Config:Owner}/{Config:Repo}/actions/runs/{ExternalExecutionId}'
        }
      }
    })
  })

  it('routes the action type’s state changes to the function, filtered on owner, provider and category, not version', () => {
    expect(properties('Events').EventPattern).toEqual({
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Action Execution State Change'],
      detail: {
        state: ['STARTED', 'SUCCEEDED', 'FAILED', 'CANCELED', 'ABANDONED'],
        type: { owner: ['Custom'], provider: [{ Ref: 'ActionProvider' }], category: [{ Ref: 'ActionCategory' }] }
      }
    })
  })

  it('lets the function poll only its own action type', () => {
    const statements = (
      properties('FunctionRole').Policies as {
        PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] }
      }[]
    )[0]!.PolicyDocument.Statement
    const poll = statements.filter((statement) => [statement.Action].flat().includes('codepipeline:PollForJobs'))
    expect(poll).toEqual([
      {
        Effect: 'Allow',
        Action: 'codepipeline:PollForJobs',
        Resource: {
          'Fn::Sub':
            'arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:actiontype:Custom/${ActionCategory}/${ActionProvider}/${ActionVersion}'
        }
      }
    ])
    expect(statements.flatMap((statement) => [statement.Action].flat())).not.toContain('codepipeline:*')
  })

  it('keys the table, its index of open work and its TTL as the store expects', () => {
    expect(properties('State')).toMatchObject({
      KeySchema: [{ AttributeName: TABLE.key, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: TABLE.openIndex,
          KeySchema: [
            { AttributeName: TABLE.openAttribute, KeyType: 'HASH' },
            { AttributeName: TABLE.key, KeyType: 'RANGE' }
          ]
        }
      ],
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true }
    })
  })

  it('leaves the sweep disabled until work is open, sending the event the handler knows, to the schedule it updates', () => {
    const sweep = properties('Sweep') as { Name: unknown; State: string; Target: { Input: string } }
    expect(sweep.State).toBe('DISABLED')
    expect(JSON.parse(sweep.Target.Input)).toEqual(SWEEP_EVENT)
    const variables = (properties('Function').Environment as { Variables: Record<string, unknown> }).Variables
    expect(variables[ENVIRONMENT.scheduleName]).toEqual(sweep.Name)
  })
})

describe('the dispatched example workflow', () => {
  const workflow = parse(
    readFileSync(new URL('../../examples/workflows/dispatch-build-and-report.yml', import.meta.url), 'utf8')
  ) as {
    'run-name': string
    concurrency: { group: string }
    on: { workflow_dispatch: { inputs: Record<string, { required: boolean }> } }
  }

  it('names each run after its job, so that the bridge can find it, and runs one at a time per job', () => {
    expect(workflow['run-name']).toBe(RUN_NAME)
    expect(workflow.concurrency.group).toContain('${{ inputs.job-id }}')
    expect(workflow.on.workflow_dispatch.inputs).toEqual({
      'job-id': expect.objectContaining({ required: true }) as unknown
    })
  })
})
