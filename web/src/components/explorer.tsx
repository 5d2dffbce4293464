// The shape shared by the logs, transactions and anomalies lists: filters kept in the URL (so a
// view can be linked), the shared time range, cursor pages, the total, and the states.
import { type FormEvent, type ReactNode, useEffect, useState } from 'react'
import type { Page } from '../../../src/contracts/api.ts'
import { buildQuery } from '../lib/api-client.ts'
import { formatNumber } from '../lib/format.ts'
import { updateParams, useLocation } from '../lib/router.ts'
import { useTimeRange } from '../lib/time-range.ts'
import { type ApiState, useApi } from '../lib/use-api.ts'
import { EmptyState, ErrorState, LoadingState } from './state-view.tsx'

export interface FilterField {
  name: string
  label: string
  /** a select when given; '' is "any" */
  options?: readonly string[]
  type?: 'text' | 'number' | 'search'
  placeholder?: string
}

export const PAGE_SIZE = 50

/** Reads the filters, range and cursor from the URL and fetches the page they describe. */
export function useExplorerPage<T>(
  endpoint: string,
  fields: FilterField[],
  refreshMs?: number,
): ApiState<Page<T>> {
  const { params } = useLocation()
  const range = useTimeRange()
  const query: Record<string, string | number | null> = {
    from: range.from,
    to: range.to,
    limit: PAGE_SIZE,
    cursor: params.get('cursor'),
  }
  for (const field of fields) query[field.name] = params.get(field.name)
  return useApi<Page<T>>(`${endpoint}${buildQuery(query)}`, params.get('cursor') ? undefined : refreshMs)
}

export function FilterBar({ fields }: { fields: FilterField[] }) {
  const { params } = useLocation()
  const current = Object.fromEntries(fields.map((f) => [f.name, params.get(f.name) ?? '']))
  const [draft, setDraft] = useState(current)
  const currentKey = JSON.stringify(current)
  useEffect(() => setDraft(JSON.parse(currentKey)), [currentKey])

  const apply = (values: Record<string, string>) => updateParams({ ...values, cursor: null })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    apply(draft)
  }
  return (
    <form className="filters" onSubmit={submit} aria-label="Filters">
      {fields.map((field) =>
        field.options ? (
          <label key={field.name}>
            {field.label}
            <select
              name={field.name}
              value={draft[field.name] ?? ''}
              onChange={(e) => {
                const next = { ...draft, [field.name]: e.target.value }
                setDraft(next)
                apply(next)
              }}
            >
              <option value="">any</option>
              {field.options.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label key={field.name}>
            {field.label}
            <input
              name={field.name}
              type={field.type ?? 'text'}
              inputMode={field.type === 'number' ? 'decimal' : undefined}
              step={field.type === 'number' ? 'any' : undefined}
              placeholder={field.placeholder}
              value={draft[field.name] ?? ''}
              onChange={(e) => setDraft({ ...draft, [field.name]: e.target.value })}
            />
          </label>
        ),
      )}
      <button type="submit">Apply</button>
      <button
        type="button"
        onClick={() => apply(Object.fromEntries(fields.map((f) => [f.name, ''])))}
        disabled={fields.every((f) => !current[f.name])}
      >
        Clear
      </button>
    </form>
  )
}

export function ExplorerResults<T>(props: {
  state: ApiState<Page<T>>
  what: string
  emptyHint: string
  children: (items: T[]) => ReactNode
}) {
  const { params } = useLocation()
  const { data, error, loading, reload } = props.state
  if (error && !data) return <ErrorState error={error} onRetry={reload} />
  if (!data) return <LoadingState what={props.what} />
  const onLaterPage = params.get('cursor') !== null
  return (
    <div aria-busy={loading}>
      {error ? <ErrorState error={error} onRetry={reload} /> : null}
      <p className="result-count" data-total={data.total.count}>
        {data.total.exact ? '' : 'about '}
        {formatNumber(data.total.count)} {props.what} match
        {onLaterPage ? ' (a later page)' : ''}
      </p>
      {data.items.length === 0 ? <EmptyState>{props.emptyHint}</EmptyState> : props.children(data.items)}
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={!onLaterPage} onClick={() => updateParams({ cursor: null })}>
          Newest
        </button>
        <button type="button" disabled={!onLaterPage} onClick={() => window.history.back()}>
          Previous
        </button>
        <button
          type="button"
          disabled={!data.next_cursor}
          onClick={() => updateParams({ cursor: data.next_cursor })}
          data-action="next-page"
        >
          Older
        </button>
      </nav>
    </div>
  )
}
