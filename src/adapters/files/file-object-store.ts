// ObjectStore on a local directory (`file://` lakes, the embedded default): one file per object,
// `/` in keys are directories.
//
// put is atomic and durable: the bytes go to a temporary file beside the target (same directory,
// so same filesystem), which is fsynced, then renamed over the target (rename(2) is atomic), then
// the directory is fsynced so the rename survives a power cut. A reader, or a process killed
// mid-put, never sees a partial object: the temporary name is never listed nor readable as a key.
import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { StreamwatchError } from '../../errors.ts'
import type { ObjectStore, StoredObject } from '../../pipelines/ports.ts'

/** Names of in-progress puts; a key segment may not start with it. */
const TEMP_PREFIX = '.sw-tmp-'

export interface FileObjectStoreOptions {
  rootDir: string
}

export function createFileObjectStore({ rootDir }: FileObjectStoreOptions): ObjectStore {
  const root = resolve(rootDir)

  function pathOf(key: string): string {
    const segments = key.split('/')
    const valid =
      key.length > 0 &&
      !key.includes('\0') &&
      segments.every((s) => s !== '' && s !== '.' && s !== '..' && !s.startsWith(TEMP_PREFIX))
    if (!valid)
      throw new StreamwatchError('invalid_input', `file store: ${JSON.stringify(key)} is not a valid key`)
    return join(root, ...segments)
  }

  async function put(key: string, bytes: Uint8Array): Promise<void> {
    const target = pathOf(key)
    const dir = dirname(target)
    const temp = join(dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`)
    try {
      await mkdir(dir, { recursive: true })
      const file = await open(temp, 'wx', 0o644)
      try {
        await file.writeFile(bytes)
        await file.sync()
      } finally {
        await file.close()
      }
      await rename(temp, target)
      const directory = await open(dir, 'r')
      try {
        await directory.sync()
      } finally {
        await directory.close()
      }
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined)
      throw toStoreError(`put ${key}`, error)
    }
  }

  async function get(key: string): Promise<Uint8Array | undefined> {
    const path = pathOf(key)
    try {
      return new Uint8Array(await readFile(path))
    } catch (error) {
      if (isMissing(error)) return undefined
      throw toStoreError(`get ${key}`, error)
    }
  }

  async function head(key: string): Promise<StoredObject | undefined> {
    const path = pathOf(key)
    try {
      const stats = await stat(path)
      return stats.isFile() ? { key, sizeBytes: stats.size } : undefined
    } catch (error) {
      if (isMissing(error)) return undefined
      throw toStoreError(`head ${key}`, error)
    }
  }

  /**
   * Walks `dirKey` (a key prefix ending in `/`, or '' for the root) depth first. Sorting a
   * directory's entries by name, with `/` appended to directories, yields every key below it in
   * ascending key order, so the walk streams the listing without collecting it.
   */
  async function* walk(
    dirKey: string,
    prefix: string,
    startAfter: string | undefined,
  ): AsyncGenerator<StoredObject> {
    let entries: import('node:fs').Dirent[]
    try {
      entries = await readdir(dirKey === '' ? root : join(root, ...dirKey.slice(0, -1).split('/')), {
        withFileTypes: true,
      })
    } catch (error) {
      if (isMissing(error)) return
      throw toStoreError(`list ${prefix}`, error)
    }
    const keyed = entries
      .filter((e) => !e.name.startsWith(TEMP_PREFIX) && (e.isDirectory() || e.isFile()))
      .map((e) => ({ entry: e, key: dirKey + e.name + (e.isDirectory() ? '/' : '') }))
      .filter(({ key }) => key.startsWith(prefix) || (prefix.startsWith(key) && key.endsWith('/')))
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)))
    for (const { entry, key } of keyed) {
      if (entry.isDirectory()) {
        // Every key below `key` starts with it: skip the subtree when all of them sort before startAfter.
        if (startAfter !== undefined && compareKeys(key, startAfter) < 0 && !startAfter.startsWith(key))
          continue
        yield* walk(key, prefix, startAfter)
      } else if (startAfter === undefined || compareKeys(key, startAfter) > 0) {
        const stats = await stat(join(root, ...key.split('/'))).catch(() => undefined)
        if (stats?.isFile()) yield { key, sizeBytes: stats.size }
      }
    }
  }

  return {
    url: pathToFileURL(root).href,
    put,
    get,
    head,
    list(prefix, options = {}) {
      // Start at the deepest directory the prefix names; the rest of the prefix filters its entries.
      const dirKey = prefix.slice(0, prefix.lastIndexOf('/') + 1)
      return walk(dirKey, prefix, options.startAfter)
    },
    async close() {},
  }
}

function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR'
}

/** Full disks, too many open files and I/O errors may pass; permissions and bad paths do not. */
const RETRIABLE_CODES = new Set(['ENOSPC', 'EMFILE', 'ENFILE', 'EIO', 'EAGAIN', 'EBUSY', 'EDQUOT'])

function toStoreError(action: string, error: unknown): StreamwatchError {
  if (error instanceof StreamwatchError) return error
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown'
  return new StreamwatchError('store_unavailable', `file store: ${action}: ${(error as Error).message}`, {
    retriable: RETRIABLE_CODES.has(code),
    cause: error,
  })
}
