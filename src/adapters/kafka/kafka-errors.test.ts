import {
  MultipleErrors,
  NetworkError,
  ProtocolError,
  ResponseError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { StreamwatchError } from '../../errors.ts'
import { toBusError } from './kafka-errors.ts'

// Errors as the client raises them: a ResponseError carries one ProtocolError per failed item,
// and a retried operation wraps every attempt's error in a MultipleErrors.
const protocolError = (apiId: string) => new ProtocolError(apiId, `broker says ${apiId}`)
const retried = (...errors: Error[]) => new MultipleErrors('produce failed 3 times.', errors)

describe('toBusError', () => {
  it.each([
    ['a refused connection', new NetworkError('Connection refused'), 'bus_unavailable', true],
    ['a request timeout', new TimeoutError('Request timed out'), 'bus_unavailable', true],
    [
      'retries that all failed on the network',
      retried(new NetworkError('a'), new NetworkError('b')),
      'bus_unavailable',
      true,
    ],
    ['a leader moving', protocolError('NOT_LEADER_OR_FOLLOWER'), 'bus_unavailable', true],
    ['a record too large', protocolError('MESSAGE_TOO_LARGE'), 'bus_unavailable', false],
    ['a missing permission', protocolError('TOPIC_AUTHORIZATION_FAILED'), 'bus_unavailable', false],
    ['a misuse of the client', new UserError('Cannot specify producerId'), 'bus_unavailable', false],
    [
      'a retriable error after a non-retriable one',
      retried(protocolError('MESSAGE_TOO_LARGE'), new NetworkError('x')),
      'bus_unavailable',
      false,
    ],
    ['a member replaced in its group', protocolError('UNKNOWN_MEMBER_ID'), 'bus_fenced', false],
    ['a commit from an old generation', retried(protocolError('ILLEGAL_GENERATION')), 'bus_fenced', false],
    ['a fenced producer', protocolError('PRODUCER_FENCED'), 'bus_fenced', false],
  ])('translates %s', (_, error, code, retriable) => {
    const translated = toBusError('publish to logs', error)
    expect(translated).toBeInstanceOf(StreamwatchError)
    expect(translated.code).toBe(code)
    expect(translated.retriable).toBe(retriable)
    expect(translated.cause).toBe(error)
    expect(translated.message).toMatch(/^kafka: publish to logs failed: /)
  })

  it('names the broker error of a response in the message', () => {
    const response = new ResponseError(0, 9, { '/topics/0/partitions/0': [10, 'too big'] }, {})
    expect(toBusError('publish', response).message).toContain('MESSAGE_TOO_LARGE')
  })

  it('passes a StreamwatchError through', () => {
    const error = new StreamwatchError('bus_unavailable', 'already ours', { retriable: true })
    expect(toBusError('x', error)).toBe(error)
  })

  it('treats a foreign error as retriable: only the client says when a retry cannot help', () => {
    expect(toBusError('x', new Error('socket hang up')).retriable).toBe(true)
  })
})
