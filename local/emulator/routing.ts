import type { IncomingMessage } from 'node:http'
import { OPERATIONS, validate } from './model.js'
import { OPERATION_HANDLERS, ServiceError, type Account } from './operations.js'
import { verifySigV4 } from './sigv4.js'

const TARGET_PREFIX = 'CodePipeline_20150709.'
const CONTROL_PREFIX = '/_emulator/'

/** A request to the service: the operation X-Amz-Target names, and its JSON body. */
export interface ServiceCall {
  readonly operation: string
  /** The parsed body; `{}` when it is not JSON, so that the model check names what is missing. */
  readonly body: Record<string, unknown>
  readonly raw: Buffer
}

/** The control path of a request to the test and demo controls, or undefined for a service request. */
export function controlPath(request: IncomingMessage): string | undefined {
  return request.url?.startsWith(CONTROL_PREFIX) ? request.url.slice(CONTROL_PREFIX.length) : undefined
}

export function readCall(request: IncomingMessage, raw: Buffer): ServiceCall {
  const target = request.headers['x-amz-target']
  const operation =
    typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : ''
  return { operation, body: parseObject(raw), raw }
}

/**
 * Checks a call as the service does, in the service's order (path, content
 * type, signature, operation, model), then runs its operation.
 */
export function serve(
  request: IncomingMessage,
  call: ServiceCall,
  account: Account,
  secrets: ReadonlyMap<string, string>
): Record<string, unknown> {
  if (request.method !== 'POST' || request.url !== '/')
    throw new ServiceError('UnknownOperationException', 'Use POST /', 404)
  const contentType = request.headers['content-type']
  if (contentType !== 'application/x-amz-json-1.1') {
    throw new ServiceError(
      'SerializationException',
      `Content-Type must be application/x-amz-json-1.1, not ${String(contentType)}`
    )
  }
  const signature = verifySigV4(request.method, '/', request.headers, call.raw, secrets)
  if ('type' in signature) throw new ServiceError(signature.type, signature.message, 403)
  const handler = OPERATION_HANDLERS[call.operation]
  const shape = OPERATIONS[call.operation]
  if (!handler || !shape) throw new ServiceError('UnknownOperationException', `Unknown operation ${call.operation}`)
  const problems = validate(call.body, shape, call.operation)
  if (problems.length > 0) {
    throw new ServiceError(
      'ValidationException',
      `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`
    )
  }
  return handler(call.body, account)
}

function parseObject(raw: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>
  } catch {
    return {}
  }
}
