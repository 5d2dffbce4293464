// Record keys as bytes plus their partitioning hash. Keys repeat (a service, a user), so each string
// key is encoded and hashed once, and its bytes are shared by all of its records (readers must not
// change them). Bounded: the cache is forgotten when full.
import { keyHash } from './murmur2.ts'

export interface KeyBytes {
  bytes: Uint8Array
  /** Kafka's positive murmur2 of the bytes: the partition is this modulo the partition count */
  hash: number
}

const encoder = new TextEncoder()

export function createKeyEncoder(maxCachedKeys = 10_000): (key: string | Uint8Array) => KeyBytes {
  const cache = new Map<string, KeyBytes>()
  return (key) => {
    if (typeof key !== 'string') {
      const bytes = new Uint8Array(key)
      return { bytes, hash: keyHash(bytes) }
    }
    let entry = cache.get(key)
    if (entry === undefined) {
      if (cache.size >= maxCachedKeys) cache.clear()
      const bytes = encoder.encode(key)
      entry = { bytes, hash: keyHash(bytes) }
      cache.set(key, entry)
    }
    return entry
  }
}
