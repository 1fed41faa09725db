/**
 * Credential-free mode's part of `npm run bench`: the time from the reporting
 * step's start to CodePipeline having the result, through the bridge's
 * endpoint, beside direct mode, where the step calls CodePipeline itself.
 * Each figure is the bundled reporting step on Node 24, process start
 * included, against the emulator on loopback; the endpoint is the template's
 * inline code behind a local function URL.
 *
 * - warm: the endpoint's container has answered a call before;
 * - fresh process: a new container, whose first call loads its clients and
 *   reads the OIDC issuer's keys. This is not a Lambda cold start: Lambda
 *   also starts a micro-VM and fetches the code, which nothing here measures.
 */
import { BridgeWorld } from '../local/bridge-world.js'
import { credentialFreeEnvironment, endpointAudience, runClaims } from '../local/credential-free.js'
import { startFakeOidcIssuer } from '../local/fake-oidc-issuer.js'
import { FunctionUrl } from '../local/function-url.js'
import { runStep } from '../local/runner.js'
import { median } from './bench-bridge.js'

/** Credential-free reporting may take at most this many times direct mode's, warm. */
const WARM_TARGET = 1.5

export async function benchCredentialFree(rounds: number): Promise<void> {
  const line = (text: string): boolean => process.stdout.write(`${text}\n`)
  const [world, issuer] = await Promise.all([BridgeWorld.start(), startFakeOidcIssuer()])
  await world.fresh({ parameters: { OidcIssuer: issuer.url } })
  let container = await world.newContainer()
  let endpoint = await FunctionUrl.start(container)

  /** A job the bridge dispatched, and its run's token claims, ready for the run's report. */
  async function dispatchedJob(): Promise<string> {
    const job = world.queueJob()
    await world.invoke(world.event(job))
    const run = world.github.runs.find((candidate) => candidate.inputs['job-id'] === job.id)
    if (run === undefined) throw new Error('the bridge started no run')
    issuer.runClaims = runClaims(run, endpointAudience(endpoint.url))
    return job.id
  }

  async function reportThroughBridge(): Promise<number> {
    const jobId = await dispatchedJob()
    const step = await runStep({
      endpoint: 'http://127.0.0.1:9',
      inputs: { 'job-id': jobId, 'bridge-url': endpoint.url, 'output-variables': 'VERSION=1.2.3' },
      env: credentialFreeEnvironment(issuer)
    })
    if (step.outputs.confirmed !== 'true') throw new Error(`the report did not land:\n${step.stdout}`)
    return step.durationMs
  }

  async function reportDirectly(): Promise<number> {
    const job = world.emulator.createJob({ state: 'InProgress' })
    const step = await runStep({
      endpoint: world.emulator.url,
      inputs: { 'job-id': job.id, 'output-variables': 'VERSION=1.2.3' }
    })
    if (step.outputs.confirmed !== 'true') throw new Error(`the report did not land:\n${step.stdout}`)
    return step.durationMs
  }

  try {
    line('\n8. Credential-free mode: from the reporting step to CodePipeline having the result')
    // One call first, so that the container and the issuer's keys are warm.
    await reportThroughBridge()
    const direct: number[] = []
    const warm: number[] = []
    const fresh: number[] = []
    for (let round = 0; round < rounds; round++) {
      direct.push(await reportDirectly())
      warm.push(await reportThroughBridge())
    }
    for (let round = 0; round < Math.min(rounds, 7); round++) {
      await endpoint.close()
      await container.close()
      container = await world.newContainer()
      endpoint = await FunctionUrl.start(container)
      fresh.push(await reportThroughBridge())
    }
    const base = median(direct)
    const show = (values: number[]): string =>
      `${median(values).toFixed(0)} ms, ${(median(values) / base).toFixed(2)}x direct mode`
    line(`   direct mode (the step calls CodePipeline):   ${base.toFixed(0)} ms`)
    line(`   through the bridge, warm endpoint:           ${show(warm)} (target at most ${WARM_TARGET}x)`)
    line(`   through the bridge, fresh endpoint process:  ${show(fresh)}`)
    line('   A fresh process is not a Lambda cold start, which adds a micro-VM and the code download.')
  } finally {
    await endpoint.close()
    await Promise.all([world.close(), issuer.close()])
  }
}
