/** The proxy's credentials, from their secret. */
export interface ProxyCredentials {
  readonly username: string
  readonly password: string
}

const FORMAT = 'It must hold user:password, or {"username": "...", "password": "..."}'

/** Reads the secret's text. Never quotes it back: an error says what is wrong, not what is there. */
export function parseProxyCredentials(text: string): ProxyCredentials {
  const trimmed = text.trim()
  let fields: { username?: unknown; password?: unknown } = {}
  if (trimmed.startsWith('{')) {
    try {
      fields = JSON.parse(trimmed) as typeof fields
    } catch {
      throw new Error(`The proxy credentials secret is not valid JSON. ${FORMAT}.`)
    }
  } else {
    const colon = trimmed.indexOf(':')
    if (colon > 0) fields = { username: trimmed.slice(0, colon), password: trimmed.slice(colon + 1) }
  }
  const { username, password } = fields
  if (typeof username !== 'string' || !username || typeof password !== 'string' || !password)
    throw new Error(`The proxy credentials secret has no user name and password. ${FORMAT}.`)
  return { username, password }
}
