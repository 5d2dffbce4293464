import { describe, expect, it } from 'vitest'
import { StreamwatchError } from '../../errors.ts'
import { translateDbError } from './translate-db-error.ts'

const withCode = (code: string, message = 'boom') => Object.assign(new Error(message), { code })

describe('translateDbError', () => {
  it.each([
    ['connection refused', withCode('ECONNREFUSED'), 'db_unavailable', true],
    ['connection reset', withCode('ECONNRESET'), 'db_unavailable', true],
    ['unknown host', withCode('ENOTFOUND'), 'db_unavailable', true],
    ['connection failure (08006)', withCode('08006'), 'db_unavailable', true],
    ['admin shutdown (57P01)', withCode('57P01'), 'db_unavailable', true],
    ['cannot connect now (57P03)', withCode('57P03'), 'db_unavailable', true],
    ['too many connections (53300)', withCode('53300'), 'db_unavailable', true],
    ['disk full (53100)', withCode('53100'), 'db_unavailable', true],
    ['statement timeout (57014)', withCode('57014'), 'db_unavailable', true],
    ['serialization failure (40001)', withCode('40001'), 'db_conflict', true],
    ['deadlock (40P01)', withCode('40P01'), 'db_conflict', true],
    ['lock not available (55P03)', withCode('55P03'), 'db_conflict', true],
    ['unique violation (23505)', withCode('23505'), 'internal', false],
    ['not null violation (23502)', withCode('23502'), 'internal', false],
    ['syntax error (42601)', withCode('42601'), 'internal', false],
    ['pg: connection lost', new Error('Connection terminated unexpectedly'), 'db_unavailable', true],
    ['pg: connect timeout', new Error('timeout exceeded when trying to connect'), 'db_unavailable', true],
    [
      'pg: pool closed by us',
      new Error('Cannot use a pool after calling end on the pool'),
      'db_unavailable',
      false,
    ],
    ['PGlite closed by us', new Error('PGlite is closed'), 'db_unavailable', false],
  ])('%s -> %s (retriable: %s)', (_, error, code, retriable) => {
    const translated = translateDbError(error, 'doing it')
    expect(translated).toBeInstanceOf(StreamwatchError)
    expect(translated).toMatchObject({ code, retriable, cause: error })
    expect((translated as Error).message).toMatch(/^doing it: /)
  })

  it('names the SQLSTATE in the message', () => {
    expect((translateDbError(withCode('23505', 'duplicate key'), 'insert') as Error).message).toBe(
      'insert: duplicate key (23505)',
    )
  })

  it('leaves errors that are not about the database alone', () => {
    const bug = new TypeError('x is not a function')
    expect(translateDbError(bug, 'transaction')).toBe(bug)
    const own = new StreamwatchError('db_conflict', 'fenced')
    expect(translateDbError(own, 'transaction')).toBe(own)
    expect(translateDbError('a string', 'transaction')).toBe('a string')
  })
})
