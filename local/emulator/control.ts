import type { Fault } from './faults.js'
import type { EmulatedJob } from './jobs.js'
import type { CodePipelineEmulator } from './server.js'

/** An answer of the control API: a status and a JSON body. */
export interface ControlAnswer {
  readonly status: number
  readonly body: unknown
}

/**
 * The test and demo controls under /_emulator/, kept off the service path, so
 * that a workflow or a shell can do what a test does in code:
 *   POST jobs       create a job (a NewJob)
 *   GET  jobs/ID    read a job, with its state and result
 *   GET  requests   the service requests received so far
 *   POST faults     {fault, operation?, times? | "always"}: misbehave on the next requests
 */
export function control(emulator: CodePipelineEmulator, method: string, path: string, raw: Buffer): ControlAnswer {
  const input = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {}
  if (method === 'POST' && path === 'jobs') return ok(emulator.createJob(input))
  if (method === 'GET' && path.startsWith('jobs/')) {
    const job: EmulatedJob | undefined = emulator.jobs.get(path.slice('jobs/'.length))
    return job ? ok(job) : { status: 404, body: { message: 'no such job' } }
  }
  if (method === 'GET' && path === 'requests') return ok(emulator.requests)
  if (method === 'POST' && path === 'faults') {
    const times = input.times === 'always' ? Infinity : (input.times as number | undefined)
    emulator.inject(input.fault as Fault, { operation: input.operation as string | undefined, times })
    return ok({})
  }
  return { status: 404, body: { message: `unknown control ${method} ${path}` } }
}

const ok = (body: unknown): ControlAnswer => ({ status: 200, body })
