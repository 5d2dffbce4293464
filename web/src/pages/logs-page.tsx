import type { LogItem } from '../../../src/contracts/api.ts'
import { LOG_LEVELS } from '../../../src/contracts/events.ts'
import { ExplorerResults, FilterBar, type FilterField, useExplorerPage } from '../components/explorer.tsx'
import { formatTime } from '../lib/format.ts'

const FIELDS: FilterField[] = [
  { name: 'q', label: 'Search messages', type: 'search', placeholder: 'text in the message' },
  { name: 'service', label: 'Service', placeholder: 'e.g. auth' },
  { name: 'level', label: 'Level', options: LOG_LEVELS },
  { name: 'user_id', label: 'User', placeholder: 'user id' },
]

export function LogsPage() {
  const state = useExplorerPage<LogItem>('/api/logs', FIELDS, 10_000)
  return (
    <section aria-labelledby="logs-title">
      <h1 id="logs-title">Logs</h1>
      <FilterBar fields={FIELDS} />
      <ExplorerResults
        state={state}
        what="logs"
        emptyHint="No log matches these filters in this range: widen the range or clear the filters."
      >
        {(items) => (
          <div className="table-wrap">
            <table data-table="logs">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Service</th>
                  <th scope="col">Level</th>
                  <th scope="col">Message</th>
                  <th scope="col">User</th>
                </tr>
              </thead>
              <tbody>
                {items.map((log) => (
                  <tr key={log.event_id} data-level={log.level} data-service={log.service}>
                    <td className="nowrap">{formatTime(log.timestamp)}</td>
                    <td>{log.service}</td>
                    <td>
                      <span className={`level level-${log.level}`}>{log.level}</span>
                    </td>
                    <td className="message">{log.message}</td>
                    <td>{log.user_id ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ExplorerResults>
    </section>
  )
}
