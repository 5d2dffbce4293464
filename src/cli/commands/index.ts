import type { Command } from '../command.ts'
import { configCommand } from './config.ts'

/** Every sub-command, in the order `streamwatch --help` lists them. */
export const commands: Command[] = [configCommand]
