import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
  type HeadObjectCommandOutput
} from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { stringMatching } from '../../__fixtures__/expect.js'
import { openPromise } from 'yauzl'
import { CodePipelineEmulator } from '../../local/emulator/server.js'
import { lyingZip } from '../support/lying-zip.js'
import { standInClient, startS3StandIn, type S3StandIn } from '../../local/moto.js'
import { LoopbackProxy } from '../../local/proxy.js'
import { RUNNER_STOP, runStep, type StepOptions } from '../../local/runner.js'

// Output artifacts to S3 and input artifacts from it, through the bundles on
// Node 24, with moto's server as S3 on loopback.
let emulator: CodePipelineEmulator
let moto: S3StandIn
let s3: S3Client
let workspace: string
const BUCKET = 'codepipeline-us-east-1-111122223333'

beforeAll(async () => {
  ;[emulator, moto] = await Promise.all([CodePipelineEmulator.start({ newJobState: 'InProgress' }), startS3StandIn()])
  s3 = standInClient(moto)
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }))
}, 60_000)
afterAll(async () => {
  s3?.destroy()
  await Promise.all([emulator?.close(), moto?.close()])
})
beforeEach(() => {
  emulator.reset()
  // One level down, so that a test can put things beside the workspace.
  workspace = join(mkdtempSync(join(tmpdir(), 'workspace-')), 'workspace')
  mkdirSync(workspace)
})

function step(inputs: Record<string, string>, options: Partial<StepOptions> = {}) {
  return runStep({
    endpoint: emulator.url,
    ...options,
    inputs,
    env: { AWS_ENDPOINT_URL_S3: moto.url, GITHUB_WORKSPACE: workspace, ...options.env }
  })
}

function write(path: string, content: string | Buffer, mode?: number): void {
  const full = join(workspace, path)
  mkdirSync(join(full, '..'), { recursive: true })
  writeFileSync(full, content)
  if (mode !== undefined) chmodSync(full, mode)
}

function jobWithOutputs(names: string[], extra: Parameters<CodePipelineEmulator['createJob']>[0] = {}) {
  return emulator.createJob({ outputArtifacts: names, artifactBucket: BUCKET, ...extra })
}

function locationOf(job: ReturnType<typeof jobWithOutputs>, name: string): { bucketName: string; objectKey: string } {
  const artifact = (
    job.data.outputArtifacts as { name: string; location: { s3Location: { bucketName: string; objectKey: string } } }[]
  ).find((candidate) => candidate.name === name)!
  return artifact.location.s3Location
}

async function head(location: { bucketName: string; objectKey: string }): Promise<HeadObjectCommandOutput | undefined> {
  return s3.send(new HeadObjectCommand({ Bucket: location.bucketName, Key: location.objectKey })).catch(() => undefined)
}

/** Neither an object nor a multipart upload still open, with its parts billed, at the artifact's location. */
async function expectNothingLeftAt(location: { bucketName: string; objectKey: string }): Promise<void> {
  const open = await s3.send(
    new ListMultipartUploadsCommand({ Bucket: location.bucketName, Prefix: location.objectKey })
  )
  expect(open.Uploads ?? []).toEqual([])
  expect(await head(location)).toBeUndefined()
}

/** The uploaded object's zip entries: name to content. */
async function zipEntries(location: {
  bucketName: string
  objectKey: string
}): Promise<Record<string, { text: string; mode: number }>> {
  const object = await s3.send(new GetObjectCommand({ Bucket: location.bucketName, Key: location.objectKey }))
  const file = join(mkdtempSync(join(tmpdir(), 'zip-')), 'a.zip')
  writeFileSync(file, await object.Body!.transformToByteArray())
  const zip = await openPromise(file, { lazyEntries: true, autoClose: false })
  const entries: Record<string, { text: string; mode: number }> = {}
  for await (const entry of zip.eachEntry()) {
    const chunks: Buffer[] = []
    if (!entry.fileName.endsWith('/'))
      for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer)
    entries[entry.fileName] = {
      text: Buffer.concat(chunks).toString(),
      mode: (entry.externalFileAttributes >>> 16) & 0o777
    }
  }
  zip.close()
  return entries
}

