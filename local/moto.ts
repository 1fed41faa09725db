import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  // moto writes its request recordings into its working directory; keep them out of the project.
  const child = spawn(pythonTool('moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    cwd: mkdtempSync(join(tmpdir(), 'moto-')),
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const spawnError = new Promise<never>((_, reject) =>
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'ENOENT' ? HOW_TO_GET_IT : `moto_server failed to start: ${error.message}`))
    )
  )
  await Promise.race([waitUntilUp(url, child, () => stderr), spawnError])
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
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
