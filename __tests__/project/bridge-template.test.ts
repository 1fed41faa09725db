import { readFileSync, statSync } from 'node:fs'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ENVIRONMENT } from '../../src/bridge/settings.js'
import { TABLE } from '../../src/bridge/state-store.js'
import { SWEEP_EVENT } from '../../src/bridge/sweep-schedule.js'
import {
  BRIDGE_BUNDLE_PATH,
  BRIDGE_TEMPLATE_PATH,
  conditions,
  readBridgeTemplate,
  resolve,
  resource
} from '../../local/bridge-stack.js'
import { RUN_NAME } from '../../local/bridge-world.js'
import { inlineCode } from '../../local/lambda.js'

// The bridge's template deploys with one command: within CloudFormation's limits, and consistent with the code.
const template = readBridgeTemplate()
const properties = (name: string) => resource(template, name).Properties as Record<string, unknown>

/** The variables src/portable/proxy.ts reads, which the template sets from ProxyUrl and NoProxy. */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY']

/** The function as CloudFormation would make it with these parameters and the defaults. */
function deployed(parameters: Record<string, string> = {}) {
  const values: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(template.Parameters).map(([name, parameter]) => [name, String(parameter.Default ?? '')])
    ),
    ...parameters,
    'AWS::StackId':
      'arn:aws:cloudformation:us-east-1:111122223333:stack/github-bridge/0f1e2d3c-aaaa-bbbb-cccc-123456789012',
    'AWS::Region': 'us-east-1',
    'AWS::AccountId': '111122223333',
    'AWS::Partition': 'aws',
    State: 'github-bridge-State',
    'State.Arn': 'arn:aws:dynamodb:us-east-1:111122223333:table/github-bridge-State',
    'Logs.Arn': 'arn:aws:logs:us-east-1:111122223333:log-group:github-bridge-Logs',
    'SweepRole.Arn': 'arn:aws:iam::111122223333:role/github-bridge-SweepRole',
    'FunctionRole.Arn': 'arn:aws:iam::111122223333:role/github-bridge-FunctionRole',
    Logs: 'github-bridge-Logs'
  }
  Object.assign(values, conditions(template, values))
  const fn = resolve(resource(template, 'Function').Properties, values) as {
    Environment: { Variables: Record<string, string> }
    VpcConfig?: unknown
  }
  const role = resolve(resource(template, 'FunctionRole').Properties, values) as {
    Policies: { PolicyDocument: { Statement: unknown[] } }[]
  }
  return {
    function: fn,
    environment: fn.Environment.Variables,
    policy: role.Policies.flatMap((policy) => policy.PolicyDocument.Statement)
  }
}

