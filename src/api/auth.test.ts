import { describe, expect, it } from 'vitest'
import { isLoopbackHost, isProtectedPath } from './auth.ts'

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])(
    '%s is loopback',
    (h) => expect(isLoopbackHost(h)).toBe(true),
  )
  it.each(['0.0.0.0', '::', '10.0.0.5', '192.168.1.1', 'example.com', '128.0.0.1', ''])('%j is not', (h) =>
    expect(isLoopbackHost(h)).toBe(false),
  )
})

describe('isProtectedPath', () => {
  it.each(['/api', '/api/logs', '/api/stream', '/metrics', '/readyz'])('%s needs the token', (p) =>
    expect(isProtectedPath(p)).toBe(true),
  )
  it.each(['/healthz', '/docs', '/docs/static/index.html', '/openapi.json', '/', '/index.html', '/apix'])(
    '%s does not',
    (p) => expect(isProtectedPath(p)).toBe(false),
  )
})
