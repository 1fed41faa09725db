import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { describe, expect, it } from 'vitest'
import { stringMatching } from '../../__fixtures__/expect.js'
import {
  announceProxy,
  describeProxy,
  nodeNoProxy,
  nodeSupportsProxyEnv,
  proxyAgents,
  proxyCredentials,
  readProxySettings
} from '../../src/portable/proxy.js'

const NODE = '24.21.0'

describe('readProxySettings', () => {
  it('reads the lower-case variables first, as curl and the GitHub toolkit do', () => {
    const settings = readProxySettings(
      {
        https_proxy: 'http://lower:3128',
        HTTPS_PROXY: 'http://upper:3128',
        HTTP_PROXY: 'http://plain:8080',
        no_proxy: ' .corp.example , localhost ,',
        NO_PROXY: 'ignored'
      },
      NODE
    )
    expect(settings.https?.href).toBe('http://lower:3128/')
    expect(settings.http?.href).toBe('http://plain:8080/')
    expect(settings.noProxy).toEqual(['.corp.example', 'localhost'])
    expect(settings.problems).toEqual([])
  })

  it('takes a proxy without a scheme as http://', () => {
    expect(readProxySettings({ HTTPS_PROXY: 'proxy.corp:3128' }, NODE).https?.href).toBe('http://proxy.corp:3128/')
  })

  it('leaves out what is not a proxy URL, and says so', () => {
    const settings = readProxySettings({ HTTPS_PROXY: 'socks5://proxy:1080', HTTP_PROXY: 'http://[bad' }, NODE)
    expect(settings.https).toBeUndefined()
    expect(settings.http).toBeUndefined()
    expect(settings.problems).toEqual([
      'HTTPS_PROXY is not a proxy URL such as http://proxy.example.com:3128, so it is not used.',
      'HTTP_PROXY is not a proxy URL such as http://proxy.example.com:3128, so it is not used.'
    ])
  })

  it('warns on a Node.js whose agents cannot use a proxy', () => {
    expect(readProxySettings({ HTTPS_PROXY: 'http://proxy:3128' }, '24.4.1').problems).toEqual([
      stringMatching(/^A proxy is set, but this runner runs actions on Node\.js 24\.4\.1, .* Update the runner/)
    ])
    expect(readProxySettings({}, '24.4.1').problems).toEqual([])
  })
})

describe('nodeSupportsProxyEnv', () => {
  it.each([
    ['24.5.0', true],
    ['24.21.0', true],
    ['25.0.0', true],
    ['22.21.0', true],
    ['24.4.1', false],
    ['22.20.0', false],
    ['23.11.0', false],
    ['20.20.2', false]
  ])('%s: %s', (version, supported) => {
    expect(nodeSupportsProxyEnv(version)).toBe(supported)
  })
})

describe('nodeNoProxy', () => {
  it('rewrites NO_PROXY so that a name covers its subdomains and loopback stays direct', () => {
    expect(nodeNoProxy(['Corp.Example', '.internal', '*.svc', 'git.corp:8443', '10.0.0.1-10.0.0.9', '*'])).toBe(
      [
        'corp.example',
        '*.corp.example',
        '*.internal',
        '*.svc',
        'git.corp:8443',
        '10.0.0.1-10.0.0.9',
        '*',
        'localhost',
        '127.0.0.0-127.255.255.255',
        '::1',
        '[::1]'
      ].join(',')
    )
  })
})

describe('proxyAgents', () => {
  const settings = readProxySettings(
    { HTTPS_PROXY: 'http://user:pw@proxy:3128', HTTP_PROXY: 'http://proxy:3128', NO_PROXY: 'corp' },
    NODE
  )

  it("gives the SDK agents that route through the proxy, with the SDK's own pool settings", () => {
    const { httpAgent, httpsAgent } = proxyAgents(settings, NODE)
    expect(httpAgent).toBeInstanceOf(HttpAgent)
    expect(httpsAgent).toBeInstanceOf(HttpsAgent)
    const options = (httpsAgent as unknown as { options: Record<string, unknown> }).options
    expect(options).toMatchObject({
      keepAlive: true,
      maxSockets: 50,
      proxyEnv: {
        HTTPS_PROXY: 'http://user:pw@proxy:3128/',
        HTTP_PROXY: 'http://proxy:3128/',
        NO_PROXY: 'corp,*.corp,localhost,127.0.0.0-127.255.255.255,::1,[::1]'
      }
    })
  })

  it('leaves the SDK its own agents without a proxy, or on a Node.js that cannot use one', () => {
    expect(proxyAgents(readProxySettings({}, NODE), NODE)).toEqual({})
    expect(proxyAgents(settings, '24.4.1')).toEqual({})
  })
})

describe('what reaches the log', () => {
  it('names the proxy without its credentials', () => {
    const settings = readProxySettings(
      { HTTPS_PROXY: 'http://ci:s3cr%40t@proxy.corp:3128', NO_PROXY: '.corp,localhost' },
      NODE
    )
    expect(describeProxy(settings)).toBe(
      'AWS and GitHub calls go HTTPS through http://proxy.corp:3128/, except for NO_PROXY: .corp, localhost.'
    )
    expect(describeProxy(readProxySettings({}, NODE))).toBeUndefined()
  })

  it('gives the password to mask, as written and decoded, or a user name that stands alone', () => {
    expect(
      proxyCredentials({ HTTPS_PROXY: 'http://ci:s3cr%40t@proxy:3128', http_proxy: 'http://tok3n@proxy:8080' })
    ).toEqual(['s3cr%40t', 's3cr@t', 'tok3n'])
    expect(proxyCredentials({ HTTPS_PROXY: 'http://proxy:3128' })).toEqual([])
  })

  it.each([
    ['a % that starts no escape', '50%off'],
    ['an escape that is not UTF-8', 'x%C3y']
  ])('takes %s in a password as typed, where Node would throw decoding it', (_, password) => {
    const env = { HTTPS_PROXY: `http://ci:${password}@proxy:3128` }
    const { https } = readProxySettings(env, NODE)
    // What Node's agents do with the URL: decode the credentials for Proxy-Authorization.
    expect(decodeURIComponent(new URL(https!.href).password)).toBe(password)
    expect(proxyCredentials(env)).toContain(password)
  })

  it('announces the route and the problems through the given log', () => {
    const lines: string[] = []
    announceProxy(
      { info: (message) => lines.push(`info: ${message}`), warning: (message) => lines.push(`warning: ${message}`) },
      { HTTP_PROXY: 'http://proxy:8080', HTTPS_PROXY: 'ftp://nope' }
    )
    expect(lines).toEqual([
      'info: AWS and GitHub calls go HTTP through http://proxy:8080/.',
      'warning: HTTPS_PROXY is not a proxy URL such as http://proxy.example.com:3128, so it is not used.',
      // The tests run on the development machine's Node.js, which may be older than the runner's.
      ...(nodeSupportsProxyEnv() ? [] : [stringMatching(/^warning: A proxy is set, but this runner runs/)])
    ])
  })
})
