// Cold-start baseline: a bare Node.js process that makes the one HTTP POST a report makes,
// unsigned and with no SDK, so that the ratios show what the action adds.
import { request } from 'node:http'

const endpoint = process.env.AWS_ENDPOINT_URL_CODEPIPELINE ?? ''
const post = request(
  endpoint,
  {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'CodePipeline_20150709.PutJobSuccessResult'
    }
  },
  (response) => response.resume()
)
post.end(JSON.stringify({ jobId: process.env.PROBE_JOB_ID }))
