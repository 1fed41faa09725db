/**
 * `npm run bench`: what the actions cost, measured against baselines in the
 * same run on the same machine, so that the ratios hold on a noisy one.
 *
 * 1. Cold start: process start to exit for dist/index.js reporting one job to
 *    the emulator, against a bare Node process that makes one HTTP POST to it.
 *    Also with a small output artifact, to show what the artifact code costs,
 *    the job action's post step at the end of a GitHub job, and @actions/core
 *    and the SDK client each bundled alone, to show where the time goes.
 * 2. Large output artifacts (1 and 4 GiB by default, BENCH_ARTIFACT_MIB=1024,4096
 *    to change): the action's peak memory, which must not grow with the size,
 *    and its throughput against a plain @aws-sdk/lib-storage upload of the same
 *    bytes to the same S3 endpoint (moto); then text of the smallest size, which
 *    the action deflates.
 * 3. The size of dist/.
 * 4–7. The bridge: see tools/bench-bridge.ts.
 * 8. Credential-free mode: see tools/bench-credential-free.ts.
 * 9. The bridge at scale, with and without webhook deliveries: see tools/bench-scale.ts.
 *
 * The baselines and probes are small programs in tools/bench-probes/, bundled
 * with ncc as the action is, so that the linter and the type check read them.
 */
import { execFileSync, spawn } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CreateBucketCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { benchBridge, median } from './bench-bridge.js'
import { benchCredentialFree } from './bench-credential-free.js'
import { benchScale } from './bench-scale.js'
import { CodePipelineEmulator } from '../local/emulator/server.js'
import { startS3StandIn } from '../local/moto.js'
import { node24Path } from '../local/node24.js'
import { runStep, runnerEnvironment, type StepOptions, type StepRun } from '../local/runner.js'

// This driver may run on Node 20; the measured processes run on Node 24.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 25)
/** The artifact sizes to measure, in MiB: BENCH_ARTIFACT_MIB=1024,4096 by default. */
const ARTIFACT_SIZES_MIB = (process.env.BENCH_ARTIFACT_MIB ?? '1024,4096').split(',').map(Number)
/** Cold start of each action, as a multiple of a bare Node process making one POST. */
const COLD_START_TARGET = 2.5
const BUCKET = 'bench-artifacts'
const node = node24Path()
const root = fileURLToPath(new URL('..', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'bench-'))
const [emulator, moto] = await Promise.all([
  CodePipelineEmulator.start({ newJobState: 'InProgress' }),
  startS3StandIn()
])
const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: moto.url,
  forcePathStyle: true,
  credentials: { accessKeyId: 'b', secretAccessKey: 'b' }
})
await s3.send(new CreateBucketCommand({ Bucket: BUCKET }))

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`
const line = (text: string): boolean => process.stdout.write(`${text}\n`)

/** Runs a process to the end, sampling its peak resident memory (VmHWM) from /proc. */
async function measured(
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv
): Promise<{ ms: number; peakMiB: number }> {
  const started = performance.now()
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] })
  let peakKiB = 0
  const sample = setInterval(() => {
    try {
      const match = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      if (match) peakKiB = Math.max(peakKiB, Number(match[1]))
    } catch {
      // The process has just ended.
    }
  }, 20)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearInterval(sample)
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`)
  return { ms: performance.now() - started, peakMiB: peakKiB / 1024 }
}

function report(options: Partial<StepOptions> & { inputs: Record<string, string> }): Promise<StepRun> {
  return runStep({
    endpoint: emulator.url,
    ...options,
    env: { AWS_ENDPOINT_URL_S3: moto.url, GITHUB_WORKSPACE: work, ...options.env }
  })
}

async function expectSuccess(run: Promise<StepRun>): Promise<number> {
  const done = await run
  if (done.code !== 0 || done.outputs.reported !== 'success')
    throw new Error(`the action did not report:\n${done.stdout}${done.stderr}`)
  return done.durationMs
}

// Small programs bundled the way the action is, each from tools/bench-probes/:
// the baselines, and the two big dependencies alone, to show where the time goes.
const probes = join(work, 'probes')
for (const probe of ['bare-post', 'core-only', 'sdk-only', 'lib-storage-upload']) {
  execFileSync(
    'npx',
    ['--no-install', 'ncc', 'build', `tools/bench-probes/${probe}.ts`, '-o', join(probes, probe), '--minify', '-q'],
    { cwd: root, stdio: 'inherit' }
  )
}
const runProbe = (probe: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; peakMiB: number }> =>
  measured(node, [join(probes, probe, 'index.js')], { ...process.env, ...env })

// 1. Cold start.
const probeEnv = (): NodeJS.ProcessEnv => ({
  ...runnerEnvironment(),
  AWS_ENDPOINT_URL_CODEPIPELINE: emulator.url,
  PROBE_JOB_ID: emulator.createJob().id
})
const bare = async (): Promise<number> => (await runProbe('bare-post', probeEnv())).ms
const reportOnly = (): Promise<number> =>
  expectSuccess(report({ inputs: { 'job-id': emulator.createJob().id, 'output-variables': '{"IMAGE_TAG":"1.2.3"}' } }))
