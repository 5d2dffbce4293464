// Builders shared by the commands: each turns the validated config into one adapter or setting.
// The commands start parts in order and stop them in reverse.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createDatabase, type Database } from '../adapters/postgres/database.ts'
import { migrate } from '../adapters/postgres/migrate.ts'
import type { Config } from '../config/load.ts'
import { type CleanPolicy, createCleanPolicy } from '../core/clean/index.ts'
import { DEFAULT_RULES, parseRules, type Rule } from '../core/detect/index.ts'
import { StreamwatchError } from '../errors.ts'
import type { Logger } from '../observability/logger.ts'

/** Opens PostgreSQL (DATABASE_URL) or embedded PGlite (DATA_DIR) and applies pending migrations. */
export async function openDatabase(
  config: Config,
  logger: Logger,
  options: { statementTimeoutMs?: number; applicationName?: string; migrate?: boolean } = {},
): Promise<Database> {
  const db = await createDatabase({
    url: config.DATABASE_URL,
    dataDir: resolve(config.DATA_DIR),
    logger,
    statementTimeoutMs: options.statementTimeoutMs,
    applicationName: options.applicationName ?? 'streamwatch',
  })
  if (options.migrate ?? true) {
    try {
      await migrate(db, { logger })
    } catch (error) {
      await db.close()
      throw error
    }
  }
  return db
}

/** The rules of RULES_FILE (YAML or JSON), or the built-in defaults (the seed's rules). */
export function loadRules(config: Config): readonly Rule[] {
  const path = config.RULES_FILE
  if (!path) return DEFAULT_RULES
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new StreamwatchError(
      'config_invalid',
      `config: RULES_FILE=${JSON.stringify(path)}: ${(error as Error).message}`,
    )
  }
  const parsed = parseRules(text, path.endsWith('.json') ? 'json' : 'yaml')
  if ('errors' in parsed) {
    throw new StreamwatchError(
      'config_invalid',
      parsed.errors.map((line) => `config: RULES_FILE=${JSON.stringify(path)}: ${line}`).join('\n'),
    )
  }
  return parsed.rules
}

export function cleanPolicyFrom(config: Config): CleanPolicy {
  return createCleanPolicy({
    maxMessageBytes: config.MAX_MESSAGE_BYTES,
    maxFutureSkewMs: config.MAX_FUTURE_SKEW,
    maxEventAgeMs: config.MAX_EVENT_AGE,
  })
}
