#!/usr/bin/env node
// `streamwatch <command>`: load and validate the settings, run one command, stop cleanly on signals.
import { loadConfig } from '../config/load.ts'
import { StreamwatchError } from '../errors.ts'
import { createLogger } from '../observability/logger.ts'
import { type Command, UsageError } from './command.ts'
import { commands } from './commands/index.ts'

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return name ? 0 : 2
  }
  const command = commands.find((c) => c.name === name)
  if (!command) {
    process.stderr.write(`streamwatch: unknown command "${name}"\n\n${usage()}`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`)
    return 0
  }
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof StreamwatchError && error.code === 'config_invalid') {
      process.stderr.write(`${error.message}\n`)
      return 2
    }
    throw error
  }
  const logger = createLogger(config.LOG_LEVEL).child({ command: name })
  const controller = new AbortController()
  let signals = 0
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now')
      process.exit(130)
    }
    logger.info({ signal }, 'stopping (send again to exit at once)')
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    return await runCommand(command, rest, { config, logger, signal: controller.signal, out: process.stdout })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

async function runCommand(command: Command, argv: string[], context: Parameters<Command['run']>[1]) {
  try {
    return await command.run(argv, context)
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`streamwatch ${command.name}: ${error.message}\n\n${command.usage}\n`)
      return 2
    }
    if (error instanceof StreamwatchError && error.code === 'config_invalid') {
      process.stderr.write(`${error.message}\n`)
      return 2
    }
    if (error instanceof StreamwatchError) {
      context.logger.error({ code: error.code, err: error.cause ?? error }, error.message)
      process.stderr.write(`streamwatch ${command.name}: ${error.message}\n`)
      return 1
    }
    throw error
  }
}

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
  return `Usage: streamwatch <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nSettings come from env vars (see \`streamwatch config --markdown\`). \`streamwatch <command> --help\` for options.\n`
}

const code = await main(process.argv.slice(2))
process.exitCode = code
