// HiLo offsets for the memory bus. Its records vanish with the process, but consumer offsets stored
// elsewhere (PostgreSQL) survive; if offsets restarted at 0, a stored offset 5000 would silently
// skip the first 5000 new records. So before handing out an offset at or above what the state file
// says, the bus persists a new reservation ("offsets below X may be in use"), and a new run starts
// each partition at the persisted value: every offset after a restart, even after kill -9, is above
// every offset handed out before it.
//
// The file is rewritten whole via a temporary file, fsync and rename (then the directory is
// fsynced), so a crash leaves either the old or the new reservations, never a torn file. One bus
// owns a state directory at a time (checked within the process; across processes, that is the
// deployment's job: the embedded platform is one process per DATA_DIR).
import { mkdirSync, readFileSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { StreamwatchError } from '../../errors.ts'

export const RESERVATIONS_FILE = 'memory-bus-offsets.json'

export interface OffsetReservations {
  /** where the partition's offsets begin in this run: above every offset a previous run handed out */
  firstOffset(topic: string, partition: number): number
  /**
   * Persists that offsets below `endOffset` may be handed out for the partition. Resolves once the
   * file holding it is durable; rejects with a retriable StreamwatchError when it cannot be written.
   */
  reserve(topic: string, partition: number, endOffset: number): Promise<void>
  /** Waits for the writes in flight and lets another bus of this process use the directory. */
  close(): Promise<void>
}

// state directories in use by a bus of this process: two writers would overwrite each other's reservations
const directoriesInUse = new Set<string>()

interface ReservationsFile {
  version: 1
  /** topic -> partition -> offsets below this may have been handed out */
  reservedOffsets: Record<string, Record<string, number>>
}

export function loadOffsetReservations(stateDir: string): OffsetReservations {
  const path = resolve(stateDir, RESERVATIONS_FILE)
  if (directoriesInUse.has(path)) {
    throw new StreamwatchError('internal', `memory bus: ${stateDir} is already used by another memory bus`)
  }
  mkdirSync(stateDir, { recursive: true })
  const previous = readReservations(path)
  // what the next write persists: only ever grows
  const reserved = structuredClone(previous)
  directoriesInUse.add(path)
  let writing: Promise<void> | undefined
  let queued: Promise<void> | undefined

  function scheduleWrite(): Promise<void> {
    if (queued) return queued
    const after = writing ?? Promise.resolve()
    const write: Promise<void> = after
      .catch(() => undefined)
      .then(async () => {
        queued = undefined
        writing = write
        const file: ReservationsFile = { version: 1, reservedOffsets: reserved }
        try {
          await writeFileDurably(path, JSON.stringify(file))
        } catch (cause) {
          throw new StreamwatchError(
            'bus_unavailable',
            `memory bus: cannot persist offset reservations in ${path}`,
            {
              retriable: true,
              cause,
            },
          )
        } finally {
          if (writing === write) writing = undefined
        }
      })
    queued = write
    return write
  }

  return {
    firstOffset(topic, partition) {
      return previous[topic]?.[String(partition)] ?? 0
    },
    reserve(topic, partition, endOffset) {
      const partitions = reserved[topic] ?? {}
      reserved[topic] = partitions
      const key = String(partition)
      partitions[key] = Math.max(partitions[key] ?? 0, endOffset)
      return scheduleWrite()
    },
    async close() {
      await Promise.allSettled([writing, queued])
      directoriesInUse.delete(path)
    },
  }
}

function readReservations(path: string): Record<string, Record<string, number>> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new StreamwatchError('bus_unavailable', `memory bus: cannot read ${path}`, { cause: error })
  }
  try {
    const file = JSON.parse(text) as ReservationsFile
    const result: Record<string, Record<string, number>> = {}
    for (const [topic, partitions] of Object.entries(file.reservedOffsets)) {
      const offsets: Record<string, number> = {}
      for (const [partition, offset] of Object.entries(partitions)) {
        if (!Number.isSafeInteger(offset) || offset < 0)
          throw new Error(`bad offset ${offset} for ${topic}/${partition}`)
        offsets[partition] = offset
      }
      result[topic] = offsets
    }
    return result
  } catch (cause) {
    throw new StreamwatchError('internal', `memory bus: ${path} is not a valid offsets file`, { cause })
  }
}

async function writeFileDurably(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`
  const file = await open(temporary, 'w')
  try {
    await file.writeFile(text)
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(temporary, path)
  const directory = await open(dirname(path), 'r')
  try {
    await directory.sync()
  } finally {
    await directory.close()
  }
}
