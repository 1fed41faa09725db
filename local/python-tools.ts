import { readFileSync } from 'node:fs'

/** The Python tools the tests run, which scripts/ensure-python-tools.mjs finds or installs. */
export type PythonTool = 'moto_server' | 'cfn-lint'

/** What to do when a tool is missing; `npm test` does it first. */
export const HOW_TO_GET_PYTHON_TOOLS =
  'Run `node scripts/ensure-python-tools.mjs` (`npm test` runs it first): it finds moto_server and cfn-lint on PATH or installs them.'

/** The command for a tool: where the ensure script found or installed it, or its bare name for PATH to find. */
export function pythonTool(name: PythonTool): string {
  try {
    const paths = JSON.parse(
      readFileSync(new URL('../.cache/python-tools/paths.json', import.meta.url), 'utf8')
    ) as Partial<Record<PythonTool, string>>
    return paths[name] ?? name
  } catch {
    return name
  }
}
