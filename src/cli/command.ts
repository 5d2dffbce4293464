// The shape of a `streamwatch` sub-command. Each lives in src/cli/commands/<name>.ts.
import type { Config } from '../config/load.ts'
import type { Logger } from '../observability/logger.ts'

export interface CommandContext {
  /** the validated settings; loaded before the command runs, so a bad setting stops the start */
  config: Config
  logger: Logger
  /** aborted on SIGINT/SIGTERM: long-running commands stop pulling, drain, flush, commit, close */
  signal: AbortSignal
  /** where human output goes (tables, summaries); logs go to stderr */
  out: NodeJS.WritableStream
}

export interface Command {
  name: string
  summary: string
  /** `--help` text: options and examples */
  usage: string
  /** resolves to the process exit code */
  run(argv: string[], context: CommandContext): Promise<number>
}

/** A usage error: printed as one line with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}
