// The ObjectStore contract, as one suite run against every implementation (files, S3): each
// `*.test.ts` of an adapter calls `describeObjectStoreContract` with a factory for a fresh,
// empty store. The helper is not a test file itself.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isRetriable } from '../../errors.ts'
import type { ObjectStore } from '../../pipelines/ports.ts'

export interface ContractTarget {
  /** a fresh, empty store; `listPageSize` is honoured where the store pages (S3) */
  create(): Promise<ObjectStore>
  /**
   * How a child process builds the same store (JSON given to object-store-contract-child.ts), for
   * the test that kills a writer mid-put.
   */
  childSpec(store: ObjectStore): Record<string, unknown>
}

const text = (s: string) => new Uint8Array(Buffer.from(s))

async function keysOf(store: ObjectStore, prefix: string, startAfter?: string): Promise<string[]> {
  const keys: string[] = []
  for await (const object of store.list(prefix, startAfter === undefined ? {} : { startAfter }))
    keys.push(object.key)
  return keys
}

export function describeObjectStoreContract(name: string, target: ContractTarget): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore
    beforeAll(async () => {
      store = await target.create()
    })
    afterAll(async () => {
      await store?.close()
    })

    it('gives back exactly the bytes put, binary and empty alike', async () => {
      const binary = new Uint8Array(randomBytes(70_000))
      await store.put('bytes/binary.bin', binary)
      await store.put('bytes/empty', new Uint8Array(0))
      expect(Buffer.from((await store.get('bytes/binary.bin'))!).equals(Buffer.from(binary))).toBe(true)
      expect(await store.get('bytes/empty')).toEqual(new Uint8Array(0))
      expect(await store.head('bytes/binary.bin')).toEqual({ key: 'bytes/binary.bin', sizeBytes: 70_000 })
    })

    it('answers undefined for a missing object', async () => {
      expect(await store.get('missing/nothing-here')).toBeUndefined()
      expect(await store.head('missing/nothing-here')).toBeUndefined()
      expect(await store.head('bytes')).toBeUndefined()
    })

    it('replaces an object on a second put', async () => {
      await store.put('replace/one', text('first version'))
      await store.put('replace/one', text('second'))
      expect(Buffer.from((await store.get('replace/one'))!).toString()).toBe('second')
      expect(await keysOf(store, 'replace/')).toEqual(['replace/one'])
    })

    it('lists keys under a prefix in byte order, across directories and pages', async () => {
      const keys = ['ls/a-b', 'ls/a/b', 'ls/a/c/d', 'ls/a0', 'ls/b', 'ls/B', 'ls/a/b2', 'lsx/other']
      for (let i = 0; i < 25; i++) keys.push(`ls/many/${String(i).padStart(3, '0')}`)
      await Promise.all(keys.map((key) => store.put(key, text(key))))
      const expected = keys
        .filter((k) => k.startsWith('ls/'))
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      expect(await keysOf(store, 'ls/')).toEqual(expected)
      expect(await keysOf(store, 'ls/a')).toEqual(expected.filter((k) => k.startsWith('ls/a')))
      expect(await keysOf(store, 'ls/a/')).toEqual(['ls/a/b', 'ls/a/b2', 'ls/a/c/d'])
      expect(await keysOf(store, 'ls/many/01')).toEqual([...Array(10).keys()].map((i) => `ls/many/01${i}`))
      expect(await keysOf(store, 'ls/nope')).toEqual([])
      let sizes = 0
      for await (const object of store.list('ls/many/')) sizes += object.sizeBytes
      expect(sizes).toBe(25 * 'ls/many/000'.length)
    })

    it('lists only keys after startAfter', async () => {
      expect(await keysOf(store, 'ls/', 'ls/a/b2')).toEqual(
        (await keysOf(store, 'ls/')).filter(
          (k) => Buffer.compare(Buffer.from(k), Buffer.from('ls/a/b2')) > 0,
        ),
      )
      expect((await keysOf(store, 'ls/many/', 'ls/many/020')).length).toBe(4)
      expect(await keysOf(store, 'ls/', 'ls/z')).toEqual([])
    })

    it('stores an object larger than the multipart threshold whole', async () => {
      const big = new Uint8Array(randomBytes(17 * 1024 * 1024 + 123))
      await store.put('big/object', big)
      expect((await store.head('big/object'))?.sizeBytes).toBe(big.byteLength)
      expect(Buffer.from((await store.get('big/object'))!).equals(Buffer.from(big))).toBe(true)
    })

    it('never shows a reader part of an object being replaced', async () => {
      const versions = [new Uint8Array(6 * 1024 * 1024).fill(1), new Uint8Array(7 * 1024 * 1024).fill(2)]
      await store.put('atomic/object', versions[0]!)
      let writing = true
      const writer = (async () => {
        for (let i = 1; i <= 6; i++) await store.put('atomic/object', versions[i % 2]!)
        writing = false
      })()
      let reads = 0
      while (writing) {
        const bytes = await store.get('atomic/object')
        expect(
          bytes === undefined ? -1 : versions.findIndex((v) => Buffer.from(v).equals(Buffer.from(bytes))),
        ).not.toBe(-1)
        // A listing sees the key all along (a server may add its own temporary key, see ObjectStore.list).
        const listed = await keysOf(store, 'atomic/').catch((error: unknown) => {
          if (isRetriable(error)) return undefined
          throw error
        })
        if (listed) expect(listed).toContain('atomic/object')
        reads++
      }
      await writer
      expect(reads).toBeGreaterThan(0)
      expect(await keysOf(store, 'atomic/')).toEqual(['atomic/object'])
    })

    it('leaves no partial object when the writer is killed mid-put', async () => {
      const spec = JSON.stringify(target.childSpec(store))
      const size = 24 * 1024 * 1024
      for (const delayMs of [0, 40, 150, 400]) {
        const key = `killed/after-${delayMs}ms`
        await killChildMidPut(spec, key, size, delayMs)
        const head = await store.head(key)
        expect(head === undefined || head.sizeBytes === size).toBe(true)
        const listed = await keysOf(store, 'killed/')
        expect(listed.every((k) => k.startsWith('killed/after-'))).toBe(true)
        for (const k of listed) expect((await store.head(k))?.sizeBytes).toBe(size)
      }
    })
  })
}

const CHILD = fileURLToPath(new URL('./object-store-contract-child.ts', import.meta.url))

/** Starts a child that puts `size` bytes under `key`, and SIGKILLs it `delayMs` after it began. */
async function killChildMidPut(spec: string, key: string, size: number, delayMs: number): Promise<void> {
  const child = spawn(process.execPath, [CHILD, spec, key, String(size)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<void>((resolve) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', () => resolve())
  })
  await new Promise((resolve) => setTimeout(resolve, delayMs))
  child.kill('SIGKILL')
  await exited
}
