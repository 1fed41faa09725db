// Cold-start probe: the CodePipeline SDK client alone, sending one PutJobSuccessResult.
import { CodePipelineClient, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline'

const client = new CodePipelineClient({})
await client.send(new PutJobSuccessResultCommand({ jobId: process.env.PROBE_JOB_ID }))
