import { createHash, createHmac } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/** Why a request's signature was refused, as CodePipeline would name it. */
export interface SignatureProblem {
  readonly type:
    | 'MissingAuthenticationTokenException'
    | 'IncompleteSignatureException'
    | 'UnrecognizedClientException'
    | 'InvalidSignatureException'
  readonly message: string
}

export interface VerifiedSignature {
  readonly accessKeyId: string
  readonly region: string
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/

/**
 * Checks an AWS Signature Version 4 header the way the service does: the
 * scope names CodePipeline, the key is known, and the signature matches.
 */
export function verifySigV4(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  secrets: ReadonlyMap<string, string>
): VerifiedSignature | SignatureProblem {
  const authorization = headers.authorization
  if (!authorization) return { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' }
  const match = AUTHORIZATION.exec(authorization)
  if (!match) return { type: 'IncompleteSignatureException', message: 'Authorization header is not a SigV4 header' }
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = match
  if (!accessKeyId || !date || !region || !service || !signedHeaderList || !signature) {
    return { type: 'IncompleteSignatureException', message: 'Authorization header is not a SigV4 header' }
  }
  const amzDate = header(headers, 'x-amz-date')
  if (!amzDate?.startsWith(date)) {
    return {
      type: 'IncompleteSignatureException',
      message: 'X-Amz-Date is missing or does not match the credential scope'
    }
  }
  if (service !== 'codepipeline') {
    return {
      type: 'InvalidSignatureException',
      message: `Credential should be scoped to correct service: 'codepipeline', not '${service}'`
    }
  }
  const signedHeaders = signedHeaderList.split(';')
  for (const required of ['host', 'x-amz-target']) {
    if (!signedHeaders.includes(required)) {
      return { type: 'IncompleteSignatureException', message: `Header '${required}' must be signed` }
    }
  }
  const secret = secrets.get(accessKeyId)
  if (secret === undefined) {
    return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' }
  }
  const canonicalRequest = [
    method,
    path,
    '',
    ...signedHeaders.map((name) => `${name}:${(header(headers, name) ?? '').trim().replace(/\s+/g, ' ')}`),
    '',
    signedHeaderList,
    sha256(body)
  ].join('\n')
  const scope = `${date}/${region}/${service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n')
  let key: Buffer = hmac(`AWS4${secret}`, date)
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part)
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex')
  if (expected !== signature) {
    return {
      type: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided.'
    }
  }
  return { accessKeyId, region }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value.join(',') : value
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}
