import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'
import { HOW_TO_GET_PYTHON_TOOLS, pythonTool } from './python-tools.js'

/** A real S3 stand-in on loopback: moto's server. */
export interface S3StandIn {
  readonly url: string
  close(): Promise<void>
}

/** A client for a test to set up and check buckets at the stand-in, directly. */
export function standInClient(standIn: S3StandIn): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: standIn.url,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' }
  })
}

const HOW_TO_GET_IT = `moto's server is missing. ${HOW_TO_GET_PYTHON_TOOLS} Or point MOTO_S3_ENDPOINT at a running one.`

/**
 * Uses the moto server at MOTO_S3_ENDPOINT when set, or starts `moto_server`
 * on a free loopback port. Fails, never skips, without it.
 */
export async function startS3StandIn(): Promise<S3StandIn> {
  const given = process.env.MOTO_S3_ENDPOINT
  if (given) {
    await waitUntilUp(given, undefined)
    return { url: given, close: () => Promise.resolve() }
  }
  return startMotoServer(pythonTool('moto_server'), [])
}

/** moto's server from `command` and `args`, on a free loopback port of its own; ready once it answers. */
async function startMotoServer(command: string, args: readonly string[]): Promise<S3StandIn> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  // moto writes its request recordings into its working directory; keep them out of the project.
  const child = spawn(command, [...args, '-H', '127.0.0.1', '-p', String(port)], {
    cwd: mkdtempSync(join(tmpdir(), 'moto-')),
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const spawnError = new Promise<never>((_, reject) =>
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'ENOENT' ? HOW_TO_GET_IT : `moto's server failed to start: ${error.message}`))
    )
  )
  await Promise.race([waitUntilUp(url, child, () => stderr), spawnError])
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill()
      })
  }
}

async function waitUntilUp(url: string, child: ChildProcess | undefined, log: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      const response = await fetch(`${url}/moto-api/`)
      if (response.ok || response.status < 500) return
    } catch {
      // Not listening yet.
    }
    if (child?.exitCode !== null && child?.exitCode !== undefined) {
      throw new Error(`moto_server exited with code ${child.exitCode}: ${log()}`)
    }
    if (Date.now() > deadline) throw new Error(`moto at ${url} did not answer within 30 s. ${HOW_TO_GET_IT}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A loopback port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * A moto server that checks the signature of every request once told to, a
 * signed URL's included, as S3 does.
 *
 * moto 5.2.1 checks a request's SigV4 Authorization header once its IAM checks
 * are on (`POST /moto-api/reset-auth`, or INITIAL_NO_AUTH_ACTION_COUNT as it
 * starts), but not the signature carried in a URL: it takes any while the
 * checks are off, and fails every one with a 500 while they are on, looking
 * for a header that a signed URL does not have. This server is moto's own,
 * started with one addition: a request signed in its URL gets its signature
 * recomputed with botocore's SigV4 query signer, from the credentials moto
 * issued, and its expiry checked (X-Amz-Date plus X-Amz-Expires), before
 * moto's own check of the IAM policies. Always a server of its own: the
 * checks hold for the whole server, and would refuse other tests' requests.
 */
export interface SigningS3StandIn extends S3StandIn {
  /**
   * From now on, refuses every request that is not signed with credentials
   * moto issued, allowed by their IAM policies and, if signed in its URL,
   * still within its expiry. Set up users, roles and buckets first.
   */
  checkSignatures(): Promise<void>
}

const SIGNED_URL_CHECK = `
import calendar, hmac, sys, time
from urllib.parse import parse_qsl, urlsplit
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.responses import BaseResponse
from moto.server import main

setup = BaseResponse.setup_class

def setup_keeping_raw_uri(self, request, *args, **kwargs):
    # A URL's signature covers it as sent, and moto keeps only a decoded copy.
    self.raw_uri = getattr(request, "environ", {}).get("RAW_URI", "")
    return setup(self, request, *args, **kwargs)

by_header = ActionAuthenticatorMixin._authenticate_and_authorize_action

def by_header_or_url(self, iam_request_cls, resource="*"):
    url = urlsplit(getattr(self, "raw_uri", "") or self.uri)
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    if ("X-Amz-Signature" not in query or "Authorization" in self.headers
            or ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT):
        return by_header(self, iam_request_cls, resource)
    credential = query.get("X-Amz-Credential", "")
    token = {"X-Amz-Security-Token": query["X-Amz-Security-Token"]} if "X-Amz-Security-Token" in query else {}
    # moto's own request finds the credentials and checks the policies; the signature is checked here.
    request = iam_request_cls(
        account_id=self.current_account, method=self.method, path=url.path, data=self.data, body=self.raw_body,
        headers={"Authorization": f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=-", **token},
        action=self._get_action())
    signed_headers = query.get("X-Amz-SignedHeaders", "").split(";")
    unsigned_query = "&".join(part for part in url.query.split("&") if not part.startswith("X-Amz-Signature="))
    canonical = AWSRequest(method=self.method, url=f"{url.path}?{unsigned_query}",
                           headers={k: v for k, v in self.headers.items() if k.lower() in signed_headers})
    canonical.context["timestamp"] = query.get("X-Amz-Date", "")
    scope = (credential.split("/") + ["", "", "", ""])[:4]
    auth = S3SigV4QueryAuth(request._access_key.create_credentials(), scope[3], scope[2])
    expected = auth.signature(auth.string_to_sign(canonical, auth.canonical_request(canonical)), canonical)
    if not hmac.compare_digest(expected, query["X-Amz-Signature"]):
        request._raise_signature_does_not_match()
    issued = calendar.timegm(time.strptime(query.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ"))
    expires = int(query.get("X-Amz-Expires", "0"))
    if not 0 < expires <= 604800 or time.time() > issued + expires:
        request._raise_access_denied()
    request.check_action_permitted(resource)

BaseResponse.setup_class = setup_keeping_raw_uri
ActionAuthenticatorMixin._authenticate_and_authorize_action = by_header_or_url
main(sys.argv[1:])
`

/** Starts moto's server, with signed URLs checked as S3 does, on a free loopback port of its own. */
export async function startSigningS3StandIn(): Promise<SigningS3StandIn> {
  const server = await startMotoServer(pythonBesideMoto(), ['-c', SIGNED_URL_CHECK])
  const { url } = server
  return {
    url,
    async checkSignatures() {
      // moto reads the body as a number: how many more requests go unchecked.
      const response = await fetch(`${url}/moto-api/reset-auth`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '0'
      })
      if (!response.ok) throw new Error(`moto did not turn its checks on: HTTP ${response.status}`)
    },
    close: () => server.close()
  }
}

/** The Python that runs moto_server: the one beside it, in a virtual environment or a version manager's shims. */
function pythonBesideMoto(): string {
  const moto = pythonTool('moto_server')
  const folder = dirname(moto)
  if (folder !== '.') {
    for (const name of ['python3', 'python', 'python.exe'])
      if (existsSync(join(folder, name))) return join(folder, name)
  }
  return 'python3'
}
