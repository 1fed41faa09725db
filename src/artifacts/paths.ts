import { isAbsolute, relative, sep } from 'node:path'

/** CodePipeline's artifact names; an input artifact's name is also the name of its directory. */
export const ARTIFACT_NAME = /^[A-Za-z0-9_-]{1,100}$/

/** True when `path` is `root` itself or lies below it. Both must be absolute and resolved. */
export function isInside(root: string, path: string): boolean {
  const rest = relative(root, path)
  return rest === '' || (!isAbsolute(rest) && rest !== '..' && !rest.startsWith(`..${sep}`))
}