/** Writes a zip with Python, which, unlike zip libraries for Node, will write hostile entries. */
function pythonZip(path: string, script: string): void {
  execFileSync('python3', [
    '-c',
    `import zipfile\nz = zipfile.ZipFile(${JSON.stringify(path)}, 'w')\n${script}\nz.close()`
  ])
}

const failureMessage = (): string =>
  String((emulator.requests[1]?.body.failureDetails as { message?: string } | undefined)?.message)

describe('output artifacts', () => {
  it('zips a directory by its contents, uploads it with SSE-KMS, then reports success', async () => {
    write('dist/index.html', '<h1>hi</h1>')
    write('dist/scripts/start.sh', '#!/bin/sh\necho start\n', 0o755)
    mkdirSync(join(workspace, 'dist/empty'))
    const job = jobWithOutputs(['BuildOutput'])
    const run = await step({ 'job-id': job.id, 'output-artifacts': 'BuildOutput=dist/' })

    expect(run.code).toBe(0)
    expect(emulator.operations()).toEqual(['GetJobDetails', 'PutJobSuccessResult'])
    const location = locationOf(job, 'BuildOutput')
    const entries = await zipEntries(location)
    expect(Object.keys(entries).sort()).toEqual(['empty/', 'index.html', 'scripts/start.sh'])
    expect(entries['scripts/start.sh']).toMatchObject({ text: '#!/bin/sh\necho start\n', mode: 0o755 })
    const stored = await head(location)
    expect(stored?.ServerSideEncryption).toBe('aws:kms')
    expect(stored?.SSEKMSKeyId).toBeUndefined()
    expect(stored?.ContentType).toBe('application/zip')
    expect(job.state).toBe('Succeeded')
    expect(run.summary).toContain('Output artifact BuildOutput')
    // The step read the job for its artifacts, so it knows, and links, the pipeline execution.
    const executionId = job.data.pipelineContext.pipelineExecutionId
    expect(run.summary).toContain(
      `<a href="https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/checkout-service/executions/${executionId}/timeline?region=us-east-1"><code>checkout-service</code>, execution <code>${executionId}</code></a>`
    )
  })

  it('zips a single file at the root, sends a .zip as it is, and maps several outputs by name', async () => {
    write('imagedefinitions.json', '[{"name":"web","imageUri":"repo/web:1"}]')
    pythonZip(join(workspace, 'bundle.zip'), "z.writestr('appspec.yml', 'version: 0.0')")
    const job = jobWithOutputs(['Images', 'Bundle'], {
      encryptionKeyId: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd'
    })
    const run = await step({ 'job-id': job.id, 'output-artifacts': 'Bundle=bundle.zip\nImages=imagedefinitions.json' })

    expect(run.code).toBe(0)
    expect(await zipEntries(locationOf(job, 'Images'))).toEqual({
      'imagedefinitions.json': { text: '[{"name":"web","imageUri":"repo/web:1"}]', mode: 0o644 }
    })
    const bundle = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: locationOf(job, 'Bundle').objectKey }))
    expect(Buffer.from(await bundle.Body!.transformToByteArray())).toEqual(readFileSync(join(workspace, 'bundle.zip')))
    expect((await head(locationOf(job, 'Images')))?.SSEKMSKeyId).toBe('arn:aws:kms:us-east-1:111122223333:key/1234abcd')
  })

  it('takes a bare path when the job has one output', async () => {
    write('out/a.txt', 'a')
    const job = jobWithOutputs(['Only'])
    const run = await step({ 'job-id': job.id, 'output-artifacts': 'out' })
    expect(run.code).toBe(0)
    expect(Object.keys(await zipEntries(locationOf(job, 'Only')))).toEqual(['a.txt'])
  })

  it('sends a large artifact in parts', async () => {
    // Bytes that do not compress, so the zip stays over two 8 MiB parts.
    write('big/blob.bin', randomBytes(20 * 1024 * 1024))
    const job = jobWithOutputs(['Big'])
    const run = await step({ 'job-id': job.id, 'output-artifacts': 'Big=big' })
    expect(run.code).toBe(0)
    expect((await head(locationOf(job, 'Big')))?.ETag).toMatch(/-\d+"$/)
  })

  it.each([
    ['an unknown name', ['Out'], 'Other=dist', /the job has no output artifact "Other"\. The job expects: Out\./],
    [
      'a declared output with no mapping',
      ['Out', 'Extra'],
      'Out=dist',
      /the job's output artifact "Extra" has no path.*The job expects: Out, Extra\./
    ],
    ['a missing path', ['Out'], 'Out=nowhere', /the path "nowhere" for "Out" does not exist/],
    ['an empty directory', ['Out'], 'Out=empty', /the directory "empty" for "Out" is empty/],
    [
      'a bare path for two outputs',
      ['A', 'B'],
      'dist',
      /a bare path needs exactly one output artifact, and the job has 2/
    ]
  ])('reports %s as a configuration error and uploads nothing', async (_, names, mapping, message) => {
    write('dist/a.txt', 'a')
    mkdirSync(join(workspace, 'empty'))
    const job = jobWithOutputs(names)
    const run = await step({ 'job-id': job.id, 'output-artifacts': mapping })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(new RegExp(`::error::Invalid input 'output-artifacts': ${message.source}`))
    expect(emulator.operations()).toEqual(['GetJobDetails', 'PutJobFailureResult'])
    expect(emulator.requests[1]?.body.failureDetails).toMatchObject({ type: 'ConfigurationError' })
    for (const name of names) expect(await head(locationOf(job, name))).toBeUndefined()
  })

  it('reports a failure, never success, when an upload fails', async () => {
    write('dist/a.txt', 'a')
    const job = jobWithOutputs(['Out'], { artifactBucket: 'no-such-bucket' })
    const run = await step({ 'job-id': job.id, 'output-artifacts': 'Out=dist' })
    expect(run.code).toBe(1)
    expect(emulator.operations()).toEqual(['GetJobDetails', 'PutJobFailureResult'])
    expect(emulator.requests[1]?.body.failureDetails).toMatchObject({
      type: 'JobFailed',
      message: stringMatching(/^Output artifact Out: /)
    })
    expect(job.state).toBe('Failed')
  })

  it('uploads nothing when the workflow failed', async () => {
    write('dist/a.txt', 'a')
    const job = jobWithOutputs(['Out'])
    const run = await step({ 'job-id': job.id, status: 'failure', 'output-artifacts': 'Out=dist' })
    expect(run.code).toBe(0)
    expect(emulator.operations()).toEqual(['PutJobFailureResult'])
    expect(await head(locationOf(job, 'Out'))).toBeUndefined()
  })

  it.each([
    [
      'a named pipe named .zip',
      () => execFileSync('mkfifo', [join(workspace, 'out.zip')]),
      'out.zip',
      /the path "out\.zip" for "Out" is a named pipe \(FIFO\)/
    ],
    [
      'a path that climbs out of the workspace',
      () => undefined,
      '../elsewhere',
      /the path "\.\.\/elsewhere" for "Out" is outside the workspace/
    ],
    [
      'a link to a credentials file outside the workspace',
      () => {
        write('../home/.aws/credentials', '[default]\naws_secret_access_key = x')
        symlinkSync(join(workspace, '../home/.aws/credentials'), join(workspace, 'settings.ini'))
      },
      'settings.ini',
      /the path "settings\.ini" for "Out" leads outside the workspace through a symbolic link/
    ]
  ])('refuses %s at once, tells the pipeline, and uploads nothing', async (_, prepare, path, message) => {
    mkdirSync(join(workspace, '../elsewhere'), { recursive: true })
    writeFileSync(join(workspace, '../elsewhere/a.txt'), 'a')
    prepare()
    const job = jobWithOutputs(['Out'])
    const run = await step({ 'job-id': job.id, 'output-artifacts': `Out=${path}` })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(new RegExp(`::error::Invalid input 'output-artifacts': ${message.source}`))
    expect(emulator.requests[1]?.body.failureDetails).toMatchObject({ type: 'ConfigurationError' })
    expect(await head(locationOf(job, 'Out'))).toBeUndefined()
  })

  it('uploads from outside the workspace when output-artifacts-outside-workspace is true', async () => {
    const outside = join(workspace, '../runner-temp')
    write('../runner-temp/built.txt', 'built elsewhere')
    const job = jobWithOutputs(['Out'])
    const run = await step({
      'job-id': job.id,
      'output-artifacts': `Out=${outside}`,
      'output-artifacts-outside-workspace': 'true'
    })
    expect(run.code).toBe(0)
    expect(await zipEntries(locationOf(job, 'Out'))).toEqual({ 'built.txt': { text: 'built elsewhere', mode: 0o644 } })
  })

  it.each([
    [
      'a named pipe',
      () => execFileSync('mkfifo', [join(workspace, 'dist/pipe')]),
      /"pipe" is a named pipe \(FIFO\); only regular files and directories go into an artifact/
    ],
    [
      'a file name with a backslash',
      () => write('dist/back\\slash.txt', 'x'),
      /the file name "back\\\\slash\.txt" has a backslash, which zip readers take for a folder separator/
    ],
    [
      'a file name with a drive letter',
      () => write('dist/C:evil.txt', 'x'),
      /the file name "C:evil\.txt" starts with a drive letter/
    ]
  ])('fails the upload on %s in a mapped directory, naming it, and uploads nothing', async (_, prepare, message) => {
    write('dist/a.txt', 'a')
    prepare()
    const job = jobWithOutputs(['Out'])
    const run = await step({ 'job-id': job.id, 'output-artifacts': 'Out=dist' })
    expect(run.code).toBe(1)
    expect(emulator.requests[1]?.body.failureDetails).toMatchObject({ type: 'JobFailed' })
    expect(failureMessage()).toMatch(new RegExp(`^Output artifact Out: ${message.source}`))
    expect(await head(locationOf(job, 'Out'))).toBeUndefined()
  })

  it('fails a .zip that is not a zip, saying how to have it zipped instead, and uploads nothing', async () => {
    write('bundle.zip', 'not a zip at all')
    const job = jobWithOutputs(['Out'])
    const run = await step({ 'job-id': job.id, 'output-artifacts': 'Out=bundle.zip' })
    expect(run.code).toBe(1)
    expect(failureMessage()).toMatch(
      /^Output artifact Out: "bundle\.zip" is not a readable zip file \(.+\)\. A path ending in \.zip is uploaded as it is: rebuild the zip, or map a directory or a file not named \.zip to have it zipped/
    )
    expect(await head(locationOf(job, 'Out'))).toBeUndefined()
  })

  it('aborts the multipart upload when a file changes while it is sent, and leaves no upload open', async () => {
    write('dist/build.log', randomBytes(24 * 1024 * 1024))
    const job = jobWithOutputs(['Out'])
    // A process still writing its log while the step uploads it.
    const writing = setInterval(() => appendFileSync(join(workspace, 'dist/build.log'), 'still building\n'), 5)
    const run = await step({ 'job-id': job.id, 'output-artifacts': 'Out=dist' }).finally(() => clearInterval(writing))
    expect(run.code).toBe(1)
    expect(failureMessage()).toMatch(/^Output artifact Out: "build\.log" changed while it was being read/)
    await expectNothingLeftAt(locationOf(job, 'Out'))
  })

  it('aborts the multipart upload when the runner stops the step mid-send, and tells the pipeline in time', async () => {
    write('dist/build.bin', randomBytes(20 * 1024 * 1024))
    const job = jobWithOutputs(['Out'])
    // S3 reached through a proxy that never forwards a part: the upload is surely under way when the stop comes.
    const proxy = await LoopbackProxy.start()
    let partHeld!: () => void
    const held = new Promise<void>((resolve) => (partHeld = resolve))
    proxy.hold = (request) => {
      const isPart = request.method === 'PUT' && request.target.includes('partNumber=')
      if (isPart) partHeld()
      return isPart
    }
    try {
      const run = await step(
        { 'job-id': job.id, 'output-artifacts': 'Out=dist' },
        {
          env: { AWS_ENDPOINT_URL_S3: `http://s3.test:${new URL(moto.url).port}`, HTTP_PROXY: proxy.url },
          stop: { when: held }
        }
      )
      expect(run.stoppedForMs).toBeLessThan(RUNNER_STOP.termAfterMs)
      expect(run.code).toBe(1)
      expect(emulator.requestsFor('PutJobFailureResult')).toHaveLength(1)
      expect(failureMessage()).toMatch(/^The runner stopped the step \(SIGINT\).*before the step reported a result/)
      const aborts = proxy.requests.filter((request) => request.method === 'DELETE' && /uploadId=/.test(request.target))
      expect(aborts).toHaveLength(1)
    } finally {
      await proxy.close()
    }
    await expectNothingLeftAt(locationOf(job, 'Out'))
  })

  it("signs S3 requests with the job's credentials, and never prints them", async () => {
    write('dist/a.txt', 'a')
    const job = jobWithOutputs(['Out'])
    await fetch(`${moto.url}/moto-api/recorder/reset-recording`, { method: 'POST' })
    await fetch(`${moto.url}/moto-api/recorder/start-recording`, { method: 'POST' })
    const run = await step(
      { 'job-id': job.id, 'output-artifacts': 'Out=dist' },
      { env: { ACTIONS_STEP_DEBUG: 'true' } }
    )
    await fetch(`${moto.url}/moto-api/recorder/stop-recording`, { method: 'POST' })
    const recording = await (await fetch(`${moto.url}/moto-api/recorder/download-recording`)).text()
    expect(run.code).toBe(0)

    const masks = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('::add-mask::'))
      .map((line) => line.slice(12))
    const jobKey = masks.find((value) => value.startsWith('ASIA'))
    expect(jobKey).toBeDefined()
    const puts = recording
      .split('\n')
      .filter((line) => line.includes(job.data.pipelineContext.pipelineName))
      .map((line) => JSON.parse(line) as { headers: Record<string, string> })
      // Header names, as the server saw them, in lower case.
      .map((request) =>
        Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]))
      )
    expect(puts.length).toBeGreaterThan(0)
    for (const headers of puts) {
      expect(headers.authorization).toContain(`Credential=${jobKey}/`)
      expect(headers['x-amz-security-token']).toBeTruthy()
      expect(headers['x-amz-server-side-encryption']).toBe('aws:kms')
    }
    const unmasked = run.everything
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n')
    for (const secret of masks) expect(unmasked).not.toContain(secret)
  })
})

