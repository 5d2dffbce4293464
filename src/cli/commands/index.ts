import type { Command } from '../command.ts'
import { alerterCommand } from './alerter.ts'
import { apiCommand } from './api.ts'
import { benchCommand } from './bench.ts'
import { configCommand } from './config.ts'
import { etlCommand } from './etl.ts'
import { lakeSinkCommand } from './lake-sink.ts'
import { migrateCommand } from './migrate.ts'
import { produceCommand } from './produce.ts'
import { replayCommand } from './replay.ts'
import { startCommand } from './start.ts'

/** Every sub-command, in the order `streamwatch --help` lists them. */
export const commands: Command[] = [
  startCommand,
  produceCommand,
  etlCommand,
  alerterCommand,
  lakeSinkCommand,
  replayCommand,
  apiCommand,
  migrateCommand,
  configCommand,
  benchCommand,
]
