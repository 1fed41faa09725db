import { describe, expect, it } from 'vitest'
import { proxyAgents, readProxySettings, withProxyCredentials } from '../../src/portable/proxy.js'
import { parseProxyCredentials } from '../../src/bridge/proxy-secret.js'

describe('parseProxyCredentials', () => {
  it('reads user:password text, the password keeping any colon, and JSON with username and password', () => {
    expect(parseProxyCredentials(' bridge:pa:ss@word\n')).toEqual({ username: 'bridge', password: 'pa:ss@word' })
    expect(parseProxyCredentials('{"username": "bridge", "password": "p@ss"}')).toEqual({
      username: 'bridge',
      password: 'p@ss'
    })
  })

  it.each([
    ['a bare password', 'p@ssword', 'has no user name and password'],
    ['no user name', ':p@ssword', 'has no user name and password'],
    ['no password', 'bridge:', 'has no user name and password'],
    ['JSON without a password', '{"username": "bridge"}', 'has no user name and password'],
    ['JSON with a number', '{"username": "bridge", "password": 1234}', 'has no user name and password'],
    ['broken JSON', '{"username": "bridge", "password": "p@ssword"', 'is not valid JSON']
  ])('refuses %s, saying what it must hold and never quoting it', (_, text, said) => {
    let message = ''
    try {
      parseProxyCredentials(text)
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toContain(`The proxy credentials secret ${said}`)
    expect(message).toContain('user:password, or {"username": "...", "password": "..."}')
    expect(message).not.toContain('p@ssword')
  })
})

describe('withProxyCredentials', () => {
  const settings = readProxySettings(
    {
      HTTPS_PROXY: 'http://proxy.example.com:3128',
      HTTP_PROXY: 'http://proxy.example.com:3128',
      NO_PROXY: '.internal'
    },
    '24.11.0'
  )

  it('puts the credentials, escaped, in both proxy URLs, and leaves the settings read from the environment alone', () => {
    const signed = withProxyCredentials(settings, { username: 'bridge', password: 'pa:ss@w/rd%' })
    for (const url of [signed.https, signed.http]) {
      expect(url?.host).toBe('proxy.example.com:3128')
      expect(decodeURIComponent(url?.username ?? '')).toBe('bridge')
      expect(decodeURIComponent(url?.password ?? '')).toBe('pa:ss@w/rd%')
    }
    expect(signed.noProxy).toEqual(['.internal'])
    expect(settings.https?.password).toBe('')
    expect(proxyAgents(signed, '24.11.0').httpsAgent).toBeDefined()
  })

  it('changes nothing without credentials, or without a proxy', () => {
    expect(withProxyCredentials(settings)).toBe(settings)
    const none = readProxySettings({}, '24.11.0')
    expect(withProxyCredentials(none, { username: 'u', password: 'p' })).toMatchObject({
      https: undefined,
      http: undefined
    })
  })
})