describe('input artifacts', () => {
  async function seed(key: string, file: string): Promise<void> {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: readFileSync(file) }))
  }

  function jobWithInputs(inputs: { name: string; key: string }[]) {
    return emulator.createJob({
      inputArtifacts: inputs.map((input) => ({
        name: input.name,
        revision: 'r1',
        bucketName: BUCKET,
        objectKey: input.key
      }))
    })
  }

  it('extracts each zip into its own directory, keeping executable bits, and saves other files as they are', async () => {
    const source = join(workspace, 'source.zip')
    pythonZip(
      source,
      [
        "z.writestr('README.md', 'hello')",
        "info = zipfile.ZipInfo('bin/run.sh'); info.external_attr = 0o100755 << 16; z.writestr(info, '#!/bin/sh')",
        "z.writestr('lib/app.jar', 'PK\\x03\\x04 not really a jar')"
      ].join('\n')
    )
    await seed('app/SourceArti/abc', source)
    writeFileSync(join(workspace, 'notes.txt'), 'plain text')
    await seed('app/Notes/notes.txt', join(workspace, 'notes.txt'))
    const job = jobWithInputs([
      { name: 'SourceArtifact', key: 'app/SourceArti/abc' },
      { name: 'Notes', key: 'app/Notes/notes.txt' }
    ])

    const run = await step({ 'job-id': job.id, 'input-artifacts-path': 'inputs' }, { action: 'job' })
    expect(run.code).toBe(0)
    const root = join(workspace, 'inputs')
    expect(JSON.parse(run.outputs['input-artifact-paths'] ?? 'null')).toEqual({
      SourceArtifact: join(root, 'SourceArtifact'),
      Notes: join(root, 'Notes')
    })
    expect(readFileSync(join(root, 'SourceArtifact/README.md'), 'utf8')).toBe('hello')
    expect(statSync(join(root, 'SourceArtifact/bin/run.sh')).mode & 0o777).toBe(0o755)
    expect(readFileSync(join(root, 'SourceArtifact/lib/app.jar'), 'utf8')).toBe('PK\x03\x04 not really a jar')
    expect(readFileSync(join(root, 'Notes/notes.txt'), 'utf8')).toBe('plain text')
  })

  it.each([
    ['an entry that climbs out', "z.writestr('../evil.txt', 'x')", /invalid relative path|outside the destination/],
    ['an absolute entry', "z.writestr('/tmp/evil.txt', 'x')", /absolute path|outside the destination/],
    [
      'a symbolic link out of the destination',
      "info = zipfile.ZipInfo('link'); info.external_attr = 0o120777 << 16; z.writestr(info, '../../etc')",
      /symbolic link to "\.\.\/\.\.\/etc", outside the destination/
    ]
  ])('refuses %s and writes nothing', async (_, script, message) => {
    const archive = join(workspace, 'hostile.zip')
    pythonZip(archive, `z.writestr('first.txt', 'ok')\n${script}`)
    const key = `app/Hostile/${Math.random().toString(36).slice(2)}`
    await seed(key, archive)
    const job = jobWithInputs([{ name: 'Hostile', key }])
    const run = await step({ 'job-id': job.id, 'input-artifacts-path': 'inputs' }, { action: 'job' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(new RegExp(`::error::Input artifact Hostile: .*(${message.source})`))
    expect(existsSync(join(workspace, 'inputs/Hostile/first.txt'))).toBe(false)
    expect(existsSync(join(workspace, 'evil.txt'))).toBe(false)
  })

  const link = (name: string, target: string): string =>
    `i = zipfile.ZipInfo(${JSON.stringify(name)}); i.external_attr = 0o120777 << 16; z.writestr(i, ${JSON.stringify(target)})`

  async function runWith(name: string, archive: string) {
    const key = `app/${name}/${Math.random().toString(36).slice(2)}`
    await seed(key, archive)
    const job = jobWithInputs([{ name, key }])
    return step({ 'job-id': job.id, 'input-artifacts-path': 'inputs' }, { action: 'job' })
  }

  it.each([
    // Where case is folded (macOS, Windows), b/ names the link B: the write itself is checked, not the name.
    [
      'links meant for a file system that folds case',
      [link('a', '.'), link('B', 'a/a/a/../../..'), "z.writestr('b/ws/build.sh', 'echo owned')"]
    ],
    ['a dangling link that leads out through another link', [link('a', '.'), link('hook', 'a/a/a/../../../X')]]
  ])('refuses %s, and leaves nothing behind or outside', async (_, lines) => {
    const archive = join(workspace, 'hostile.zip')
    pythonZip(archive, lines.join('\n'))
    const run = await runWith('Hostile', archive)
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /::error::Input artifact Hostile: entry "(B|hook)" is a symbolic link that leads outside the destination/
    )
    expect(existsSync(join(workspace, 'inputs/Hostile'))).toBe(false)
    for (const level of ['inputs', '.', '..']) expect(existsSync(join(workspace, level, 'ws'))).toBe(false)
  })

  it('refuses an input artifact whose name from the job would climb out of input-artifacts-path', async () => {
    const archive = join(workspace, 'ok.zip')
    pythonZip(archive, "z.writestr('planted.txt', 'x')")
    const run = await runWith('../../escaped', archive)
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /::error::Input artifact "\.\.\/\.\.\/escaped": its name is not a CodePipeline artifact name \(1–100 letters, digits, _ or -\), so it cannot name a directory/
    )
    expect(existsSync(join(workspace, '../escaped'))).toBe(false)
    expect(existsSync(join(workspace, 'escaped'))).toBe(false)
  })

  it('refuses an archive that would unpack to more than the free disk, and says how much is free', async () => {
    const { bavail, bsize } = statfsSync(workspace)
    const each = 0xf0000000
    const archive = lyingZip(workspace, Math.ceil((bavail * bsize + 8 * 1024 ** 3) / each), each)
    const run = await runWith('Huge', archive)
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /::error::Input artifact Huge: the archive unpacks to [\d.]+ GiB, more than the [\d.]+ GiB free on the file system that holds .* once [\d.]+ GiB is kept for the rest of the job; free up space, or use a runner with a larger disk/
    )
    expect(existsSync(join(workspace, 'inputs/Huge'))).toBe(false)
  })

  it('refuses to download into a directory that is not empty', async () => {
    write('inputs/Src/old.txt', 'old')
    const job = jobWithInputs([{ name: 'Src', key: 'whatever' }])
    const run = await step({ 'job-id': job.id, 'input-artifacts-path': 'inputs' }, { action: 'job' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::Input artifact Src: .* is not empty/)
  })
})

// Each test's workspace sits in a folder of its own, with what a test put beside it.
afterEach(() => {
  if (workspace) rmSync(join(workspace, '..'), { recursive: true, force: true })
})
