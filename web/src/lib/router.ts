// A tiny router over the History API: the page is a function of `location.pathname`, the view's
// state (filters, range, cursor) lives in `location.search`, so every view can be linked.
import { createElement, type MouseEvent, type ReactNode, useSyncExternalStore } from 'react'

const CHANGE = 'streamwatch:navigate'

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange)
  window.addEventListener(CHANGE, onChange)
  return () => {
    window.removeEventListener('popstate', onChange)
    window.removeEventListener(CHANGE, onChange)
  }
}

const snapshot = () => window.location.pathname + window.location.search

export interface AppLocation {
  pathname: string
  params: URLSearchParams
}

export function useLocation(): AppLocation {
  const href = useSyncExternalStore(subscribe, snapshot)
  const url = new URL(href, window.location.origin)
  return { pathname: url.pathname, params: url.searchParams }
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return
  if (options.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  window.dispatchEvent(new Event(CHANGE))
}

/** Sets (or, for '' and null, removes) query parameters on the current location. */
export function updateParams(changes: Record<string, string | null>, options: { replace?: boolean } = {}) {
  const params = new URLSearchParams(window.location.search)
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === '') params.delete(name)
    else params.set(name, value)
  }
  const search = params.toString()
  navigate(window.location.pathname + (search ? `?${search}` : ''), options)
}

export function Link(props: { to: string; className?: string; children: ReactNode; ariaCurrent?: boolean }) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.defaultPrevented || event.button !== 0) return
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    navigate(props.to)
    window.scrollTo(0, 0)
  }
  return createElement(
    'a',
    {
      href: props.to,
      className: props.className,
      onClick,
      'aria-current': props.ariaCurrent ? 'page' : undefined,
    },
    props.children,
  )
}
