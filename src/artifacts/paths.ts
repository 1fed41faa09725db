import { isAbsolute, relative, sep } from 'node:path'

/** True when `path` is `root` itself or lies below it. Both must be absolute and resolved. */
export function isInside(root: string, path: string): boolean {
  const rest = relative(root, path)
  return rest === '' || (!isAbsolute(rest) && rest !== '..' && !rest.startsWith(`..${sep}`))
}
