/**
 * Cold-start benchmark: wall time from process start to exit for the bundled
 * action reporting one job to the emulator, against a bare Node process that
 * makes one HTTP POST to the same emulator. Both run on Node 24, interleaved,
 * in the same run, so the ratio holds on a noisy machine.
 */
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CodePipelineEmulator } from './emulator/server.js'
import { node24Path } from './node24.js'
import { runStep, runnerEnvironment } from './runner.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 25)
const node = node24Path()
const emulator = await CodePipelineEmulator.start()
const sha = runnerEnvironment().GITHUB_SHA

const bareScript = `
const request = require('node:http').request(process.argv[1], { method: 'POST', headers: {
  'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CodePipeline_20150709.PutJobSuccessResult' } },
  (response) => { response.resume(); response.on('end', () => {}) })
request.end(JSON.stringify({ jobId: process.argv[2] }))`

async function bare(): Promise<number> {
  const started = performance.now()
  const child = spawn(node, ['-e', bareScript, emulator.url, emulator.createJob().id], { stdio: 'ignore' })
  await new Promise((resolve) => child.on('close', resolve))
  return performance.now() - started
}

async function action(): Promise<number> {
  const run = await runStep({
    endpoint: emulator.url,
    inputs: { 'job-id': emulator.createJob().id, 'output-variables': '{"IMAGE_TAG":"1.2.3"}' },
    event: { head_commit: { id: sha, message: 'Build it', timestamp: '2026-11-25T10:00:00Z' } }
  })
  if (run.code !== 0 || run.outputs.reported !== 'success')
    throw new Error(`the action did not report:\n${run.stdout}${run.stderr}`)
  return run.durationMs
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

// Warm the file cache once, so the first round does not pay for the disk.
await bare()
await action()
const times = { bare: [] as number[], action: [] as number[] }
for (let round = 0; round < ROUNDS; round++) {
  times.bare.push(await bare())
  times.action.push(await action())
}
await emulator.close()

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const sizes = readdirSync(dist).map((name) => [name, statSync(dist + name).size] as const)
const loaded = sizes.filter(([name]) => name.endsWith('.js') || name.endsWith('.cjs'))
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`

const bareMs = median(times.bare)
const actionMs = median(times.action)
console.log(
  `Node ${(await import('node:child_process')).execFileSync(node, ['--version']).toString().trim()}, ${ROUNDS} rounds, medians`
)
console.log(`bare node, one HTTP POST:      ${bareMs.toFixed(1)} ms`)
console.log(`dist/index.js, report success: ${actionMs.toFixed(1)} ms`)
console.log(`ratio: ${(actionMs / bareMs).toFixed(2)}x (target at most 1.5x)`)
console.log(`dist/: ${sizes.map(([name, size]) => `${name} ${kib(size)}`).join(', ')}`)
console.log(`JavaScript in dist/: ${kib(loaded.reduce((total, [, size]) => total + size, 0))}`)
