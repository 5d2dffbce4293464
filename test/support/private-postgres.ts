// A PostgreSQL server of our own for the tests that stop it: a fresh cluster (initdb) in a
// temporary directory on a free port, run with the machine's PostgreSQL binaries as the
// `postgres` user. Stopping it disturbs nobody else's tests.
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.ts'

export interface PrivatePostgres {
  url: string
  port: number
  start(): void
  /** fast shutdown: connections are cut, as in an outage */
  stop(): void
  destroy(): void
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql'
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0]
  if (!version) throw new Error(`no PostgreSQL under ${root}`)
  return join(root, version, 'bin')
}

function asPostgres(command: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]
  execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] })
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'streamwatch-pg-'))
  const data = join(dir, 'data')
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString())
    chownSync(dir, uid, gid)
  }
  asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`
  const pg: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start() {
      asPostgres(join(bin, 'pg_ctl'), [
        '-D',
        data,
        '-o',
        options,
        '-l',
        join(dir, 'server.log'),
        '-w',
        'start',
      ])
    },
    stop() {
      asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'])
    },
    destroy() {
      if (existsSync(join(data, 'postmaster.pid'))) {
        try {
          pg.stop()
        } catch {
          // already stopped
        }
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
  pg.start()
  return pg
}
