/**
 * Runs the emulator on its own, for workflows and manual tries:
 *   npx tsx local/emulator/cli.ts [--port 4599]
 * Then create a job with `curl -X POST <url>/_emulator/jobs -d '{}'` and point
 * the action at it with AWS_ENDPOINT_URL_CODEPIPELINE=<url>. A job starts
 * Queued, as on CodePipeline: claim it (the job action) or acknowledge it with
 * its nonce before answering it; `{"state":"InProgress"}` makes one that a
 * dispatcher already acknowledged.
 */
import { CodePipelineEmulator, EMULATOR_CREDENTIALS } from './server.js'

const portFlag = process.argv.indexOf('--port')
const port = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : 0
const emulator = await CodePipelineEmulator.start({ port })
process.stdout.write(
  [
    `CodePipeline emulator listening on ${emulator.url}`,
    `  AWS_ENDPOINT_URL_CODEPIPELINE=${emulator.url}`,
    `  AWS_ACCESS_KEY_ID=${EMULATOR_CREDENTIALS.accessKeyId}`,
    `  AWS_SECRET_ACCESS_KEY=${EMULATOR_CREDENTIALS.secretAccessKey}`,
    `  queue a job: curl -s -X POST ${emulator.url}/_emulator/jobs -d '{}'`,
    `  (it starts Queued: acknowledge it with its nonce, or claim it with the job action, before answering it;`,
    `   -d '{"state":"InProgress"}' makes one already acknowledged, as the bridge hands them over)`,
    ''
  ].join('\n')
)
const stop = (): void => void emulator.close().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
