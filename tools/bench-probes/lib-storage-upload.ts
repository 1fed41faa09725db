// Throughput baseline: a plain @aws-sdk/lib-storage multipart upload of one file,
// with 8 MiB parts, four at once.
import { createReadStream } from 'node:fs'
import { S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'

const { AWS_ENDPOINT_URL_S3: endpoint, PROBE_BUCKET: bucket, PROBE_FILE: file } = process.env
if (!endpoint || !bucket || !file) throw new Error('Set AWS_ENDPOINT_URL_S3, PROBE_BUCKET and PROBE_FILE.')
const client = new S3Client({
  region: 'us-east-1',
  endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: 'b', secretAccessKey: 'b' }
})
await new Upload({
  client,
  partSize: 8 * 1024 * 1024,
  queueSize: 4,
  params: { Bucket: bucket, Key: 'baseline/payload', Body: createReadStream(file), ServerSideEncryption: 'aws:kms' }
}).done()
client.destroy()
