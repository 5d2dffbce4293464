// The lock is about processes and files: tested with real child processes in a temp directory.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireDataDirLock } from './data-dir-lock.ts'

const MODULE = new URL('./data-dir-lock.ts', import.meta.url).href

let dir: string
let lockPath: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamwatch-lock-'))
  lockPath = join(dir, 'pglite.lock')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const writeLock = (pid: number, host = hostname()) =>
  writeFile(
    lockPath,
    JSON.stringify({ pid, hostname: host, token: 'someone', acquiredAt: '2024-11-25T00:00:00Z' }),
  )

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout.toString())
}

describe('acquireDataDirLock', () => {
  it('writes our pid, refuses a second acquisition in this process, and is free again after release', async () => {
    const lock = await acquireDataDirLock(lockPath)
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({
      pid: process.pid,
      hostname: hostname(),
    })
    await expect(acquireDataDirLock(lockPath)).rejects.toThrow(/in use by this process/)
    await lock.release()
    await lock.release()
    expect(await readdir(dir)).toEqual([])
    const again = await acquireDataDirLock(lockPath)
    await again.release()
  })

  it('refuses a lock held by another live process, naming its pid', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
    try {
      await writeLock(other.pid!)
      await expect(acquireDataDirLock(lockPath)).rejects.toMatchObject({
        code: 'db_unavailable',
        retriable: false,
        message: expect.stringContaining(`is in use by process ${other.pid} (lock file ${lockPath}`),
      })
    } finally {
      other.kill()
    }
  })

  it('gives a second real process a clear error while we hold the lock', async () => {
    const lock = await acquireDataDirLock(lockPath)
    try {
      const script = `import(${JSON.stringify(MODULE)}).then((m) => m.acquireDataDirLock(${JSON.stringify(lockPath)}))
        .then(() => console.log('acquired'), (e) => console.log(e.message))`
      const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
      expect(child.stdout).toContain(`is in use by process ${process.pid}`)
    } finally {
      await lock.release()
    }
  })

  it('takes over a stale lock left by a dead process', async () => {
    await writeLock(deadPid())
    const lock = await acquireDataDirLock(lockPath)
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid })
    await lock.release()
  })

  it('lets exactly one of several processes take over the same stale lock', async () => {
    await writeLock(deadPid())
    const script = `import(${JSON.stringify(MODULE)}).then((m) => m.acquireDataDirLock(${JSON.stringify(lockPath)}))
      .then(() => { console.log('acquired'); setTimeout(() => {}, 1500) }, (e) => console.log('refused: ' + e.message))`
    const outputs = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<string>((resolve) => {
            const child = spawn(process.execPath, ['-e', script])
            let out = ''
            child.stdout.on('data', (chunk) => {
              out += chunk
            })
            child.on('close', () => resolve(out.trim()))
          }),
      ),
    )
    expect(outputs.filter((o) => o === 'acquired')).toHaveLength(1)
    expect(
      outputs.filter((o) => o.startsWith('refused: ') && o.includes('is in use by process')),
    ).toHaveLength(3)
  })

  it('refuses a lock from another host, whose process it cannot check', async () => {
    await writeLock(deadPid(), 'elsewhere.example')
    await expect(acquireDataDirLock(lockPath)).rejects.toThrow(
      /locked by process \d+ on host elsewhere\.example/,
    )
  })

  it('only releases a lock that is still its own', async () => {
    const lock = await acquireDataDirLock(lockPath)
    await writeLock(12345)
    await lock.release()
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: 12345 })
  })
})
