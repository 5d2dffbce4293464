// The dashboard is web/dist, built by vite from web/'s sources. In a checkout, `start` and `api`
// build it when it is missing or older than its sources, so `npm ci && npm start` serves it with no
// other command; the build is kept until a source changes (about a second on a small machine).
// Where the sources are absent (the image carries web/dist only) or vite is (npm ci --omit=dev),
// nothing is built: what web/dist holds is served as it is, and the caller says so.
import { existsSync } from 'node:fs'
import { readdir, rename, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The checkout's web/ folder: the dashboard's sources and, in dist/, its build. */
export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url))
/** The dashboard's build output, beside the sources: served at / when it holds an index.html. */
export const DEFAULT_WEB_ROOT = join(WEB_DIR, 'dist')
const CONTRACTS_DIR = fileURLToPath(new URL('../contracts/', import.meta.url))

export type DashboardAction = 'serve' | 'build' | 'serve-stale' | 'missing'

/**
 * What to do with a web root: build it when its sources are newer and vite can, else serve what
 * is there. `newestSourceMs` is undefined where there are no sources (the image's layout).
 */
export function chooseDashboardAction(input: {
  builtMs: number | undefined
  newestSourceMs: number | undefined
  canBuild: boolean
}): DashboardAction {
  const { builtMs, newestSourceMs, canBuild } = input
  if (newestSourceMs === undefined) return builtMs === undefined ? 'missing' : 'serve'
  if (builtMs !== undefined && builtMs >= newestSourceMs) return 'serve'
  if (canBuild) return 'build'
  return builtMs === undefined ? 'missing' : 'serve-stale'
}

export interface DashboardState {
  /** web root holds a dashboard that the API serves at / */
  served: boolean
  /** milliseconds the build took, when this call built it */
  buildMs?: number
  /** what is wrong and what to run, when not served or served from an outdated build */
  note?: string
}

/**
 * Builds the default web root when it is missing or older than its sources and vite is installed;
 * any other web root is served as given. `progress` hears a line before a build starts.
 */
export async function prepareDashboard(
  webRoot: string,
  progress: (line: string) => void = () => {},
  options: { force?: boolean } = {},
): Promise<DashboardState> {
  const builtMs = await mtimeMs(join(webRoot, 'index.html'))
  const ours = resolve(webRoot) === DEFAULT_WEB_ROOT
  const newestSourceMs = ours ? await newestDashboardSourceMs() : undefined
  const action = chooseDashboardAction({
    builtMs: options.force ? undefined : builtMs,
    newestSourceMs,
    canBuild: ours && viteInstalled(),
  })
  switch (action) {
    case 'serve':
      return { served: true }
    case 'build': {
      progress(
        builtMs === undefined
          ? 'building the dashboard (web/dist is missing)'
          : 'building the dashboard (web/dist is older than its sources)',
      )
      const buildMs = await buildDashboard()
      return { served: true, buildMs }
    }
    case 'serve-stale':
      return {
        served: true,
        note: 'web/dist is older than its sources: `npm ci && npm run build` rebuilds it',
      }
    case 'missing':
      return {
        served: false,
        note: ours
          ? 'the dashboard is not built: `npm ci && npm run build` builds it'
          : `no index.html in ${webRoot}`,
      }
  }
}

/** The newest modification time of the files the dashboard is built from; undefined without them. */
export async function newestDashboardSourceMs(): Promise<number | undefined> {
  const entry = join(WEB_DIR, 'index.html')
  if (!existsSync(entry)) return undefined
  const files = [entry, join(WEB_DIR, 'vite.config.ts')]
  for (const dir of [join(WEB_DIR, 'src'), CONTRACTS_DIR]) {
    if (!existsSync(dir)) continue
    for (const item of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (item.isFile()) files.push(join(item.parentPath, item.name))
    }
  }
  const times = await Promise.all(files.map(mtimeMs))
  return Math.max(...times.map((t) => t ?? 0))
}

function viteInstalled(): boolean {
  try {
    import.meta.resolve('vite')
    return true
  } catch {
    return false
  }
}

/**
 * vite builds into a folder of its own, which then takes web/dist's place: a server reading
 * web/dist, or another process building at the same moment, never sees half a build.
 */
async function buildDashboard(): Promise<number> {
  const started = performance.now()
  const dist = join(WEB_DIR, 'dist')
  const building = `${dist}.building-${process.pid}`
  const { build } = await import('vite')
  await build({ configFile: join(WEB_DIR, 'vite.config.ts'), logLevel: 'warn', build: { outDir: building } })
  const previous = `${dist}.previous-${process.pid}`
  await rename(dist, previous).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
  // a concurrent build may have put its own in place since: either build is as new as the sources
  await rename(building, dist).catch(() => rm(building, { recursive: true, force: true }))
  await rm(previous, { recursive: true, force: true })
  return performance.now() - started
}

async function mtimeMs(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs
  } catch {
    return undefined
  }
}