const jobRead = (): Promise<number> =>
  runStep({ action: 'job', endpoint: emulator.url, inputs: { 'job-id': emulator.createJob().id } }).then((done) => {
    if (done.code !== 0 || !done.outputs['pipeline-name'])
      throw new Error(`the job action did not read the job:\n${done.stdout}${done.stderr}`)
    return done.durationMs
  })
mkdirSync(join(work, 'small'))
writeSync(openSync(join(work, 'small/imagedefinitions.json'), 'w'), '[{"name":"web","imageUri":"repo/web:1"}]')
const withArtifact = (): Promise<number> =>
  expectSuccess(
    report({
      inputs: {
        'job-id': emulator.createJob({ outputArtifacts: ['BuildOutput'], artifactBucket: BUCKET }).id,
        'output-artifacts': 'BuildOutput=small'
      }
    })
  )

// The job action's post step, as the runner starts it when a GitHub job ends: most often the
// reporting step has marked the job answered and no call is made; otherwise it fails the job.
const postStep = async (answered: boolean): Promise<number> => {
  const jobId = emulator.createJob().id
  const env = {
    ...process.env,
    ...runnerEnvironment(),
    AWS_ENDPOINT_URL_CODEPIPELINE: emulator.url,
    'STATE_job-id': jobId,
    ...(answered && { CODEPIPELINE_ANSWERED_JOBS: jobId })
  }
  const child = spawn(node, [join(root, 'dist/job/post/index.js')], { cwd: root, env, stdio: 'ignore' })
  const started = performance.now()
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  // Failing the unanswered job fails the step, as it should.
  if (code !== (answered ? 0 : 1)) throw new Error(`the post step exited with ${code}`)
  return performance.now() - started
}

const coreOnly = async (): Promise<number> => (await runProbe('core-only', probeEnv())).ms
const sdkOnly = async (): Promise<number> => (await runProbe('sdk-only', probeEnv())).ms

await bare()
await reportOnly()
await withArtifact()
await jobRead()
await postStep(true)
await postStep(false)
await coreOnly()
await sdkOnly()
const times = {
  bare: [] as number[],
  report: [] as number[],
  artifact: [] as number[],
  job: [] as number[],
  postAnswered: [] as number[],
  postUnanswered: [] as number[],
  core: [] as number[],
  sdk: [] as number[]
}
for (let round = 0; round < ROUNDS; round++) {
  times.bare.push(await bare())
  times.report.push(await reportOnly())
  times.artifact.push(await withArtifact())
  times.job.push(await jobRead())
  times.postAnswered.push(await postStep(true))
  times.postUnanswered.push(await postStep(false))
  times.core.push(await coreOnly())
  times.sdk.push(await sdkOnly())
}
const bareMs = median(times.bare)
line(`Node ${process.versions.node} drives; the processes run on Node 24 (${node}).`)
line(`\n1. Cold start, ${ROUNDS} interleaved rounds, medians`)
line(`   bare node, one HTTP POST:                   ${bareMs.toFixed(1)} ms`)
const ratio = (values: number[]): string => `${median(values).toFixed(1)} ms  ${(median(values) / bareMs).toFixed(2)}x`
line(`   report success:                             ${ratio(times.report)} (target at most ${COLD_START_TARGET}x)`)
line(`   job action reading a known job (2 calls):   ${ratio(times.job)} (target at most ${COLD_START_TARGET}x)`)
line(`   report success with a small output artifact: ${ratio(times.artifact)}`)
line(`   job post step, job answered (no call):      ${ratio(times.postAnswered)}`)
line(`   job post step, job unanswered (fails it):   ${ratio(times.postUnanswered)}`)
line('   the floor of this stack, each bundled alone with ncc as the action is:')
line(`     @actions/core, imported and nothing else:  ${ratio(times.core)}`)
line(`     the CodePipeline client, one call:          ${ratio(times.sdk)}`)
line(
  `   the report path is ${(median(times.report) / median(times.sdk)).toFixed(2)}x the SDK-only floor; both actions load the SDK from its ES build and undici only on first use`
)

// 2. Large output artifacts: the action's memory must not grow with the artifact's size.
// Reuse the runner's environment, but measure the process directly for its memory.
const probe = await report({ inputs: { 'job-id': emulator.createJob().id } })
if (probe.code !== 0) throw new Error('the action does not run')

/** Writes `mib` MiB of random bytes, which the action stores, or of text, which it deflates. */
function writePayload(path: string, mib: number, kind: 'random' | 'text'): void {
  const block = Buffer.alloc(16 * 1024 * 1024)
  if (kind === 'text') {
    let at = 0
    for (let line = 0; at < block.length; line++) at += block.write(`${line} build step ${line % 97} ok\n`, at)
  }
  const fd = openSync(path, 'w')
  for (let written = 0; written < mib; written += 16) {
    writeSync(fd, kind === 'random' ? randomFillSync(block) : block, 0, Math.min(16, mib - written) * 1024 * 1024)
  }
  closeSync(fd)
}

