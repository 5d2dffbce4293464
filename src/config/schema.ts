// Every setting, in one schema: its name (the env var), its type, its default and what it means.
// The README's configuration table is generated from the descriptions here (`streamwatch config --markdown`).
import { z } from 'zod'
import { parseDurationMs } from './durations.ts'

const port = z.coerce
  .number({ error: 'expected a port number 1..65535' })
  .int('expected a port number 1..65535')
  .min(1, 'expected a port number 1..65535')
  .max(65535, 'expected a port number 1..65535')

const positiveInt = (what: string) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .int(`expected ${what}`)
    .positive(`expected ${what}`)

const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : parseDurationMs(value)
  if (ms === undefined || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration such as 500ms, 30s, 5m, 2h or 7d' })
    return z.NEVER
  }
  return ms
})

const optionalText = z
  .string()
  .transform((s) => s.trim())
  .optional()
  .transform((s) => (s ? s : undefined))

const url = (protocols: string[], example: string) =>
  z
    .string()
    .trim()
    .refine((s) => {
      try {
        return protocols.includes(new URL(s).protocol)
      } catch {
        return false
      }
    }, `expected a URL like ${example}`)

const boolean = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes')

export const settingsSchema = z.object({
  KAFKA_BROKERS: z
    .string()
    .optional()
    .transform((s) =>
      s
        ?.split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .refine(
      (list) => !list || list.every((b) => /^[^\s:/]+:\d{1,5}$/.test(b)),
      'expected host:port[,host:port...]',
    )
    .describe('Kafka bootstrap servers, comma-separated. Unset: the in-memory bus (one process only).'),
  KAFKA_CLIENT_ID: z.string().default('streamwatch').describe('Client id the Kafka clients present.'),
  KAFKA_PARTITIONS: positiveInt('a whole number of partitions, 1 or more')
    .default(6)
    .describe('Partitions of each topic created at start (existing topics are left as they are).'),
  KAFKA_REPLICATION_FACTOR: positiveInt('a replication factor, 1 or more')
    .default(1)
    .describe('Replication factor of topics created at start.'),
  TOPIC_PREFIX: z
    .string()
    .default('')
    .refine((s) => /^[A-Za-z0-9._-]*$/.test(s), 'expected letters, digits, ".", "_" or "-"')
    .describe('Prefix of every topic and consumer group name, e.g. "staging.".'),
  DATABASE_URL: optionalText
    .refine((s) => !s || /^postgres(ql)?:\/\//.test(s), 'expected postgres://user@host:port/database')
    .describe('PostgreSQL connection string. Unset: embedded PGlite in DATA_DIR.'),
  DATA_DIR: z
    .string()
    .default('./data')
    .describe('Where embedded state lives: PGlite, the file lake, bus offsets.'),
  LAKE_URL: optionalText
    .refine((s) => !s || /^(s3|file):\/\/./.test(s), 'expected s3://bucket/prefix or file://path')
    .describe(
      'Where raw events are archived: s3://bucket/prefix or file://path. Default: file://$DATA_DIR/lake.',
    ),
  S3_ENDPOINT: optionalText
    .refine((s) => !s || /^https?:\/\//.test(s), 'expected http(s)://host:port')
    .describe('S3-compatible endpoint; unset for AWS S3.'),
  S3_FORCE_PATH_STYLE: boolean
    .default(false)
    .describe('Path-style S3 addressing (most S3-compatible servers need it).'),
  AWS_REGION: z.string().default('us-east-1').describe('S3 region.'),
  AWS_ACCESS_KEY_ID: optionalText.describe('S3 credentials; unset: the AWS SDK default chain.'),
  AWS_SECRET_ACCESS_KEY: optionalText.describe('S3 credentials; secret, masked in `streamwatch config`.'),
  SLACK_WEBHOOK_URL: optionalText
    .pipe(url(['https:', 'http:'], 'https://hooks.slack.com/services/...').optional())
    .describe('Slack incoming webhook. Unset: notifications are logged only.'),
  RULES_FILE: optionalText.describe('Anomaly rules (YAML or JSON). Unset: the built-in rules.'),
  API_HOST: z.string().default('127.0.0.1').describe('Address the API and dashboard listen on.'),
  API_PORT: port.default(8080).describe('Port the API and dashboard listen on.'),
  API_TOKEN: optionalText.describe(
    'Bearer token required by the API (all but /healthz). Required off loopback.',
  ),
  PUBLIC_URL: optionalText
    .pipe(url(['https:', 'http:'], 'https://streamwatch.example.com').optional())
    .describe('Base URL of the dashboard, for links in Slack. Default: http://API_HOST:API_PORT.'),
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
      error: 'expected one of trace, debug, info, warn, error, fatal, silent',
    })
    .default('info')
    .describe('Log level of the structured (JSON) logs.'),
  MAX_MESSAGE_BYTES: positiveInt('a size in bytes')
    .default(256 * 1024)
    .describe('Larger messages are rejected to dead-letters as oversized.'),
  MAX_FUTURE_SKEW: duration
    .default(5 * 60_000)
    .describe('Events timestamped further ahead of now are rejected.'),
  MAX_EVENT_AGE: duration.default(7 * 86_400_000).describe('Events older than this are rejected.'),
  ALLOWED_LATENESS: duration
    .default(5_000)
    .describe(
      'How far behind the newest event time of its partition an event may arrive and still count for detection; also how long detection waits for stragglers. Later events are stored, not detected (metric streamwatch_late_events_total).',
    ),
})

export type Settings = z.infer<typeof settingsSchema>
export type SettingName = keyof Settings

/** Settings whose values `streamwatch config` masks. */
export const SECRET_SETTINGS: readonly SettingName[] = [
  'AWS_SECRET_ACCESS_KEY',
  'API_TOKEN',
  'SLACK_WEBHOOK_URL',
]
