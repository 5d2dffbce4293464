// One anomaly: its facts, the key's events around the episode, acknowledge and silence.
import { type FormEvent, useCallback, useState } from 'react'
import type { AnomalyDetail, EventItem, Silence } from '../../../src/contracts/api.ts'
import { ErrorState, LoadingState } from '../components/state-view.tsx'
import { ApiRequestError, requestJson } from '../lib/api-client.ts'
import { formatNumber, formatTime } from '../lib/format.ts'
import { type StreamMessage, useStream } from '../lib/live-stream.ts'
import { Link, useLocation } from '../lib/router.ts'
import { rangeSearch } from '../lib/time-range.ts'
import { useApi } from '../lib/use-api.ts'

export function AnomalyDetailPage({ id }: { id: string }) {
  const { params } = useLocation()
  const detail = useApi<AnomalyDetail>(`/api/anomalies/${encodeURIComponent(id)}`)
  const onMessage = useCallback(
    (message: StreamMessage) => {
      if (message.type === 'anomaly' && message.data.anomaly.id === id) detail.reload()
    },
    [id, detail.reload],
  )
  useStream(onMessage)

  const back = <Link to={`/anomalies${rangeSearch(params)}`}>← All anomalies</Link>
  if (detail.error && !detail.data) {
    return (
      <section>
        {back}
        <ErrorState error={detail.error} onRetry={detail.reload} />
      </section>
    )
  }
  if (!detail.data) return <LoadingState what="the anomaly" />
  const { anomaly, events, events_window, events_truncated } = detail.data
  return (
    <section aria-labelledby="anomaly-title">
      {back}
      <h1 id="anomaly-title">
        {anomaly.rule} on {anomaly.key}{' '}
        <span className={`badge badge-${anomaly.status}`} data-anomaly-status={anomaly.status}>
          {anomaly.status}
        </span>
      </h1>
      <dl className="facts">
        <dt>Severity</dt>
        <dd>{anomaly.severity}</dd>
        <dt>Peak</dt>
        <dd>
          {formatNumber(anomaly.value)} ({anomaly.comparator} {formatNumber(anomaly.threshold)})
        </dd>
        <dt>Events</dt>
        <dd>{formatNumber(anomaly.event_count)}</dd>
        <dt>First seen</dt>
        <dd>{formatTime(anomaly.first_seen)}</dd>
        <dt>Last seen</dt>
        <dd>{formatTime(anomaly.last_seen)}</dd>
        <dt>Resolved</dt>
        <dd>{formatTime(anomaly.resolved_at)}</dd>
        <dt>Notified</dt>
        <dd>
          {anomaly.notified_at
            ? formatTime(anomaly.notified_at)
            : anomaly.silenced_by
              ? 'silenced'
              : 'not yet'}
        </dd>
        <dt>Acknowledged</dt>
        <dd>
          {anomaly.acknowledged_at
            ? `${formatTime(anomaly.acknowledged_at)} by ${anomaly.acknowledged_by ?? 'someone'}${anomaly.ack_note ? `: ${anomaly.ack_note}` : ''}`
            : 'no'}
        </dd>
      </dl>
      <div className="actions">
        <AckForm id={anomaly.id} disabled={anomaly.status === 'acknowledged'} onDone={detail.reload} />
        <SilenceForm rule={anomaly.rule} anomalyKey={anomaly.key} />
      </div>
      <h2>
        Events around it{' '}
        <small className="muted">
          {formatTime(events_window.from)} – {formatTime(events_window.to)}
          {events_truncated ? ' (more matched than shown)' : ''}
        </small>
      </h2>
      {events.length === 0 ? (
        <p className="state" data-state="empty">
          No stored event of {anomaly.key} in that window.
        </p>
      ) : (
        <EventTable events={events} />
      )}
    </section>
  )
}

function describe(event: EventItem): [string, string] {
  switch (event.kind) {
    case 'log':
      return [event.service, `${event.level} ${event.message}`]
    case 'metric':
      return [event.service, `cpu ${formatNumber(event.cpu)} %, latency ${formatNumber(event.latency_ms)} ms`]
    case 'transaction':
      return [
        event.user_id,
        `${event.transaction_id}: ${formatNumber(event.amount)} ${event.currency}${event.merchant ? ` at ${event.merchant}` : ''}`,
      ]
  }
}

function EventTable({ events }: { events: EventItem[] }) {
  return (
    <div className="table-wrap">
      <table data-table="events">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Kind</th>
            <th scope="col">Key</th>
            <th scope="col">Event</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => {
            const [key, text] = describe(event)
            return (
              <tr key={event.event_id}>
                <td className="nowrap">{formatTime(event.timestamp)}</td>
                <td>{event.kind}</td>
                <td>{key}</td>
                <td className="message">{text}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}

function useAction() {
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<string | null>(null)
  const run = async (action: () => Promise<string>) => {
    setBusy(true)
    setMessage(null)
    try {
      setMessage(await action())
    } catch (error) {
      setMessage(error instanceof ApiRequestError ? `Failed: ${error.message}` : `Failed: ${String(error)}`)
    } finally {
      setBusy(false)
    }
  }
  return { busy, message, run }
}

function AckForm({ id, disabled, onDone }: { id: string; disabled: boolean; onDone: () => void }) {
  const [note, setNote] = useState('')
  const action = useAction()
  const submit = (event: FormEvent) => {
    event.preventDefault()
    void action.run(async () => {
      await requestJson(`/api/anomalies/${encodeURIComponent(id)}/ack`, {
        method: 'POST',
        body: JSON.stringify({ by: 'dashboard', ...(note ? { note } : {}) }),
      })
      onDone()
      return 'Acknowledged.'
    })
  }
  return (
    <form onSubmit={submit} className="action-form" aria-label="Acknowledge">
      <label>
        Note{' '}
        <input
          value={note}
          onChange={(e) => setNote(e.target.value)}
          placeholder="optional"
          maxLength={500}
        />
      </label>
      <button type="submit" disabled={disabled || action.busy} data-action="ack">
        {disabled ? 'Acknowledged' : 'Acknowledge'}
      </button>
      {action.message ? <span role="status">{action.message}</span> : null}
    </form>
  )
}

const SILENCE_HOURS = [1, 4, 24] as const

function SilenceForm({ rule, anomalyKey }: { rule: string; anomalyKey: string }) {
  const [hours, setHours] = useState<number>(1)
  const [comment, setComment] = useState('')
  const action = useAction()
  const submit = (event: FormEvent) => {
    event.preventDefault()
    void action.run(async () => {
      const silence = await requestJson<Silence>('/api/silences', {
        method: 'POST',
        body: JSON.stringify({
          rule,
          key: anomalyKey,
          expires_at: new Date(Date.now() + hours * 3_600_000).toISOString(),
          comment: comment || `silenced from the dashboard`,
          created_by: 'dashboard',
        }),
      })
      return `Silenced until ${formatTime(silence.expires_at)}.`
    })
  }
  return (
    <form onSubmit={submit} className="action-form" aria-label="Silence">
      <label>
        Silence {rule} on {anomalyKey} for{' '}
        <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
          {SILENCE_HOURS.map((h) => (
            <option key={h} value={h}>
              {h} h
            </option>
          ))}
        </select>
      </label>
      <label>
        Comment <input value={comment} onChange={(e) => setComment(e.target.value)} maxLength={500} />
      </label>
      <button type="submit" disabled={action.busy} data-action="silence">
        Silence
      </button>
      {action.message ? <span role="status">{action.message}</span> : null}
    </form>
  )
}
