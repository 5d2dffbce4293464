import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { StreamwatchError } from '../../errors.ts'
import { createFileObjectStore } from './file-object-store.ts'
import { describeObjectStoreContract } from './object-store-contract.ts'

const dirs: string[] = []
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'streamwatch-file-store-'))
  dirs.push(dir)
  return dir
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

describeObjectStoreContract('files', {
  create: async () => createFileObjectStore({ rootDir: await freshDir() }),
  childSpec: (store) => ({ kind: 'file', rootDir: new URL(store.url).pathname }),
})

describe('createFileObjectStore', () => {
  it.each([['../escape'], ['/absolute'], ['a//b'], ['a/./b'], [''], ['a/.sw-tmp-123']])(
    'refuses the key %j',
    async (key) => {
      const store = createFileObjectStore({ rootDir: await freshDir() })
      await expect(store.put(key, new Uint8Array(1))).rejects.toMatchObject({ code: 'invalid_input' })
    },
  )

  it('keeps no temporary file after a put, and lists none left by a killed writer', async () => {
    const root = await freshDir()
    const store = createFileObjectStore({ rootDir: root })
    await store.put('a/b.txt', new Uint8Array(3))
    expect(await readdir(join(root, 'a'))).toEqual(['b.txt'])
    await writeFile(join(root, 'a', '.sw-tmp-deadbeef'), 'partial')
    const keys: string[] = []
    for await (const object of store.list('')) keys.push(object.key)
    expect(keys).toEqual(['a/b.txt'])
  })

  it('says a permission problem is not retriable', async () => {
    const root = await freshDir()
    await writeFile(join(root, 'file'), 'x')
    const store = createFileObjectStore({ rootDir: join(root, 'file') })
    const error = await store.put('k', new Uint8Array(1)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StreamwatchError)
    expect(error).toMatchObject({ code: 'store_unavailable', retriable: false })
  })

  it('names its root as a file URL', async () => {
    const root = await freshDir()
    expect(createFileObjectStore({ rootDir: root }).url).toBe(`file://${root}`)
  })
})
