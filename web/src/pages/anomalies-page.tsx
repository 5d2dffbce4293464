// Anomalies: a timeline of openings over the range and the filtered table. On the first page,
// changes from the stream are merged in as they arrive, so a new anomaly shows without reload.
import { useCallback, useMemo, useState } from 'react'
import type { Anomaly, AnomalyStatus, RuleItem, Timeseries } from '../../../src/contracts/api.ts'
import { AnomalyTable, upsertAnomaly } from '../components/anomaly-table.tsx'
import { Chart } from '../components/chart.tsx'
import {
  ExplorerResults,
  FilterBar,
  type FilterField,
  PAGE_SIZE,
  useExplorerPage,
} from '../components/explorer.tsx'
import { buildQuery } from '../lib/api-client.ts'
import { type StreamMessage, useStream } from '../lib/live-stream.ts'
import { useLocation } from '../lib/router.ts'
import { alignSeries } from '../lib/series.ts'
import { useTimeRange } from '../lib/time-range.ts'
import { useApi } from '../lib/use-api.ts'

// Not imported from src/contracts/api.ts as a value: that module builds zod schemas, which would
// put zod in the bundle. The record's type makes the list fail to compile when a status is added.
const STATUS_LABELS: Record<AnomalyStatus, true> = { open: true, acknowledged: true, resolved: true }
const ANOMALY_STATUSES = Object.keys(STATUS_LABELS) as AnomalyStatus[]

export function AnomaliesPage() {
  const rules = useApi<{ rules: RuleItem[] }>('/api/rules')
  const fields = useMemo<FilterField[]>(
    () => [
      { name: 'rule', label: 'Rule', options: (rules.data?.rules ?? []).map((r) => r.name) },
      { name: 'key', label: 'Key (service, user…)', placeholder: 'e.g. auth' },
      { name: 'status', label: 'Status', options: ANOMALY_STATUSES },
    ],
    [rules.data],
  )
  const { params } = useLocation()
  const range = useTimeRange()
  const state = useExplorerPage<Anomaly>('/api/anomalies', fields, 15_000)
  const timeline = useApi<Timeseries>(
    `/api/timeseries${buildQuery({ series: 'anomalies', from: range.from, to: range.to, service: params.get('key') })}`,
    15_000,
  )
  const [changed, setChanged] = useState<Anomaly[]>([])
  const reloadPage = state.reload
  const onMessage = useCallback(
    (message: StreamMessage) => {
      if (message.type === 'anomaly') setChanged((list) => upsertAnomaly(list, message.data.anomaly, 100))
      if (message.type === 'reset') {
        setChanged([])
        reloadPage()
      }
    },
    [reloadPage],
  )
  useStream(onMessage)

  const filters = { rule: params.get('rule'), status: params.get('status'), key: params.get('key') }
  const onFirstPage = !params.get('cursor')
  const merge = (items: Anomaly[]) => {
    if (!onFirstPage) return items
    let list = items
    for (const anomaly of [...changed].reverse()) {
      const known = list.some((a) => a.id === anomaly.id)
      const matches =
        (!filters.rule || filters.rule === anomaly.rule) &&
        (!filters.status || filters.status.split(',').includes(anomaly.status)) &&
        (!filters.key || anomaly.key === filters.key)
      if (known || matches) list = upsertAnomaly(list, anomaly, PAGE_SIZE)
      if (known && !matches) list = list.filter((a) => a.id !== anomaly.id)
    }
    return list
  }
  const timelineData = useMemo(
    () => alignSeries(timeline.data, [{ from: timeline.data, pick: (p) => p.count }]),
    [timeline.data],
  )

  return (
    <section aria-labelledby="anomalies-title">
      <h1 id="anomalies-title">Anomalies</h1>
      <Chart
        title="Anomalies opened over time"
        data={timelineData}
        series={[{ label: 'opened', color: '#b083f0', bars: true }]}
        height={150}
      />
      <FilterBar fields={fields} />
      <ExplorerResults
        state={state}
        what="anomalies"
        emptyHint="No anomaly matches these filters in this range. That can be good news; widen the range to be sure."
      >
        {(items) => <AnomalyTable anomalies={merge(items)} caption="Anomalies" />}
      </ExplorerResults>
    </section>
  )
}
