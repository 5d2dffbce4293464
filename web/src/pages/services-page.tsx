// Services: a table of every service in the range; for the chosen one (`?service=` in the URL),
// CPU and latency over time with the rules' thresholds drawn, the error-log rate and its anomalies.
import { useMemo } from 'react'
import type { Anomaly, Page, RuleItem, Stats, Timeseries } from '../../../src/contracts/api.ts'
import { AnomalyTable } from '../components/anomaly-table.tsx'
import { Chart } from '../components/chart.tsx'
import { EmptyState, ErrorState, LoadingState } from '../components/state-view.tsx'
import { buildQuery } from '../lib/api-client.ts'
import { formatNumber, formatPercent } from '../lib/format.ts'
import { updateParams, useLocation } from '../lib/router.ts'
import { alignSeries, ratePick } from '../lib/series.ts'
import { useTimeRange } from '../lib/time-range.ts'
import { useApi } from '../lib/use-api.ts'

function thresholdsFor(rules: RuleItem[] | undefined, field: string) {
  return (rules ?? [])
    .filter((rule) => rule.kind === 'threshold' && rule.field === field && rule.value !== null)
    .map((rule) => ({ value: rule.value!, label: `${rule.name} ${rule.comparator} ${rule.value}` }))
}

export function ServicesPage() {
  const range = useTimeRange()
  const { params } = useLocation()
  const stats = useApi<Stats>(`/api/stats${buildQuery({ from: range.from, to: range.to })}`, 10_000)
  const rules = useApi<{ rules: RuleItem[] }>('/api/rules')
  const services = stats.data?.services ?? []
  const service = params.get('service') || services[0]?.service || null

  if (stats.error && !stats.data) return <ErrorState error={stats.error} onRetry={stats.reload} />
  if (!stats.data) return <LoadingState what="services" />
  return (
    <section aria-labelledby="services-title">
      <h1 id="services-title">Services</h1>
      {services.length === 0 ? (
        <EmptyState>
          No service sent logs or metrics in this range. Pick a longer range above, or start a producer
          (`streamwatch produce`).
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table data-table="services">
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col" className="num">
                    Events
                  </th>
                  <th scope="col" className="num">
                    Error ratio
                  </th>
                  <th scope="col" className="num">
                    Avg / max CPU
                  </th>
                  <th scope="col" className="num">
                    Avg / max latency
                  </th>
                </tr>
              </thead>
              <tbody>
                {services.map((row) => (
                  <tr key={row.service} aria-selected={row.service === service} data-service={row.service}>
                    <td>
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => updateParams({ service: row.service })}
                        aria-pressed={row.service === service}
                      >
                        {row.service}
                      </button>
                    </td>
                    <td className="num">{formatNumber(row.events)}</td>
                    <td className="num">{formatPercent(row.error_ratio)}</td>
                    <td className="num">
                      {formatNumber(row.avg_cpu)} / {formatNumber(row.max_cpu)} %
                    </td>
                    <td className="num">
                      {formatNumber(row.avg_latency_ms)} / {formatNumber(row.max_latency_ms)} ms
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {service ? <ServiceDetail service={service} rules={rules.data?.rules} /> : null}
        </>
      )}
    </section>
  )
}

function ServiceDetail({ service, rules }: { service: string; rules: RuleItem[] | undefined }) {
  const range = useTimeRange()
  const query = (series: string) =>
    `/api/timeseries${buildQuery({ series, service, from: range.from, to: range.to })}`
  const cpu = useApi<Timeseries>(query('cpu'), 15_000)
  const latency = useApi<Timeseries>(query('latency'), 15_000)
  const errors = useApi<Timeseries>(query('errors'), 15_000)
  const anomalies = useApi<Page<Anomaly>>(
    `/api/anomalies${buildQuery({ key: service, limit: 20, from: '-24h' })}`,
    10_000,
  )

  const cpuData = useMemo(
    () =>
      alignSeries(cpu.data, [
        { from: cpu.data, pick: (p) => p.avg },
        { from: cpu.data, pick: (p) => p.max },
      ]),
    [cpu.data],
  )
  const latencyData = useMemo(
    () =>
      alignSeries(latency.data, [
        { from: latency.data, pick: (p) => p.avg },
        { from: latency.data, pick: (p) => p.p95 },
      ]),
    [latency.data],
  )
  const errorData = useMemo(() => {
    const bucketMs = errors.data?.bucket_ms ?? 60_000
    return alignSeries(errors.data, [{ from: errors.data, pick: ratePick(bucketMs, 60_000) }])
  }, [errors.data])
  const failure = cpu.error ?? latency.error ?? errors.error

  return (
    <>
      <h2 data-selected-service={service}>{service}</h2>
      {failure && !cpu.data ? <ErrorState error={failure} onRetry={cpu.reload} /> : null}
      <div className="grid-3">
        <Chart
          title="CPU (%)"
          data={cpuData}
          series={[
            { label: 'avg', color: '#35b779', unit: ' %' },
            { label: 'max', color: '#f2a93b', unit: ' %' },
          ]}
          thresholds={thresholdsFor(rules, 'cpu')}
        />
        <Chart
          title="Latency (ms)"
          data={latencyData}
          series={[
            { label: 'avg', color: '#4e9af1', unit: ' ms' },
            { label: 'p95', color: '#b083f0', unit: ' ms' },
          ]}
          thresholds={thresholdsFor(rules, 'latency_ms')}
        />
        <Chart
          title="Error logs per minute"
          data={errorData}
          series={[{ label: 'errors', color: '#e5534b', unit: '/min', bars: true }]}
        />
      </div>
      <h3>Anomalies of {service} (last 24 h)</h3>
      {anomalies.error && !anomalies.data ? (
        <ErrorState error={anomalies.error} onRetry={anomalies.reload} />
      ) : !anomalies.data ? (
        <LoadingState what="anomalies" />
      ) : anomalies.data.items.length === 0 ? (
        <EmptyState>No anomaly for {service} in the last 24 hours.</EmptyState>
      ) : (
        <AnomalyTable anomalies={anomalies.data.items} caption={`Anomalies of ${service}`} />
      )}
    </>
  )
}
