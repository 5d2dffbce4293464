// The shell: navigation (keeping the time range across pages), range picker, live status,
// theme switch, token entry, and the page for the current path.
import { type FormEvent, useEffect, useState } from 'react'
import { TimeRangePicker } from './components/time-range-picker.tsx'
import { readToken, saveToken, UNAUTHORIZED_EVENT } from './lib/api-client.ts'
import { restartStream, useStreamStatus } from './lib/live-stream.ts'
import { Link, useLocation } from './lib/router.ts'
import { rangeSearch } from './lib/time-range.ts'
import { AnomaliesPage } from './pages/anomalies-page.tsx'
import { AnomalyDetailPage } from './pages/anomaly-detail-page.tsx'
import { LogsPage } from './pages/logs-page.tsx'
import { OverviewPage } from './pages/overview-page.tsx'
import { ServicesPage } from './pages/services-page.tsx'
import { TransactionsPage } from './pages/transactions-page.tsx'

const NAV = [
  { path: '/', label: 'Overview' },
  { path: '/services', label: 'Services' },
  { path: '/anomalies', label: 'Anomalies' },
  { path: '/logs', label: 'Logs' },
  { path: '/transactions', label: 'Transactions' },
] as const

function routePage(pathname: string) {
  const detail = /^\/anomalies\/([^/]+)$/.exec(pathname)
  if (detail) return <AnomalyDetailPage id={decodeURIComponent(detail[1]!)} />
  switch (pathname) {
    case '/':
      return <OverviewPage />
    case '/services':
      return <ServicesPage />
    case '/anomalies':
      return <AnomaliesPage />
    case '/logs':
      return <LogsPage />
    case '/transactions':
      return <TransactionsPage />
    default:
      return (
        <section>
          <h1>Page not found</h1>
          <p>
            There is no page at <code>{pathname}</code>. <Link to="/">Go to the overview.</Link>
          </p>
        </section>
      )
  }
}

export function App() {
  const { pathname, params } = useLocation()
  const status = useStreamStatus()
  const [theme, setTheme] = useState(() => document.documentElement.dataset['theme'] ?? 'dark')
  const [askToken, setAskToken] = useState(false)
  const [generation, setGeneration] = useState(0)

  useEffect(() => {
    document.documentElement.dataset['theme'] = theme
    try {
      localStorage.setItem('streamwatch.theme', theme)
    } catch {}
  }, [theme])

  useEffect(() => {
    const onUnauthorized = () => setAskToken(true)
    window.addEventListener(UNAUTHORIZED_EVENT, onUnauthorized)
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized)
  }, [])

  const search = rangeSearch(params)
  const section = pathname.startsWith('/anomalies') ? '/anomalies' : pathname
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={`/${search}`} className="brand">
          streamwatch
        </Link>
        <nav aria-label="Pages">
          {NAV.map((item) => (
            <Link key={item.path} to={item.path + search} ariaCurrent={section === item.path}>
              {item.label}
            </Link>
          ))}
        </nav>
        <div className="topbar-tools">
          <TimeRangePicker />
          <span className={`live-status live-${status}`} role="status" data-stream={status}>
            {status === 'live'
              ? 'Live'
              : status === 'connecting'
                ? 'Connecting…'
                : status === 'down'
                  ? 'API down'
                  : 'Token needed'}
          </span>
          <button type="button" onClick={() => setAskToken((v) => !v)} aria-expanded={askToken}>
            Token
          </button>
          <button
            type="button"
            onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
            aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          >
            {theme === 'dark' ? 'Light' : 'Dark'}
          </button>
        </div>
      </header>
      {status === 'down' ? (
        <div className="banner" role="alert" data-banner="api-down">
          The API is not answering. Start the server (<code>npm start</code>) or check its address; the
          dashboard reconnects on its own.
        </div>
      ) : null}
      {askToken ? (
        <TokenForm
          onDone={() => {
            setAskToken(false)
            restartStream()
            setGeneration((n) => n + 1)
          }}
        />
      ) : null}
      <main id="main" key={generation}>
        {routePage(pathname)}
      </main>
    </>
  )
}

function TokenForm({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState(() => readToken() ?? '')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    saveToken(value.trim() || null)
    onDone()
  }
  return (
    <form className="token-form" onSubmit={submit} aria-label="API token">
      <label>
        This API asks for a bearer token (the server's API_TOKEN):{' '}
        <input type="password" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" />
      </label>
      <button type="submit">Save token</button>
    </form>
  )
}
