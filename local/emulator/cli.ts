/**
 * Runs the emulator on its own, for workflows and manual tries:
 *   npx tsx local/emulator/cli.ts [--port 4599]
 * Then create a job with `curl -X POST <url>/_emulator/jobs -d '{}'` and point
 * the action at it with AWS_ENDPOINT_URL_CODEPIPELINE=<url>.
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
    `  create a job: curl -s -X POST ${emulator.url}/_emulator/jobs -d '{}'`,
    ''
  ].join('\n')
)
const stop = (): void => void emulator.close().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
