// A child process of the benchmark (etl, lake sink, producer, naive consumer) with its memory
// sampled from /proc/<pid>/status, so that each figure is that one process's, not the runner's.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface ChildOptions {
  /** a label for logs and errors */
  name: string
  args: string[]
  env: Record<string, string>
  /** how often RSS is sampled (default 250 ms) */
  sampleEveryMs?: number
}

export interface RunningChild {
  readonly name: string
  readonly pid: number
  /** resolves when a line of stderr or stdout contains `text` */
  waitForOutput(text: string, timeoutMs: number): Promise<void>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves to the exit code */
  stop(graceMs?: number): Promise<number | null>
  /** resolves to the exit code when the process exits on its own */
  exited(): Promise<number | null>
  /** the largest of VmHWM and the sampled VmRSS, in MiB */
  peakRssMb(): number
  stdout(): string
  stderrTail(): string
}

const MAX_KEPT_OUTPUT_CHARS = 64 * 1024

/** Runs `node <args>` (the same Node as the runner) with `env` added to this process's environment. */
export function startNodeChild(options: ChildOptions): RunningChild {
  const child: ChildProcess = spawn(process.execPath, options.args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (child.pid === undefined) throw new Error(`${options.name}: could not start`)
  const pid = child.pid
  let out = ''
  let err = ''
  let peakKb = 0
  const watchers: { text: string; resolve: () => void }[] = []
  const onText = (chunk: Buffer, which: 'out' | 'err') => {
    const text = chunk.toString('utf8')
    if (which === 'out') out = (out + text).slice(-MAX_KEPT_OUTPUT_CHARS)
    else err = (err + text).slice(-MAX_KEPT_OUTPUT_CHARS)
    for (const w of [...watchers]) {
      if ((out + err).includes(w.text)) {
        watchers.splice(watchers.indexOf(w), 1)
        w.resolve()
      }
    }
  }
  child.stdout!.on('data', (c: Buffer) => onText(c, 'out'))
  child.stderr!.on('data', (c: Buffer) => onText(c, 'err'))
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let done = false
  void exit.then(() => {
    done = true
  })
  const sample = () => {
    const kb = readPeakKb(pid)
    if (kb > peakKb) peakKb = kb
  }
  const timer = setInterval(sample, options.sampleEveryMs ?? 250)
  void exit.then(() => clearInterval(timer))

  return {
    name: options.name,
    pid,
    waitForOutput(text, timeoutMs) {
      if ((out + err).includes(text)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timeout = setTimeout(() => {
          reject(new Error(`${options.name}: no "${text}" within ${timeoutMs} ms\n${err.slice(-2000)}`))
        }, timeoutMs)
        watchers.push({
          text,
          resolve: () => {
            clearTimeout(timeout)
            resolve()
          },
        })
        void exit.then(() => {
          clearTimeout(timeout)
          reject(new Error(`${options.name}: exited before "${text}"\n${err.slice(-2000)}`))
        })
      })
    },
    async stop(graceMs = 20_000) {
      sample()
      if (done) return exit
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const code = await exit
      clearTimeout(killer)
      return code
    },
    exited: () => exit,
    peakRssMb: () => Math.round(peakKb / 1024),
    stdout: () => out,
    stderrTail: () => err.slice(-4000),
  }
}

/** max(VmHWM, VmRSS) of a live process in KiB; 0 once it is gone. */
export function readPeakKb(pid: number): number {
  let status: string
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return 0
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
  return Math.max(field('VmHWM'), field('VmRSS'))
}
