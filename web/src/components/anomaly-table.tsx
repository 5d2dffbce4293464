// Anomalies as a table; each row links to its detail view.
import type { Anomaly } from '../../../src/contracts/api.ts'
import { formatNumber, formatTime } from '../lib/format.ts'
import { Link, useLocation } from '../lib/router.ts'
import { rangeSearch } from '../lib/time-range.ts'

export function AnomalyTable({ anomalies, caption }: { anomalies: Anomaly[]; caption: string }) {
  const { params } = useLocation()
  const search = rangeSearch(params)
  return (
    <div className="table-wrap">
      <table data-table="anomalies">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Rule</th>
            <th scope="col">Key</th>
            <th scope="col">Severity</th>
            <th scope="col" className="num">
              Value / threshold
            </th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {anomalies.map((anomaly) => (
            <tr key={anomaly.id} data-anomaly-id={anomaly.id} data-status={anomaly.status}>
              <td>
                <span className={`badge badge-${anomaly.status}`}>{anomaly.status}</span>
              </td>
              <td>
                <Link to={`/anomalies/${encodeURIComponent(anomaly.id)}${search}`}>{anomaly.rule}</Link>
              </td>
              <td>{anomaly.key}</td>
              <td>
                <span className={`severity severity-${anomaly.severity}`}>{anomaly.severity}</span>
              </td>
              <td className="num">
                {formatNumber(anomaly.value)} {anomaly.comparator} {formatNumber(anomaly.threshold)}
              </td>
              <td>{formatTime(anomaly.first_seen)}</td>
              <td>{formatTime(anomaly.last_seen)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** Puts a changed anomaly at its place in a newest-first list (by first_seen). */
export function upsertAnomaly(list: Anomaly[], changed: Anomaly, maxLength: number): Anomaly[] {
  const rest = list.filter((a) => a.id !== changed.id)
  const index = rest.findIndex((a) => a.first_seen <= changed.first_seen)
  const next = index < 0 ? [...rest, changed] : [...rest.slice(0, index), changed, ...rest.slice(index)]
  return next.slice(0, maxLength)
}
