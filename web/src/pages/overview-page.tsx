// Overview: live rates from the stream (one point a second), totals and health from /api/stats,
// trends over the chosen range from /api/timeseries, and the newest anomalies as they change.
import { useCallback, useMemo, useState } from 'react'
import type uPlot from 'uplot'
import type { Anomaly, CountersEvent, Page, Stats, Timeseries } from '../../../src/contracts/api.ts'
import { AnomalyTable, upsertAnomaly } from '../components/anomaly-table.tsx'
import { Chart } from '../components/chart.tsx'
import { StatTile } from '../components/stat-tile.tsx'
import { EmptyState, ErrorState, LoadingState } from '../components/state-view.tsx'
import { buildQuery } from '../lib/api-client.ts'
import { formatAgo, formatDuration, formatNumber, formatPercent } from '../lib/format.ts'
import { type StreamMessage, useStream } from '../lib/live-stream.ts'
import { alignSeries, ratePick } from '../lib/series.ts'
import { useTimeRange } from '../lib/time-range.ts'
import { useApi } from '../lib/use-api.ts'

// two minutes of live points, one a second
const LIVE_POINTS = 120
const COLORS = {
  logs: '#4e9af1',
  metrics: '#35b779',
  transactions: '#f2a93b',
  errors: '#e5534b',
  anomalies: '#b083f0',
}

