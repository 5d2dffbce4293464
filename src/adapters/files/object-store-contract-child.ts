// Child process of the contract suite: builds a store from a JSON spec, says "putting" on stdout,
// then puts `size` random bytes under `key`. The parent kills it mid-put.
import { randomBytes } from 'node:crypto'
import type { ObjectStore } from '../../pipelines/ports.ts'
import { createS3ObjectStore, type S3ObjectStoreOptions } from '../s3/s3-object-store.ts'
import { createFileObjectStore } from './file-object-store.ts'

const [specText, key, size] = process.argv.slice(2)
const spec = JSON.parse(specText!) as
  | { kind: 'file'; rootDir: string }
  | ({ kind: 's3' } & S3ObjectStoreOptions)
const store: ObjectStore = spec.kind === 'file' ? createFileObjectStore(spec) : createS3ObjectStore(spec)
const bytes = new Uint8Array(randomBytes(Number(size)))
process.stdout.write('putting\n')
await store.put(key!, bytes)
await store.close()
