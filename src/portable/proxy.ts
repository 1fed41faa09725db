import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'

/**
 * Corporate proxies for AWS calls, from the variables curl and the GitHub
 * toolkit read: HTTPS_PROXY, HTTP_PROXY and NO_PROXY, lower case first.
 *
 * Node's own proxy support does the work, not a proxy agent package. Since
 * Node.js 24.5.0 (and 22.21.0) an http.Agent or https.Agent made with a
 * `proxyEnv` tunnels HTTPS through the proxy with CONNECT, sends HTTP to it in
 * absolute form, turns credentials in the proxy URL into Proxy-Authorization,
 * and decides per request whether NO_PROXY lets a host go direct. That is all
 * the AWS SDK needs, for no bytes in the bundle. NODE_USE_ENV_PROXY and
 * --use-env-proxy, which reach http and https from the same releases, set up
 * only Node's global agents, and only as Node starts: an action cannot set
 * them, and the SDK makes agents of its own, which the agents here replace.
 * GitHub-hosted runners run actions on a newer Node 24; on a self-hosted
 * runner with an older 24.x, the step warns and names the fix.
 *
 * GitHub calls go through @actions/http-client, which reads the same
 * variables. NO_PROXY is rewritten for Node so that both read it alike: a name
 * covers its subdomains, a leading dot means the subdomains, a port limits an
 * entry to that port, `*` covers everything, and loopback addresses never go
 * through the proxy.
 *
 * Nothing here needs @actions/core, so the bridge can use it as the actions do.
 */

/** The proxy variables as the step runs with them. */
export interface ProxySettings {
  /** For HTTPS requests, from https_proxy or HTTPS_PROXY. */
  readonly https?: URL
  /** For HTTP requests, from http_proxy or HTTP_PROXY. */
  readonly http?: URL
  /** The hosts that go direct, as NO_PROXY lists them. */
  readonly noProxy: readonly string[]
  /** What keeps a proxy variable from being used, for the log. */
  readonly problems: readonly string[]
}

/** The Node.js releases whose agents take `proxyEnv`. */
const NODE_PROXY_SUPPORT = '24.5.0 (or 22.21.0)'

export function nodeSupportsProxyEnv(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  return major >= 25 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21)
}

