// Every call to the API goes through here: the bearer token (kept in localStorage), and failures
// turned into a few kinds the pages can explain: the API is down, a token is needed, or the
// API refused the request with its own message.
import type { ApiError } from '../../../src/contracts/api.ts'

const TOKEN_KEY = 'streamwatch.token'
export const UNAUTHORIZED_EVENT = 'streamwatch:unauthorized'

export type FailureKind = 'down' | 'unauthorized' | 'not_found' | 'refused'

export class ApiRequestError extends Error {
  readonly kind: FailureKind
  readonly status: number | null
  constructor(kind: FailureKind, status: number | null, message: string) {
    super(message)
    this.name = 'ApiRequestError'
    this.kind = kind
    this.status = status
  }
}

export function readToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}

export function saveToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token)
  else localStorage.removeItem(TOKEN_KEY)
}

export function authHeaders(): Record<string, string> {
  const token = readToken()
  return token ? { authorization: `Bearer ${token}` } : {}
}

export async function requestJson<T>(path: string, init: RequestInit = {}, signal?: AbortSignal): Promise<T> {
  let response: Response
  try {
    response = await fetch(path, {
      ...init,
      signal: signal ?? null,
      headers: {
        accept: 'application/json',
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...authHeaders(),
        ...(init.headers as Record<string, string> | undefined),
      },
    })
  } catch (error) {
    if (signal?.aborted) throw error
    throw new ApiRequestError('down', null, 'The API did not answer.')
  }
  if (response.ok) {
    if (response.status === 204) return undefined as T
    return (await response.json()) as T
  }
  const body = (await response.json().catch(() => null)) as ApiError | null
  const message = body?.message ?? `${response.status} ${response.statusText}`
  if (response.status === 401) {
    window.dispatchEvent(new Event(UNAUTHORIZED_EVENT))
    throw new ApiRequestError('unauthorized', 401, message)
  }
  if (response.status === 404) throw new ApiRequestError('not_found', 404, message)
  // a proxy in front of a stopped server answers 502/503/504
  if (response.status >= 502 && response.status <= 504 && !body) {
    throw new ApiRequestError('down', response.status, message)
  }
  return Promise.reject(new ApiRequestError('refused', response.status, message))
}

export function buildQuery(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(name, String(value))
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}
