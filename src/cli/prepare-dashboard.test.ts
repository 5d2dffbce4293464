import { describe, expect, it } from 'vitest'
import { chooseDashboardAction, type DashboardAction } from './prepare-dashboard.ts'

describe('chooseDashboardAction', () => {
  it.each<[string, number | undefined, number | undefined, boolean, DashboardAction]>([
    ['a fresh clone: no build, sources, vite', undefined, 100, true, 'build'],
    ['a build newer than its sources', 200, 100, true, 'serve'],
    ['a build as new as its sources', 100, 100, true, 'serve'],
    ['a source changed since the build', 100, 200, true, 'build'],
    ['the image: a build and no sources', 100, undefined, false, 'serve'],
    ['no build and no sources', undefined, undefined, true, 'missing'],
    ['no build, sources, no vite (npm ci --omit=dev)', undefined, 100, false, 'missing'],
    ['an old build, no vite', 100, 200, false, 'serve-stale'],
  ])('%s', (_, builtMs, newestSourceMs, canBuild, action) => {
    expect(chooseDashboardAction({ builtMs, newestSourceMs, canBuild })).toBe(action)
  })
})
