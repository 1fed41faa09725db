// Writes the input and output tables of each action's README from its action.yml,
// between `<!-- start inputs -->` and `<!-- end inputs -->` (and the same for
// outputs), so that the documentation cannot drift from what GitHub reads.
// `--check` changes nothing and fails when a README is not what it would write.
import { readFileSync, writeFileSync } from 'node:fs'
import * as prettier from 'prettier'
import { parse } from 'yaml'

const ACTIONS = [
  { metadata: 'action.yml', readme: 'README.md' },
  { metadata: 'job/action.yml', readme: 'job/README.md' }
]

/** Table cells hold one line, and a pipe would end the cell. */
const cell = (text) => String(text).replace(/\s+/g, ' ').trim().replaceAll('|', '\\|')

function inputsTable(inputs) {
  const rows = Object.entries(inputs).map(([name, input]) => {
    const description = `${input.required ? '**Required.** ' : ''}${cell(input.description)}`
    const fallback = input.default === undefined ? '' : `\`${cell(input.default)}\``
    return `| \`${name}\` | ${description} | ${fallback} |`
  })
  return ['| input | description | default |', '| --- | --- | --- |', ...rows].join('\n')
}

function outputsTable(outputs) {
  const rows = Object.entries(outputs).map(([name, output]) => `| \`${name}\` | ${cell(output.description)} |`)
  return ['| output | description |', '| --- | --- |', ...rows].join('\n')
}

function replaceBetweenMarkers(text, section, content, readme) {
  const start = `<!-- start ${section} -->`
  const end = `<!-- end ${section} -->`
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`${readme} has no \`${start}\` … \`${end}\` markers`)
  return `${text.slice(0, from + start.length)}\n\n${content}\n\n${text.slice(to)}`
}

/** The README as it should be: its own text, with tables made from the metadata. */
async function generate({ metadata, readme }) {
  const action = parse(readFileSync(metadata, 'utf8'))
  let text = readFileSync(readme, 'utf8')
  text = replaceBetweenMarkers(text, 'inputs', inputsTable(action.inputs ?? {}), readme)
  text = replaceBetweenMarkers(text, 'outputs', outputsTable(action.outputs ?? {}), readme)
  // Formatted as `prettier --check` wants it, so that the two checks agree.
  const options = (await prettier.resolveConfig(readme)) ?? {}
  return prettier.format(text, { ...options, filepath: readme })
}

const check = process.argv.includes('--check')
let stale = 0
for (const action of ACTIONS) {
  const wanted = await generate(action)
  if (wanted === readFileSync(action.readme, 'utf8')) continue
  if (check) {
    console.error(
      `${action.readme} does not match ${action.metadata}. Run \`npm run docs\` and commit ${action.readme}.`
    )
    stale += 1
  } else {
    writeFileSync(action.readme, wanted)
    console.log(`${action.readme}: tables written from ${action.metadata}`)
  }
}
if (check && stale === 0) console.log('The README tables match action.yml and job/action.yml.')
process.exit(stale > 0 ? 1 : 0)
