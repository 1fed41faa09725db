// Builds the bridge: dist/bridge/index.js, one CommonJS file with the AWS SDK left to the Lambda
// runtime, and dist/bridge/template.yaml, the stack that carries it inline, brotli-compressed, so
// that it deploys with no bucket. Fails when the template passes CloudFormation's size limit.
import { Buffer } from 'node:buffer'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { brotliCompressSync, constants } from 'node:zlib'
import { build } from 'esbuild'

/** The most a template sent in the request (`--template-file`, TemplateBody) may weigh. */
export const TEMPLATE_BODY_MAX_BYTES = 51_200

const version = JSON.parse(readFileSync('package.json', 'utf8')).version
mkdirSync('dist/bridge', { recursive: true })
await build({
  entryPoints: ['src/bridge/index.ts'],
  outfile: 'dist/bridge/index.js',
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  // Provided by the Lambda runtime; the tests give the pinned ones.
  external: ['@aws-sdk/*'],
  legalComments: 'none',
  banner: {
    js: `// codepipeline-job-action ${version}: the bridge's Lambda handler, built from src/bridge/ by \`npm run bundle\`.`
  },
  logLevel: 'warning'
})
const code = readFileSync('dist/bridge/index.js')
const compressed = brotliCompressSync(code, {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT }
})
// Z85 (ZeroMQ's base 85) spends 5 characters on 4 bytes where base64 spends 5.33: about 2 KB less
// template for the same code. Its alphabet has no quote or backslash, so it sits in a JS string as it is.
const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#'
const padded = Buffer.concat([compressed, Buffer.alloc((4 - (compressed.length % 4)) % 4)])
let packed = ''
for (let at = 0; at < padded.length; at += 4) {
  let value = padded.readUInt32BE(at)
  let group = ''
  for (let digit = 0; digit < 5; digit++, value = Math.floor(value / 85)) group = Z85[value % 85] + group
  packed += group
}
const loader = [
  `// dist/bridge/index.js of codepipeline-job-action ${version}, brotli-compressed and Z85-encoded to fit the template; \`npm run bundle\` rebuilds it.`,
  `const z85 = '${Z85}', packed = '${packed}', bytes = Buffer.alloc(packed.length / 5 * 4);`,
  `for (let at = 0; at < packed.length; at += 5) { let value = 0; for (let digit = 0; digit < 5; digit++) value = value * 85 + z85.indexOf(packed[at + digit]); bytes.writeUInt32BE(value, at / 5 * 4) }`,
  `const code = require('node:zlib').brotliDecompressSync(bytes.subarray(0, ${compressed.length})).toString('utf8');`,
  `new Function('exports', 'require', 'module', '__filename', '__dirname', code)(exports, require, module, __filename, __dirname);`
]
const skeleton = readFileSync('src/bridge/template.yaml', 'utf8')
const placeholder = /^( +)ZipFile: BRIDGE_CODE$/m
const indent = placeholder.exec(skeleton)?.[1]
if (indent === undefined) throw new Error('src/bridge/template.yaml has no `ZipFile: BRIDGE_CODE` line')
// A function, not a string: the code holds `$&` and the like, which a replacement string would expand.
const template = skeleton.replace(
  placeholder,
  () => `${indent}ZipFile: |\n${loader.map((line) => `${indent}  ${line}`).join('\n')}`
)
const bytes = Buffer.byteLength(template)
if (bytes > TEMPLATE_BODY_MAX_BYTES) {
  throw new Error(
    `dist/bridge/template.yaml would be ${bytes} bytes, over CloudFormation's TemplateBody limit of ${TEMPLATE_BODY_MAX_BYTES}`
  )
}
writeFileSync('dist/bridge/template.yaml', template)
if (!process.argv.includes('--quiet'))
  console.log(
    `dist/bridge/index.js ${code.length} bytes; dist/bridge/template.yaml ${bytes} bytes of ${TEMPLATE_BODY_MAX_BYTES}`
  )
