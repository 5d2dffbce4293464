// Structured JSON logs (pino) to stderr, so stdout stays free for command output (tables, JSON).
import { type Logger, pino } from 'pino'

export type { Logger }

export function createLogger(level = process.env['LOG_LEVEL'] ?? 'info', name = 'streamwatch'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }))
}

/** A logger that drops everything: for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' })
