// One connection to GET /api/stream for the whole app, read with fetch (EventSource cannot send
// the bearer token), reconnecting with backoff and resuming from the last anomaly id. Pages
// subscribe to the parsed events; the connection state is shown in the header.
import { useEffect, useSyncExternalStore } from 'react'
import type { AnomalyEvent, CountersEvent, ResetEvent } from '../../../src/contracts/api.ts'
import { authHeaders, UNAUTHORIZED_EVENT } from './api-client.ts'

export type StreamMessage =
  | { type: 'anomaly'; data: AnomalyEvent }
  | { type: 'counters'; data: CountersEvent }
  | { type: 'reset'; data: ResetEvent }

export type StreamStatus = 'connecting' | 'live' | 'down' | 'unauthorized'

const listeners = new Set<(message: StreamMessage) => void>()
const statusListeners = new Set<() => void>()
let status: StreamStatus = 'connecting'
let lastEventId: string | null = null
let controller: AbortController | null = null
let retryTimer: ReturnType<typeof setTimeout> | undefined
let retryMs = 500
const MAX_RETRY_MS = 5_000

function setStatus(next: StreamStatus) {
  if (status === next) return
  status = next
  for (const listener of statusListeners) listener()
}

function dispatch(type: string, data: string, id: string | null) {
  if (id) lastEventId = id
  if (type !== 'anomaly' && type !== 'counters' && type !== 'reset') return
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return
  }
  const message = { type, data: parsed } as StreamMessage
  for (const listener of listeners) listener(message)
}

async function connect() {
  controller = new AbortController()
  const signal = controller.signal
  try {
    const response = await fetch('/api/stream', {
      headers: {
        accept: 'text/event-stream',
        ...authHeaders(),
        ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
      },
      signal,
      cache: 'no-store',
    })
    if (response.status === 401) {
      setStatus('unauthorized')
      window.dispatchEvent(new Event(UNAUTHORIZED_EVENT))
      return
    }
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`)
    setStatus('live')
    retryMs = 500
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    let type = 'message'
    let data: string[] = []
    let id: string | null = null
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += value
      let newline = buffer.indexOf('\n')
      while (newline >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '')
        buffer = buffer.slice(newline + 1)
        newline = buffer.indexOf('\n')
        if (line === '') {
          if (data.length > 0) dispatch(type, data.join('\n'), id)
          type = 'message'
          data = []
          id = null
        } else if (line.startsWith('event:')) type = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
        else if (line.startsWith('id:')) id = line.slice(3).trim()
      }
    }
    throw new Error('stream ended')
  } catch {
    if (signal.aborted) return
    setStatus('down')
    retryTimer = setTimeout(connect, retryMs)
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
  }
}

/** Reconnects at once, e.g. after a token was entered. */
export function restartStream() {
  controller?.abort()
  clearTimeout(retryTimer)
  retryMs = 500
  setStatus('connecting')
  void connect()
}

function ensureStarted() {
  if (!controller) void connect()
}

export function useStreamStatus(): StreamStatus {
  useEffect(ensureStarted, [])
  return useSyncExternalStore(
    (onChange) => {
      statusListeners.add(onChange)
      return () => statusListeners.delete(onChange)
    },
    () => status,
  )
}

/** Calls `onMessage` for every event of the stream while the component is mounted. */
export function useStream(onMessage: (message: StreamMessage) => void): void {
  useEffect(() => {
    ensureStarted()
    listeners.add(onMessage)
    return () => {
      listeners.delete(onMessage)
    }
  }, [onMessage])
}