describe('the bridge template', () => {
  it("fits CloudFormation's 51,200-byte TemplateBody limit, so that it deploys without a bucket", () => {
    expect(statSync(BRIDGE_TEMPLATE_PATH).size).toBeLessThanOrEqual(51_200)
  })

  it('carries dist/bridge/index.js, byte for byte, as the inline code of a nodejs24.x function', () => {
    // The inline loader itself unpacks the code, with the Function it would run it by standing in to catch it.
    let unpacked: string | undefined
    const catcher = function (...parts: string[]) {
      unpacked = parts.at(-1)
      return () => undefined
    }
    runInNewContext(inlineCode(), {
      Buffer,
      require,
      Function: catcher,
      exports: {},
      module: {},
      __filename: 'index.js',
      __dirname: '.'
    })
    expect(unpacked).toBe(readFileSync(BRIDGE_BUNDLE_PATH, 'utf8'))
    expect(properties('Function')).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'index.handler' })
  })

  it('sets every environment variable the handler reads, and the proxy variables', () => {
    const variables = Object.keys((properties('Function').Environment as { Variables: object }).Variables)
    const optional: string[] = [ENVIRONMENT.logLevel, ENVIRONMENT.scheduleGroup]
    expect(variables.sort()).toEqual(
      [...Object.values(ENVIRONMENT).filter((name) => !optional.includes(name)), ...PROXY_VARIABLES].sort()
    )
  })

  it('sets the proxy variables only when ProxyUrl and NoProxy are given', () => {
    expect(Object.keys(deployed().environment).filter((name) => PROXY_VARIABLES.includes(name))).toEqual([])
    const proxy = 'http://proxy.example.com:3128'
    expect(deployed({ ProxyUrl: proxy, NoProxy: '.internal, s3.amazonaws.com' }).environment).toMatchObject({
      HTTPS_PROXY: proxy,
      HTTP_PROXY: proxy,
      NO_PROXY: '.internal, s3.amazonaws.com'
    })
  })

  it('refuses a ProxyUrl that holds credentials: they come from their own secret, which the role may read only when it is given', () => {
    const parameter = (name: string) =>
      template.Parameters[name] as { AllowedPattern: string; ConstraintDescription?: string; Default: string }
    const proxyUrl = new RegExp(parameter('ProxyUrl').AllowedPattern)
    for (const url of ['', 'http://proxy.example.com:3128', 'https://proxy.example.com/', 'http://10.0.0.1:8080'])
      expect(proxyUrl.test(url), url).toBe(true)
    for (const url of [
      'http://user:password@proxy.example.com:3128',
      'http://user@proxy.example.com:3128',
      'http://:password@proxy.example.com',
      'https://user:p%40ss@proxy.example.com/',
      'http://proxy.example.com:3128/path'
    ])
      expect(proxyUrl.test(url), url).toBe(false)
    expect(parameter('ProxyUrl').ConstraintDescription).toContain('ProxyCredentialsSecretArn')
    const secretArn = new RegExp(parameter('ProxyCredentialsSecretArn').AllowedPattern)
    const arn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:github-bridge/proxy-AbCdEf'
    expect(parameter('ProxyCredentialsSecretArn').Default).toBe('')
    expect([secretArn.test(''), secretArn.test(arn), secretArn.test('user:password')]).toEqual([true, true, false])

    const proxy = 'http://proxy.example.com:3128'
    const github = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:github-bridge/credentials-AbCdEf'
    const without = deployed({ ProxyUrl: proxy, GitHubCredentialsSecretArn: github })
    expect(without.environment[ENVIRONMENT.proxySecretId]).toBe('')
    const secretReads = (policy: unknown[]) =>
      policy.filter((statement) => JSON.stringify(statement).includes('secretsmanager:GetSecretValue'))
    expect(secretReads(without.policy)).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [github] }
    ])
    const given = deployed({ ProxyUrl: proxy, GitHubCredentialsSecretArn: github, ProxyCredentialsSecretArn: arn })
    expect(given.environment).toMatchObject({ HTTPS_PROXY: proxy, [ENVIRONMENT.proxySecretId]: arn })
    expect(secretReads(given.policy)).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [github, arn] }
    ])
  })

  it('runs the function in a VPC only when subnets are given, and only then lets its role place network interfaces', () => {
    const outside = deployed()
    expect(outside.function.VpcConfig).toBeUndefined()
    expect(JSON.stringify(outside.policy)).not.toContain('ec2:')
    const inside = deployed({ SubnetIds: 'subnet-0a1b2c3d,subnet-4e5f6a7b', SecurityGroupIds: 'sg-0123abcd' })
    expect(inside.function.VpcConfig).toEqual({
      SubnetIds: 'subnet-0a1b2c3d,subnet-4e5f6a7b',
      SecurityGroupIds: 'sg-0123abcd'
    })
    expect(inside.policy).toContainEqual(
      expect.objectContaining({ Action: expect.arrayContaining(['ec2:CreateNetworkInterface']) as unknown })
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
        },
        // Keys only: a run's call finds its record here, then reads it whole.
        {
          IndexName: TABLE.jobIndex,
          KeySchema: [{ AttributeName: 'runJobId', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' }
        }
      ],
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true }
    })
  })

  it('gives runs a public function URL, whose token is the authentication, allowed by exactly the two statements it needs', () => {
    expect(properties('RunsUrl')).toEqual({ TargetFunctionArn: { Ref: 'Function' }, AuthType: 'NONE' })
    const permissions = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Permission')
      .map(([name]) => properties(name))
      .filter((permission) => permission.Principal === '*')
    expect(permissions).toEqual([
      {
        FunctionName: { Ref: 'Function' },
        Action: 'lambda:InvokeFunctionUrl',
        Principal: '*',
        FunctionUrlAuthType: 'NONE'
      },
      {
        FunctionName: { Ref: 'Function' },
        Action: 'lambda:InvokeFunction',
        Principal: '*',
        InvokedViaFunctionUrl: true
      }
    ])
    const outputs = (template as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs
    expect(outputs.RunsEndpoint?.Value).toEqual({
      'Fn::GetAtt': ['RunsUrl', 'FunctionUrl']
    })
  })

  it('reserves concurrency only when ReservedConcurrency is given, as an account under 100 cannot', () => {
    expect(deployed().function).not.toHaveProperty('ReservedConcurrentExecutions')
    expect(deployed({ ReservedConcurrency: '20' }).function).toMatchObject({ ReservedConcurrentExecutions: '20' })
  })

  it('takes GitHub’s OIDC issuer by default, and only an https one', () => {
    const parameter = template.Parameters.OidcIssuer as { Default: string; AllowedPattern: string }
    expect(parameter.Default).toBe('https://token.actions.githubusercontent.com')
    const pattern = new RegExp(parameter.AllowedPattern)
    expect(pattern.test('https://ghes.example.com/_services/token')).toBe(true)
    expect(pattern.test('http://token.example.com')).toBe(false)
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