export function readProxySettings(
  env: NodeJS.ProcessEnv = process.env,
  nodeVersion: string = process.versions.node
): ProxySettings {
  const problems: string[] = []
  const read = (lower: string, upper: string): URL | undefined => {
    const name = env[lower] ? lower : upper
    const value = env[name]?.trim()
    if (!value) return undefined
    const url = parseProxyUrl(value)
    if (url === undefined)
      problems.push(`${name} is not a proxy URL such as http://proxy.example.com:3128, so it is not used.`)
    return url
  }
  const https = read('https_proxy', 'HTTPS_PROXY')
  const http = read('http_proxy', 'HTTP_PROXY')
  const noProxy = (env.no_proxy || env.NO_PROXY || '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
  if ((https || http) && !nodeSupportsProxyEnv(nodeVersion)) {
    problems.push(
      `A proxy is set, but this runner runs actions on Node.js ${nodeVersion}, whose HTTP agents cannot use one (that came with Node.js ${NODE_PROXY_SUPPORT}), so AWS calls go direct. Update the runner: current runners bring a newer Node.js 24.`
    )
  }
  return { https, http, noProxy, problems }
}

/**
 * Agents for an AWS SDK client's request handler: through the proxy, with
 * NO_PROXY's exceptions. Empty when no proxy applies, so the SDK keeps its
 * own. Fresh for each client, as destroying a client destroys its agents.
 */
export function proxyAgents(
  settings: ProxySettings = readProxySettings(),
  nodeVersion: string = process.versions.node,
  { keepAlive = true }: { readonly keepAlive?: boolean } = {}
): {
  httpAgent?: HttpAgent
  httpsAgent?: HttpsAgent
} {
  if ((!settings.https && !settings.http) || !nodeSupportsProxyEnv(nodeVersion)) return {}
  const proxyEnv = {
    ...(settings.https && { HTTPS_PROXY: settings.https.href }),
    ...(settings.http && { HTTP_PROXY: settings.http.href }),
    NO_PROXY: nodeNoProxy(settings.noProxy)
  }
  // The SDK's own agent settings, so that only the route changes.
  const options = { keepAlive, maxSockets: 50, proxyEnv }
  return { httpAgent: new HttpAgent(options), httpsAgent: new HttpsAgent(options) }
}

/**
 * The settings with the proxy's credentials put in its URLs, for a proxy
 * whose credentials are kept apart from its URL (the bridge reads them
 * from a secret). Without credentials, the settings as they are.
 */
export function withProxyCredentials(
  settings: ProxySettings,
  credentials?: { readonly username: string; readonly password: string }
): ProxySettings {
  if (!credentials) return settings
  const signed = (url: URL | undefined): URL | undefined => {
    if (!url) return undefined
    const copy = new URL(url.href)
    copy.username = encodeURIComponent(credentials.username)
    copy.password = encodeURIComponent(credentials.password)
    return copy
  }
  return { ...settings, https: signed(settings.https), http: signed(settings.http) }
}

/** Says which proxy AWS calls use, without the credentials in its URL; undefined without one. */
export function describeProxy(settings: ProxySettings): string | undefined {
  const routes = [
    settings.https && `HTTPS through ${redact(settings.https)}`,
    settings.http && `HTTP through ${redact(settings.http)}`
  ].filter(Boolean)
  if (routes.length === 0) return undefined
  const except = settings.noProxy.length > 0 ? `, except for NO_PROXY: ${settings.noProxy.join(', ')}` : ''
  return `AWS and GitHub calls go ${routes.join(' and ')}${except}.`
}

/** Says which proxy the calls go through, if any, and why a proxy variable is not used. */
export function announceProxy(
  log: { info(message: string): void; warning(message: string): void },
  env: NodeJS.ProcessEnv = process.env
): void {
  const settings = readProxySettings(env)
  const route = describeProxy(settings)
  if (route) log.info(route)
  for (const problem of settings.problems) log.warning(problem)
}

/** The secret parts of the proxy URLs: the password, or a user name that stands alone as a token. */
export function proxyCredentials(env: NodeJS.ProcessEnv = process.env): string[] {
  const found = new Set<string>()
  for (const name of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) {
    const url = parseProxyUrl(env[name]?.trim() ?? '')
    const secret = url?.password || url?.username
    if (!secret) continue
    found.add(secret)
    found.add(decodeURIComponent(secret))
  }
  return [...found]
}

/** A proxy URL; one without a scheme is taken as http://, as curl and the GitHub toolkit take it. */
function parseProxyUrl(value: string): URL | undefined {
  if (!value) return undefined
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`
  try {
    const url = new URL(text)
    if (!(url.protocol === 'http:' || url.protocol === 'https:') || !url.hostname) return undefined
    // Node decodes the credentials, and throws on a `%` that starts no escape: such a one is meant as itself.
    url.username = decodable(url.username)
    url.password = decodable(url.password)
    return url
  } catch {
    return undefined
  }
}

/** The text with every `%` that would not decode escaped as `%25`, so that it decodes to what was typed. */
function decodable(text: string): string {
  const strays = text.replace(/%(?![0-9A-Fa-f]{2})/g, '%25')
  try {
    decodeURIComponent(strays)
    return strays
  } catch {
    // Escapes that are not UTF-8 (`%C3` alone): every `%` is taken as itself.
    return text.replace(/%/g, '%25')
  }
}

function redact(url: URL): string {
  const shown = new URL(url.href)
  shown.username = ''
  shown.password = ''
  return shown.href
}

/** Always direct, as @actions/http-client keeps them. */
const LOOPBACK = ['localhost', '127.0.0.0-127.255.255.255', '::1', '[::1]']

/**
 * NO_PROXY in the forms Node's agents match: `example.com` also as
 * `*.example.com`, `.example.com` as `*.example.com`, `host:port` as it is,
 * IPv4 ranges and `*` as they are, and loopback added.
 */
export function nodeNoProxy(entries: readonly string[]): string {
  const rules = new Set<string>()
  for (const entry of entries.map((text) => text.toLowerCase())) {
    if (entry === '*' || /^[\d.]+\s*-\s*[\d.]+$/.test(entry) || /:\d+$/.test(entry)) {
      rules.add(entry)
      continue
    }
    const domain = entry.replace(/^\*?\./, '')
    if (entry === domain) rules.add(domain)
    rules.add(`*.${domain}`)
  }
  for (const host of LOOPBACK) rules.add(host)
  return [...rules].join(',')
}
