// Progress of a long command on stderr: on a terminal, one line redrawn in place (a bar when the
// total is known); elsewhere (pipes, CI logs), a plain line every `plainIntervalMs`.

export interface ProgressSnapshot {
  done: number
  /** the total, when known */
  total: number | undefined
  elapsedMs: number
  ratePerSecond: number
  /** extra text at the end of the line */
  note?: string
}

export interface ProgressReporter {
  update(snapshot: ProgressSnapshot): void
  /** ends the in-place line (a terminal), so that what follows starts on a line of its own */
  finish(): void
}

export interface ProgressReporterOptions {
  write: (text: string) => void
  isTTY: boolean
  /** redraws on a terminal at most this often; default 200 */
  ttyIntervalMs?: number
  /** plain lines at most this often; default 5000 */
  plainIntervalMs?: number
  /** what is counted, plural: "events" */
  unit: string
  nowMs?: () => number
}

const BAR_WIDTH = 24

export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const nowMs = options.nowMs ?? (() => performance.now())
  const intervalMs = options.isTTY ? (options.ttyIntervalMs ?? 200) : (options.plainIntervalMs ?? 5_000)
  let lastWriteMs = Number.NEGATIVE_INFINITY
  let drawn = false
  return {
    update(snapshot) {
      const now = nowMs()
      const complete = snapshot.total !== undefined && snapshot.done >= snapshot.total
      if (now - lastWriteMs < intervalMs && !(complete && options.isTTY)) return
      lastWriteMs = now
      const line = formatProgress(snapshot, options.unit, options.isTTY)
      if (options.isTTY) {
        // the last state stays on screen; what is written next starts on a line of its own
        options.write(`\r\u001b[2K${line}${complete ? '\n' : ''}`)
        drawn = !complete
      } else {
        options.write(`${line}\n`)
      }
    },
    finish() {
      if (drawn) options.write('\n')
      drawn = false
    },
  }
}

export function formatProgress(snapshot: ProgressSnapshot, unit: string, withBar: boolean): string {
  const { done, total, elapsedMs, ratePerSecond } = snapshot
  const parts: string[] = []
  if (total !== undefined && total > 0) {
    const share = Math.min(1, done / total)
    if (withBar) {
      const filled = Math.round(share * BAR_WIDTH)
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`)
    }
    parts.push(
      `${String(Math.floor(share * 100)).padStart(3)}%`,
      `${formatCount(done)}/${formatCount(total)} ${unit}`,
    )
  } else {
    parts.push(`${formatCount(done)} ${unit}`)
  }
  parts.push(`${formatCount(Math.round(ratePerSecond))} ${unit}/s`, `${(elapsedMs / 1000).toFixed(1)}s`)
  if (snapshot.note) parts.push(snapshot.note)
  return parts.join('  ')
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}