/** Uploads `mib` MiB as an output artifact through the action, beside plain lib-storage for random bytes. */
async function largeArtifact(mib: number, kind: 'random' | 'text'): Promise<{ peakMiB: number; ratio?: number }> {
  const dir = join(work, `large-${kind}-${mib}`)
  mkdirSync(dir)
  const payload = join(dir, kind === 'random' ? 'payload.bin' : 'build.log')
  writePayload(payload, mib, kind)
  const bytes = statSync(payload).size
  const rate = (ms: number): string => `${(bytes / 1024 / 1024 / (ms / 1000)).toFixed(1)} MiB/s`
  const baseline =
    kind === 'random'
      ? await runProbe('lib-storage-upload', {
          AWS_ENDPOINT_URL_S3: moto.url,
          PROBE_BUCKET: BUCKET,
          PROBE_FILE: payload
        })
      : undefined
  const job = emulator.createJob({ outputArtifacts: ['BuildOutput'], artifactBucket: BUCKET })
  const action = await measured(node, [join(root, 'dist/index.js')], {
    ...process.env,
    ...runnerEnvironment(),
    AWS_ENDPOINT_URL_CODEPIPELINE: emulator.url,
    AWS_ENDPOINT_URL_S3: moto.url,
    GITHUB_WORKSPACE: work,
    GITHUB_EVENT_NAME: 'push',
    'INPUT_JOB-ID': job.id,
    'INPUT_OUTPUT-ARTIFACTS': `BuildOutput=${dir}`,
    INPUT_STATUS: 'success',
    'INPUT_MAX-ATTEMPTS': '10',
    'INPUT_TIMEOUT-SECONDS': '600',
    ...(process.env.BENCH_NODE_OPTIONS && { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS })
  })
  if (job.state !== 'Succeeded') throw new Error(`the large artifact was not reported: job is ${job.state}`)
  const [output] = job.data.outputArtifacts as { location: { s3Location: { objectKey: string } } }[]
  line(
    `   ${mib} MiB of ${kind === 'random' ? 'random bytes, which the action stores' : 'text, which the action deflates'}:`
  )
  if (baseline) {
    line(
      `     plain lib-storage Upload of the file:     ${(baseline.ms / 1000).toFixed(1)} s, ${rate(baseline.ms)}, peak RSS ${baseline.peakMiB.toFixed(0)} MiB`
    )
  }
  line(
    `     the action, zipping as it uploads:        ${(action.ms / 1000).toFixed(1)} s, ${rate(action.ms)}, peak RSS ${action.peakMiB.toFixed(0)} MiB (target at most 150 MiB)`
  )
  if (baseline) {
    line(
      `     throughput, action to lib-storage:        ${(baseline.ms / action.ms).toFixed(2)}x (target at least 1.00x)`
    )
  }
  // Each size's files go before the next is written: 4 GiB three times over is a lot of disk.
  rmSync(dir, { recursive: true, force: true })
  for (const key of ['baseline/payload', output?.location.s3Location.objectKey ?? '']) {
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }))
  }
  return { peakMiB: action.peakMiB, ratio: baseline && baseline.ms / action.ms }
}

line('\n2. Large output artifacts, to moto on loopback, each size beside a plain lib-storage upload of the same bytes')
const results: { peakMiB: number; ratio?: number }[] = []
for (const mib of ARTIFACT_SIZES_MIB) results.push(await largeArtifact(mib, 'random'))
results.push(await largeArtifact(Math.min(...ARTIFACT_SIZES_MIB), 'text'))
const worstRatio = Math.min(...results.flatMap((result) => (result.ratio === undefined ? [] : [result.ratio])))
line(
  `   peak RSS, largest of all sizes: ${Math.max(...results.map((result) => result.peakMiB)).toFixed(0)} MiB (target at most 150 MiB); lowest throughput ratio: ${worstRatio.toFixed(2)}x`
)

// 3. dist/.
line('\n3. dist/')
for (const folder of ['dist', 'dist/job', 'dist/job/post']) {
  const files = readdirSync(join(root, folder)).filter((name) => name.endsWith('.js'))
  const sizes = files.map((name) => [name, statSync(join(root, folder, name)).size] as const)
  line(`   ${folder}/: ${sizes.map(([name, size]) => `${name} ${kib(size)}`).join(', ')}`)
}
line(
  `   index.js is what every run loads; the numbered chunks load only when a step moves artifacts or looks a commit up.`
)

s3.destroy()
await Promise.all([emulator.close(), moto.close()])
rmSync(work, { recursive: true, force: true })

await benchBridge(ROUNDS)
await benchCredentialFree(Math.min(ROUNDS, 15))
await benchScale()
