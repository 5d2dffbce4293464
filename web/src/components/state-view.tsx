// What a page shows instead of data: loading, empty (with what to do), or the failure explained.
import type { ReactNode } from 'react'
import type { ApiRequestError } from '../lib/api-client.ts'

export function ErrorState({ error, onRetry }: { error: ApiRequestError; onRetry?: () => void }) {
  const [title, advice] = explain(error)
  return (
    <div className="state state-error" role="alert" data-state="error" data-kind={error.kind}>
      <strong>{title}</strong>
      <p>{advice}</p>
      {onRetry ? (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  )
}

function explain(error: ApiRequestError): [string, string] {
  switch (error.kind) {
    case 'down':
      return [
        'The API is not answering.',
        'Start it with `npm start` (or `streamwatch api`) and check API_HOST / API_PORT. This page retries on its own.',
      ]
    case 'unauthorized':
      return ['This API needs a token.', 'Enter the API_TOKEN of the server in the token box at the top.']
    case 'not_found':
      return ['Not found.', error.message]
    case 'refused':
      return [`The API refused the request (${error.status ?? 'no status'}).`, error.message]
  }
}

export function LoadingState({ what }: { what: string }) {
  return (
    <div className="state" data-state="loading" aria-busy="true">
      Loading {what}…
    </div>
  )
}

export function EmptyState({ children }: { children: ReactNode }) {
  return (
    <div className="state" data-state="empty">
      {children}
    </div>
  )
}
