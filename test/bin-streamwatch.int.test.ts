// `streamwatch` (bin/streamwatch.js, what `npm start` and `npx streamwatch` run): on Node 24 the
// CLI itself; on an older node one line saying what to do, never a stack trace about `.ts`.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT } from './web/dashboard-test-kit.ts'

const BIN = join(ROOT, 'bin', 'streamwatch.js')

/** A node older than 24 on PATH (this kind of machine's own is 20), if there is one. */
function findOldNode(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const node = join(dir, 'node')
    if (!existsSync(node)) continue
    const version = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()
    if (Number(version.split('.')[0]) < 24) return node
  }
  return undefined
}
const oldNode = findOldNode()

const folders: string[] = []
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

describe('bin/streamwatch.js', () => {
  it('is the CLI on Node 24', () => {
    const run = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' })
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/^Usage: streamwatch <command>/)
  })

  it.skipIf(!oldNode)(
    'is the CLI through npx on an older node: npx puts the Node 24 of node_modules first',
    () => {
      const run = spawnSync('npx', ['--no-install', 'streamwatch', 'config'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, PATH: withoutNode24(process.env['PATH'] ?? '') },
      })
      expect(run.stderr).not.toMatch(/ERR_|needs Node/)
      expect(run.status).toBe(0)
      expect(run.stdout).toContain('API_PORT')
    },
  )

  it.skipIf(!oldNode)(
    'on an older node with the Node 24 of node_modules there: says to run it through npm',
    () => {
      const run = spawnSync(oldNode!, [BIN, 'start'], { encoding: 'utf8' })
      expect(run.status).toBe(1)
      expect(run.stdout).toBe('')
      expect(run.stderr).toMatch(
        /^streamwatch needs Node\.js 24 or later \(this is 2?\d\.[\d.]+\): run it through npm \(`npm start`, `npx streamwatch <command>`\), [^\n]*\n$/,
      )
    },
  )

  it.skipIf(!oldNode).each([
    [
      'installed without its install script (npm ci --ignore-scripts)',
      true,
      '`npm rebuild node` installs it (its install script did not run: --ignore-scripts?), or `source scripts/use-node24.sh` puts it first on PATH',
    ],
    [
      'not installed (npm ci --omit=dev)',
      false,
      '`npm ci` installs it into node_modules (with the dev dependencies), or `source scripts/use-node24.sh` puts it first on PATH',
    ],
  ])('on an older node, the node package %s: says how to get Node 24', (_, installed, remedy) => {
    const folder = mkdtempSync(join(tmpdir(), 'streamwatch-bin-'))
    folders.push(folder)
    mkdirSync(join(folder, 'bin'))
    copyFileSync(BIN, join(folder, 'bin', 'streamwatch.js'))
    if (installed) {
      mkdirSync(join(folder, 'node_modules', 'node'), { recursive: true })
      copyFileSync(
        join(ROOT, 'node_modules', 'node', 'package.json'),
        join(folder, 'node_modules', 'node', 'package.json'),
      )
    }
    const run = spawnSync(oldNode!, [join(folder, 'bin', 'streamwatch.js'), 'start'], { encoding: 'utf8' })
    expect(run.status).toBe(1)
    expect(run.stdout).toBe('')
    const version = spawnSync(oldNode!, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()
    expect(run.stderr).toBe(`streamwatch needs Node.js 24 or later (this is ${version}): ${remedy}\n`)
  })
})

/** PATH without the folders whose node is 24 or later (the test runner's own, put there by npm). */
function withoutNode24(path: string): string {
  return path
    .split(delimiter)
    .filter((dir) => {
      const node = join(dir, 'node')
      if (!existsSync(node)) return true
      const major = spawnSync(node, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' })
      return Number(major.stdout) < 24
    })
    .join(delimiter)
}
