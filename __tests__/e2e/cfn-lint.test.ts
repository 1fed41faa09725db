import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { HOW_TO_GET_PYTHON_TOOLS, pythonTool } from '../../local/python-tools.js'

// The templates users deploy, through cfn-lint as CI runs it.
function cfnLint(path: string): string {
  try {
    return execFileSync(pythonTool('cfn-lint'), [path], { encoding: 'utf8' })
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string }
    if (failure.code === 'ENOENT') {
      throw new Error(`cfn-lint is missing. ${HOW_TO_GET_PYTHON_TOOLS}`, { cause: error })
    }
    throw new Error(`cfn-lint found problems in ${path}:\n${failure.stdout ?? String(error)}`, { cause: error })
  }
}

describe('the CloudFormation templates', () => {
  it.each(['examples/cloudformation/github-actions-action-type.yaml', 'dist/bridge/template.yaml'])(
    '%s passes cfn-lint',
    (path) => {
      expect(cfnLint(path)).toBe('')
    }
  )
})
