// Builds the bridge: dist/bridge/index.js, one CommonJS file with the AWS SDK left to the Lambda
// runtime, and dist/bridge/template.yaml, the stack that carries it inline, brotli-compressed, so
// that it deploys with no bucket. Fails when the template passes CloudFormation's size limit.
import { Buffer } from 'node:buffer'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { brotliCompressSync, constants } from 'node:zlib'
import { build } from 'esbuild'
import { isCollection, isPair, parseDocument, visit } from 'yaml'

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
  // Minified: a quarter less template once compressed. The bridge logs messages, not stack traces, and its
  // errors name themselves; src/bridge/ is what to read.
  minify: true,
  banner: {
    js: `// codepipeline-job-action ${version}: the bridge's Lambda handler, built from src/bridge/ by \`npm run bundle\`.`
  },
  logLevel: 'warning'
})
const code = readFileSync('dist/bridge/index.js')
const compressed = brotliCompressSync(code, {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT }
})
// Base 93: every printable ASCII character but the quote and the backslash, so that the text sits in a
// single-quoted JS string as it is. 13 bytes become 16 characters (93^16 > 2^104): 1.23 characters a
// byte, where Z85 spends 1.25 and base64 1.33.
const ALPHABET = Array.from({ length: 95 }, (_, at) => String.fromCharCode(32 + at))
  .filter((char) => char !== "'" && char !== '\\')
  .join('')
const BASE = BigInt(ALPHABET.length)
const padded = Buffer.concat([compressed, Buffer.alloc((13 - (compressed.length % 13)) % 13)])
let packed = ''
for (let at = 0; at < padded.length; at += 13) {
  let value = BigInt(`0x${padded.subarray(at, at + 13).toString('hex')}`)
  let group = ''
  for (let digit = 0; digit < 16; digit++, value /= BASE) group = ALPHABET[Number(value % BASE)] + group
  packed += group
}
const loader = [
  `// dist/bridge/index.js of codepipeline-job-action ${version}, brotli-compressed and base-93-encoded to fit the template; \`npm run bundle\` rebuilds it.`,
  `const digits = '${ALPHABET}', packed = '${packed}', bytes = Buffer.alloc(packed.length / 16 * 13);`,
  `for (let at = 0; at < packed.length; at += 16) { let value = 0n; for (let digit = 0; digit < 16; digit++) value = value * 93n + BigInt(digits.indexOf(packed[at + digit])); bytes.write(value.toString(16).padStart(26, '0'), at / 16 * 13, 'hex') }`,
  `const code = require('node:zlib').brotliDecompressSync(bytes.subarray(0, ${compressed.length})).toString('utf8');`,
  `new Function('exports', 'require', 'module', '__filename', '__dirname', code)(exports, require, module, __filename, __dirname);`
]
// Comments and layout stay in src/bridge/template.yaml, for review; the built template leaves them out, for room.
const skeleton = compact(readFileSync('src/bridge/template.yaml', 'utf8').replace(/^ *#.*\n/gm, ''))
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

/**
 * The template with each parameter, output and resource on one line, in
 * YAML's flow style, which spends no bytes on indentation. The function's
 * resource keeps its block style down to the code, which only a block
 * scalar can carry. The same values and tags come out as went in, or the
 * build fails.
 */
function compact(text) {
  const doc = parseDocument(text, { strict: false })
  visit(doc, {
    Collection(_, node, path) {
      const depth = path.filter((step) => isCollection(step)).length
      const inFunction = path.some((step) => isPair(step) && step.key?.value === 'Function')
      if (depth >= 2 && !(inFunction && depth < 5)) node.flow = true
    }
  })
  const out = doc.toString({ lineWidth: 0, flowCollectionPadding: false })
  const again = parseDocument(out, { strict: false })
  const tags = (yaml) => yaml.match(/![A-Za-z]+/g)?.join(' ')
  if (
    JSON.stringify(again.toJS()) !== JSON.stringify(doc.toJS()) ||
    tags(out) !== tags(text) ||
    again.errors.length > 0
  )
    throw new Error('The compacted template differs from src/bridge/template.yaml')
  return out
}
if (!process.argv.includes('--quiet'))
  console.log(
    `dist/bridge/index.js ${code.length} bytes; dist/bridge/template.yaml ${bytes} bytes of ${TEMPLATE_BODY_MAX_BYTES}`
  )
