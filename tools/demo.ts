/**
 * `npm start`: the bundled actions, run the way a runner runs them, against
 * the local CodePipeline emulator. No AWS account needed. A workflow claims
 * the pipeline's job for its commit, reports success with the commit and
 * output variables, a bad input stops a pipeline instead of leaving it
 * waiting, and the job action's post step fails a job whose workflow ended
 * without reporting.
 */
import { CodePipelineEmulator } from '../local/emulator/server.js'
import { RunnerJob, runnerEnvironment, runStep, type StepRun } from '../local/runner.js'
import { htmlToText } from './html-text.js'

const emulator = await CodePipelineEmulator.start()
const line = '─'.repeat(72)

function show(title: string, run: StepRun): void {
  process.stdout.write(`\n${line}\n${title}\n${line}\n`)
  process.stdout.write(`exit code ${String(run.code)} after ${run.durationMs.toFixed(0)} ms\n\nStep log:\n`)
  const log = run.stdout
    .split('\n')
    .filter((entry) => entry !== '' && !entry.startsWith('::add-mask::') && !entry.startsWith('::debug::'))
  process.stdout.write(log.map((entry) => `  ${entry}`).join('\n') + '\n')
  // A step that could not start (a missing bundle, say) says why only on stderr.
  if (run.code !== 0 && run.stderr.trim() !== '') {
    process.stdout.write(`\nStep stderr:\n${run.stderr.trimEnd().replace(/^/gm, '  ')}\n`)
  }
  process.stdout.write(`\nStep outputs:\n${JSON.stringify(run.outputs, null, 2).replace(/^/gm, '  ')}\n`)
  const summary = htmlToText(run.summary)
  process.stdout.write(`\nStep summary:\n${summary === '' ? '  (none)' : summary.replace(/^(?=.)/gm, '  ')}\n`)
}

function showReceived(): void {
  for (const request of emulator.requests.splice(0)) {
    process.stdout.write(`\nCodePipeline received ${request.operation} (HTTP ${String(request.status)})`)
    // Reads are listed; results are shown whole.
    if (request.operation.startsWith('Put')) {
      process.stdout.write(`:\n${JSON.stringify(request.body, null, 2).replace(/^/gm, '  ')}\n`)
    } else {
      process.stdout.write(` ${JSON.stringify(request.body)}\n`)
    }
  }
}

try {
  const job = emulator.createJob({
    state: 'Queued',
    inputArtifacts: [{ name: 'SourceArtifact', revision: runnerEnvironment().GITHUB_SHA }]
  })
  show(
    '1. The job action claims the pipeline job for this commit (uses: .../job)',
    await runStep({
      endpoint: emulator.url,
      action: 'job',
      inputs: { provider: 'GitHubActions', query: 'Workflow=build', 'match-revision': runnerEnvironment().GITHUB_SHA }
    })
  )
  showReceived()
  process.stdout.write(`\nJob state in the emulator: ${job.state}\n`)

  show(
    `2. The build's outputs reported as the result of job ${job.id}`,
    await runStep({
      endpoint: emulator.url,
      inputs: {
        'job-id': job.id,
        'output-variables': JSON.stringify(
          { IMAGE_TAG: '1.4.2', IMAGE_URI: '111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1.4.2' },
          null,
          2
        )
      }
    })
  )
  showReceived()
  process.stdout.write(`\nJob state in the emulator: ${job.state}\n`)

  // The jobs below come as the bridge hands them to a workflow: already acknowledged.
  const second = emulator.createJob({ state: 'InProgress' })
  show(
    `3. A mistake in the workflow: 'percent-complete: 150' for job ${second.id}`,
    await runStep({ endpoint: emulator.url, inputs: { 'job-id': second.id, 'percent-complete': '150' } })
  )
  showReceived()
  process.stdout.write(
    `\nJob state in the emulator: ${second.state} (the pipeline stops at once instead of waiting 24 hours)\n`
  )

  // A GitHub job that reads its pipeline job, then fails before its report step runs.
  const third = emulator.createJob({ state: 'InProgress' })
  const runner = new RunnerJob()
  try {
    show(
      `4. The job action reads job ${third.id}; the build step after it fails, so no report step runs`,
      await runner.run({ endpoint: emulator.url, action: 'job', inputs: { 'job-id': third.id } })
    )
    showReceived()
    for (const post of await runner.end()) show("   At the end of the GitHub job: the job action's post step", post)
  } finally {
    runner.close()
  }
  showReceived()
  process.stdout.write(
    `\nJob state in the emulator: ${third.state} (the workflow never reported, and the pipeline was told)\n`
  )
} finally {
  await emulator.close()
}
