// Kafka's default partitioner, so that a key lands in the same partition number on the memory bus
// as with a Java producer (and the Kafka adapter's compatibility partitioner): a port of
// org.apache.kafka.common.utils.Utils.murmur2 and `toPositive(murmur2(key)) % partitions`.

const SEED = 0x9747b28c
const M = 0x5bd1e995
const R = 24

/** Kafka's murmur2 of `data`, as a signed 32-bit integer (the value Java computes). */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = SEED ^ length
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> R
    k = Math.imul(k, M)
    h = Math.imul(h, M)
    h ^= k
  }
  const tail = length & 3
  if (tail === 3) h ^= data[whole + 2]! << 16
  if (tail >= 2) h ^= data[whole + 1]! << 8
  if (tail >= 1) {
    h ^= data[whole]!
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** Kafka's `toPositive(murmur2(key))`: the partition of the key is this modulo the partition count. */
export function keyHash(key: Uint8Array): number {
  return murmur2(key) & 0x7fffffff
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return keyHash(key) % partitions
}
