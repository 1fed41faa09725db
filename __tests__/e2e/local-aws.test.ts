import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { instanceOf, stringContaining } from '../../__fixtures__/expect.js'
import { startS3StandIn, type S3StandIn } from '../../local/moto.js'

// The tests use moto's server for every AWS service beyond CodePipeline. This proves that the
// moto the tests found or installed serves each of them, so that a moto without its server
// extras fails here, by name, rather than somewhere in a test of the product.
let moto: S3StandIn

beforeAll(async () => {
  moto = await startS3StandIn()
})
afterAll(() => moto?.close())

interface Call {
  readonly method?: string
  readonly path?: string
  /** The operation, for the services that name it in X-Amz-Target. */
  readonly target?: string
  readonly contentType?: string
  readonly body?: unknown
}

/** moto tells the services apart by the credential scope, and does not check signatures. */
function call(service: string, { method = 'POST', path = '/', target, contentType, body }: Call): Promise<Response> {
  return fetch(`${moto.url}${path}`, {
    method,
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      ...(contentType && { 'content-type': contentType }),
      ...(target && { 'x-amz-target': target })
    },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
}

describe("moto's server", () => {
  it('serves S3', async () => {
    const response = await call('s3', { method: 'PUT', path: '/local-aws-check' })
    expect(response.status).toBe(200)
  })

  it('serves DynamoDB', async () => {
    const response = await call('dynamodb', {
      target: 'DynamoDB_20120810.ListTables',
      contentType: 'application/x-amz-json-1.0',
      body: {}
    })
    expect(await response.json()).toMatchObject({ TableNames: instanceOf<unknown[]>(Array) })
  })

  it('serves SQS', async () => {
    const response = await call('sqs', {
      target: 'AmazonSQS.CreateQueue',
      contentType: 'application/x-amz-json-1.0',
      body: { QueueName: 'local-aws-check' }
    })
    expect(await response.json()).toMatchObject({ QueueUrl: stringContaining('local-aws-check') })
  })

  it('serves Secrets Manager', async () => {
    const response = await call('secretsmanager', {
      target: 'secretsmanager.CreateSecret',
      contentType: 'application/x-amz-json-1.1',
      body: { Name: 'local-aws-check', SecretString: 'value' }
    })
    expect(await response.json()).toMatchObject({ Name: 'local-aws-check' })
  })

  it('serves EventBridge Scheduler', async () => {
    const response = await call('scheduler', {
      path: '/schedules/local-aws-check',
      contentType: 'application/json',
      body: {
        ScheduleExpression: 'rate(5 minutes)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: 'arn:aws:lambda:us-east-1:123456789012:function:dispatcher',
          RoleArn: 'arn:aws:iam::123456789012:role/scheduler'
        }
      }
    })
    expect(await response.json()).toMatchObject({
      ScheduleArn: stringContaining('schedule/default/local-aws-check')
    })
  })
})
