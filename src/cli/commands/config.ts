import { formatDurationMs } from '../../config/durations.ts'
import { describeConfig } from '../../config/load.ts'
import { settingsSchema } from '../../config/schema.ts'
import type { Command } from '../command.ts'

export const configCommand: Command = {
  name: 'config',
  summary: 'print the effective configuration (secrets masked)',
  usage: `streamwatch config [--markdown]

  Prints the effective settings as JSON, secrets masked. A bad setting exits 2 with one line per problem.
  --markdown   print the table of every setting with its default and meaning (the README's table)`,
  async run(argv, { config, out }) {
    if (argv.includes('--markdown')) {
      out.write(settingsTable())
      return 0
    }
    out.write(`${JSON.stringify(describeConfig(config), null, 2)}\n`)
    return 0
  },
}

function settingsTable(): string {
  const rows = Object.entries(settingsSchema.shape).map(([name, schema]) => {
    const parsed = schema.safeParse(undefined)
    const fallback =
      parsed.success && parsed.data !== undefined ? formatDefault(parsed.data, DURATIONS.has(name)) : ''
    return `| \`${name}\` | ${fallback} | ${schema.description ?? ''} |`
  })
  return ['| Setting | Default | Meaning |', '| --- | --- | --- |', ...rows, ''].join('\n')
}

/** Settings given as durations (500ms, 30s, 5m...): their defaults are shown that way. */
const DURATIONS = new Set([
  'MAX_FUTURE_SKEW',
  'MAX_EVENT_AGE',
  'ALLOWED_LATENESS',
  'ALERT_GROUP_INTERVAL',
  'ALERT_LEASE',
  'API_STATEMENT_TIMEOUT',
])

function formatDefault(value: unknown, isDuration: boolean): string {
  const text =
    isDuration && typeof value === 'number'
      ? formatDurationMs(value)
      : Array.isArray(value)
        ? value.join(',')
        : String(value)
  return text === '' ? '(empty)' : `\`${text}\``
}
