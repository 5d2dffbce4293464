import type { Command } from '../command.ts'
import { openDatabase } from '../platform.ts'

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending database migrations (also done at the start of etl and api)',
  usage: `streamwatch migrate

  Applies the pending migrations to DATABASE_URL (or the embedded PGlite in DATA_DIR), under an
  advisory lock, so several processes starting at once are safe. Applied migrations are never edited:
  a changed one stops the start.`,
  async run(_argv, { config, logger, out }) {
    const db = await openDatabase(config, logger, { applicationName: 'streamwatch-migrate' })
    await db.close()
    out.write('migrations applied\n')
    return 0
  },
}