export function OverviewPage() {
  const range = useTimeRange()
  const rangeQuery = buildQuery({ from: range.from, to: range.to })
  const stats = useApi<Stats>(`/api/stats${rangeQuery}`, 5_000)
  const events = useApi<Timeseries>(
    `/api/timeseries${buildQuery({ series: 'events', from: range.from, to: range.to })}`,
    15_000,
  )
  const errors = useApi<Timeseries>(
    `/api/timeseries${buildQuery({ series: 'errors', from: range.from, to: range.to })}`,
    15_000,
  )
  const anomalySeries = useApi<Timeseries>(
    `/api/timeseries${buildQuery({ series: 'anomalies', from: range.from, to: range.to })}`,
    15_000,
  )
  const recent = useApi<Page<Anomaly>>('/api/anomalies?limit=8&from=-24h')
  const [live, setLive] = useState<CountersEvent[]>([])
  const [changed, setChanged] = useState<Anomaly[]>([])

  const reloadRecent = recent.reload
  const onMessage = useCallback(
    (message: StreamMessage) => {
      if (message.type === 'counters') setLive((list) => [...list.slice(-(LIVE_POINTS - 1)), message.data])
      else if (message.type === 'anomaly') setChanged((list) => upsertAnomaly(list, message.data.anomaly, 50))
      else {
        // changes were missed: start again from the database
        setChanged([])
        reloadRecent()
      }
    },
    [reloadRecent],
  )
  useStream(onMessage)

  const liveData = useMemo<uPlot.AlignedData>(
    () => [
      live.map((c) => Date.parse(c.t) / 1000),
      live.map((c) => c.per_second.logs),
      live.map((c) => c.per_second.metrics),
      live.map((c) => c.per_second.transactions),
      live.map((c) => c.errors_per_second),
    ],
    [live],
  )
  const trendData = useMemo(() => {
    const bucketMs = events.data?.bucket_ms ?? 60_000
    return alignSeries(events.data, [
      { from: events.data, pick: ratePick(bucketMs) },
      { from: errors.data, pick: ratePick(bucketMs) },
    ])
  }, [events.data, errors.data])
  const anomalyData = useMemo(
    () => alignSeries(anomalySeries.data, [{ from: anomalySeries.data, pick: (p) => p.count }]),
    [anomalySeries.data],
  )
  const anomalies = useMemo(() => {
    let list = recent.data?.items ?? []
    for (const anomaly of [...changed].reverse()) list = upsertAnomaly(list, anomaly, 8)
    return list
  }, [recent.data, changed])

  const latest = live.at(-1)
  const s = stats.data
  const perSecond = (topic: 'logs' | 'metrics' | 'transactions') =>
    latest ? latest.per_second[topic] : (s?.topics.find((t) => t.topic === topic)?.per_second ?? null)
  const deadLetters = s?.dead_letters.reduce((sum, d) => sum + d.count, 0) ?? null
  const openAnomalies = latest?.open_anomalies ?? s?.anomalies.open ?? null

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {stats.error && !s ? <ErrorState error={stats.error} onRetry={stats.reload} /> : null}
      <div className="tiles">
        <StatTile id="logs-rate" label="Logs / s (live)" value={formatNumber(perSecond('logs'))} />
        <StatTile id="metrics-rate" label="Metrics / s (live)" value={formatNumber(perSecond('metrics'))} />
        <StatTile
          id="transactions-rate"
          label="Transactions / s (live)"
          value={formatNumber(perSecond('transactions'))}
        />
        <StatTile
          id="error-ratio"
          label="Error ratio"
          value={formatPercent(s?.errors.ratio)}
          hint={
            s ? `${formatNumber(s.errors.errors)} of ${formatNumber(s.errors.logs)} logs in range` : undefined
          }
          tone={s?.errors.ratio && s.errors.ratio > 0.05 ? 'bad' : 'ok'}
        />
        <StatTile
          id="open-anomalies"
          label="Open anomalies"
          value={formatNumber(openAnomalies)}
          tone={openAnomalies ? 'warn' : 'ok'}
        />
        <StatTile
          id="dead-letters"
          label="Dead letters in range"
          value={formatNumber(deadLetters)}
          tone={deadLetters ? 'warn' : 'ok'}
        />
      </div>

      <div className="grid-2" data-live-points={live.length}>
        <Chart
          title="Events per second, live (by event time)"
          data={liveData}
          xWindowSeconds={LIVE_POINTS}
          series={[
            { label: 'logs', color: COLORS.logs, unit: '/s' },
            { label: 'metrics', color: COLORS.metrics, unit: '/s' },
            { label: 'transactions', color: COLORS.transactions, unit: '/s' },
            { label: 'errors', color: COLORS.errors, unit: '/s' },
          ]}
        />
        {events.error && !events.data ? (
          <ErrorState error={events.error} onRetry={events.reload} />
        ) : (
          <Chart
            title={`Events and errors per second, ${range.label.toLowerCase()}`}
            data={trendData}
            series={[
              { label: 'events', color: COLORS.logs, unit: '/s' },
              { label: 'errors', color: COLORS.errors, unit: '/s' },
            ]}
          />
        )}
      </div>
      {live.length === 0 ? (
        <p className="muted" data-live="waiting">
          Waiting for the live stream… counters arrive every second once the API is up.
        </p>
      ) : null}

      <div className="grid-2">
        <Chart
          title={`Anomalies opened per ${formatDuration(anomalySeries.data?.bucket_ms ?? 60_000)}`}
          data={anomalyData}
          series={[{ label: 'anomalies', color: COLORS.anomalies, bars: true }]}
        />
        <div>
          <h2>Pipeline</h2>
          {s ? <PipelineTable stats={s} /> : stats.loading ? <LoadingState what="pipeline health" /> : null}
        </div>
      </div>

      <h2>Newest anomalies</h2>
      {recent.error && !recent.data ? (
        <ErrorState error={recent.error} onRetry={recent.reload} />
      ) : anomalies.length > 0 ? (
        <AnomalyTable anomalies={anomalies} caption="Newest anomalies" />
      ) : recent.loading ? (
        <LoadingState what="anomalies" />
      ) : (
        <EmptyState>No anomaly in the last 24 hours. New ones appear here as they open.</EmptyState>
      )}
    </section>
  )
}

function PipelineTable({ stats }: { stats: Stats }) {
  const nowMs = Date.now()
  if (stats.pipeline.length === 0) {
    return (
      <EmptyState>
        No consumer group has committed yet: start the etl (`streamwatch etl` or `npm start`).
      </EmptyState>
    )
  }
  return (
    <div className="table-wrap">
      <table data-table="pipeline">
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col" className="num">
              Partitions
            </th>
            <th scope="col">Last commit</th>
            <th scope="col" className="num">
              Lag (records)
            </th>
            <th scope="col">Health</th>
          </tr>
        </thead>
        <tbody>
          {stats.pipeline.map((group) => {
            const stale = group.seconds_since_commit !== null && group.seconds_since_commit > 60
            return (
              <tr key={group.group}>
                <td>{group.group}</td>
                <td className="num">{group.partitions}</td>
                <td>{formatAgo(group.last_commit_at, nowMs)}</td>
                <td className="num">
                  {group.lag_records === null ? 'unknown' : formatNumber(group.lag_records)}
                </td>
                <td>
                  <span className={`badge ${stale ? 'badge-open' : 'badge-resolved'}`}>
                    {stale ? 'idle or stuck' : 'ok'}
                  </span>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
