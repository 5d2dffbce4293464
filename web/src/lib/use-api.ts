// Fetches a path and keeps the last good answer while refreshing or while the path changes (a
// new filter), so tables and charts do not blink; `loading` says the shown data may be stale.
import { useCallback, useEffect, useState } from 'react'
import { ApiRequestError, requestJson } from './api-client.ts'

export interface ApiState<T> {
  data: T | null
  error: ApiRequestError | null
  loading: boolean
  reload: () => void
}

/** `path` null: nothing to fetch yet. `refreshMs`: poll while mounted. */
export function useApi<T>(path: string | null, refreshMs?: number): ApiState<T> {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<ApiRequestError | null>(null)
  const [loading, setLoading] = useState(path !== null)
  const [generation, setGeneration] = useState(0)

  // biome-ignore lint/correctness/useExhaustiveDependencies: generation is the reload trigger
  useEffect(() => {
    if (path === null) return
    const controller = new AbortController()
    setLoading(true)
    requestJson<T>(path, {}, controller.signal).then(
      (value) => {
        setData(value)
        setError(null)
        setLoading(false)
      },
      (reason: unknown) => {
        if (controller.signal.aborted) return
        setError(
          reason instanceof ApiRequestError ? reason : new ApiRequestError('refused', null, String(reason)),
        )
        setLoading(false)
      },
    )
    return () => controller.abort()
  }, [path, generation])

  useEffect(() => {
    if (!refreshMs || path === null) return
    const timer = setInterval(() => setGeneration((n) => n + 1), refreshMs)
    return () => clearInterval(timer)
  }, [refreshMs, path])

  const reload = useCallback(() => setGeneration((n) => n + 1), [])
  return { data, error, loading, reload }
}
