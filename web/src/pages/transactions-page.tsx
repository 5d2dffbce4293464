import type { TransactionItem } from '../../../src/contracts/api.ts'
import { ExplorerResults, FilterBar, type FilterField, useExplorerPage } from '../components/explorer.tsx'
import { formatNumber, formatTime } from '../lib/format.ts'

const FIELDS: FilterField[] = [
  { name: 'transaction_id', label: 'Transaction', placeholder: 'transaction id' },
  { name: 'user_id', label: 'User', placeholder: 'user id' },
  { name: 'status', label: 'Status', placeholder: 'e.g. completed' },
  { name: 'min_amount', label: 'Min amount', type: 'number' },
  { name: 'max_amount', label: 'Max amount', type: 'number' },
]

export function TransactionsPage() {
  const state = useExplorerPage<TransactionItem>('/api/transactions', FIELDS, 10_000)
  return (
    <section aria-labelledby="transactions-title">
      <h1 id="transactions-title">Transactions</h1>
      <FilterBar fields={FIELDS} />
      <ExplorerResults
        state={state}
        what="transactions"
        emptyHint="No transaction matches these filters in this range: widen the range or clear the filters."
      >
        {(items) => (
          <div className="table-wrap">
            <table data-table="transactions">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Transaction</th>
                  <th scope="col">User</th>
                  <th scope="col" className="num">
                    Amount
                  </th>
                  <th scope="col">Merchant</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {items.map((tx) => (
                  <tr key={tx.event_id} data-amount={tx.amount}>
                    <td className="nowrap">{formatTime(tx.timestamp)}</td>
                    <td className="mono">{tx.transaction_id}</td>
                    <td>{tx.user_id}</td>
                    <td className="num">
                      {formatNumber(tx.amount)} {tx.currency}
                    </td>
                    <td>{tx.merchant ?? ''}</td>
                    <td>{tx.status ?? ''}</td>
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
