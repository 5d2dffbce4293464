import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ApiError } from './api-error.ts'
import { type CursorState, decodeCursor, encodeCursor, fingerprintOf, readCursor } from './cursor.ts'

const state: CursorState = {
  at: '2025-03-10T12:00:00.123456Z',
  id: 'logs/0/42',
  fromMs: 1_741_600_000_000,
  toMs: null,
  filters: fingerprintOf({ service: ['api'] }),
}

describe('cursor', () => {
  it('round-trips', () => {
    expect(decodeCursor(encodeCursor(state))).toEqual(state)
    expect(decodeCursor(encodeCursor({ ...state, toMs: 1_741_700_000_000 }))).toEqual({
      ...state,
      toMs: 1_741_700_000_000,
    })
  })

  it('round-trips any id and position', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }).filter((s) => !s.includes('\u0000')),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 999 }),
        (id, date, micros) => {
          const at = date.toISOString().replace(/Z$/, `${String(micros).padStart(3, '0')}Z`)
          const s = { ...state, id, at }
          expect(decodeCursor(encodeCursor(s))).toEqual(s)
        },
      ),
    )
  })

  const forge = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url')
  it.each([
    ['garbage', 'not a cursor!'],
    ['not base64 JSON', 'aGVsbG8'],
    ['an object', forge([{ a: 1 }])],
    ['another version', forge([2, state.at, state.id, state.fromMs, null, state.filters])],
    ['a time that is not micro ISO', forge([1, "2025-01-01' OR 1=1 --", 'x', 0, null, state.filters])],
    ['an impossible date', forge([1, '2025-02-30T00:00:00.000000Z', 'x', 0, null, state.filters])],
    ['an empty id', forge([1, state.at, '', 0, null, state.filters])],
    ['a NUL in the id', forge([1, state.at, 'a\u0000b', 0, null, state.filters])],
    ['a fractional from', forge([1, state.at, 'x', 1.5, null, state.filters])],
    ['a bad fingerprint', forge([1, state.at, 'x', 0, null, "'; DROP TABLE logs; --"])],
  ])('refuses %s', (_name, text) => {
    expect(decodeCursor(text)).toBeUndefined()
  })

  it('is refused with other filters than it was made for', () => {
    const text = encodeCursor(state)
    expect(readCursor(text, state.filters)).toEqual(state)
    expect(() => readCursor(text, fingerprintOf({ service: ['web'] }))).toThrow(ApiError)
    expect(() => readCursor(text, fingerprintOf({ service: ['web'] }))).toThrow(
      /cursor: made for other filters/,
    )
    expect(readCursor(undefined, state.filters)).toBeUndefined()
  })

  it('fingerprints filters whatever their order, ignoring absent ones', () => {
    expect(fingerprintOf({ a: 1, b: ['x'] })).toBe(fingerprintOf({ b: ['x'], a: 1, c: undefined }))
    expect(fingerprintOf({ a: 1 })).not.toBe(fingerprintOf({ a: 2 }))
  })
})
