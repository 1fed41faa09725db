/**
 * Stands in for `undici` in the bundles (tsconfig.json maps the bare name here).
 *
 * @actions/core imports @actions/http-client, which imports undici's ProxyAgent
 * at load time, so every step paid for evaluating all of undici (about 10 ms and
 * 430 KiB) although only @actions/github's requests ever use it. Here undici
 * lives in a chunk of its own, loaded by the first request that needs it.
 *
 * The two names the toolkit imports are all this has to offer: http-client
 * builds a ProxyAgent when a proxy applies, and @actions/github sends every
 * request through `fetch` with that agent as its dispatcher.
 */
import type * as Undici from 'undici/index.js'

let undici: Promise<typeof Undici> | undefined
// A subpath import, which the mapping of the bare name does not catch.
const load = (): Promise<typeof Undici> => (undici ??= import('undici/index.js'))

/** Keeps the proxy's options until a request needs the real agent. */
export class ProxyAgent {
  private agent: Undici.ProxyAgent | undefined

  constructor(private readonly options: Undici.ProxyAgent.Options) {}

  /** The real agent, made once and reused, as http-client reuses this one. */
  resolve(real: typeof Undici): Undici.ProxyAgent {
    return (this.agent ??= new real.ProxyAgent(this.options))
  }
}

export async function fetch(input: Undici.RequestInfo, init?: Undici.RequestInit): Promise<Undici.Response> {
  const real = await load()
  const dispatcher: unknown = init?.dispatcher
  return real.fetch(input, {
    ...init,
    dispatcher: dispatcher instanceof ProxyAgent ? dispatcher.resolve(real) : init?.dispatcher
  })
}
