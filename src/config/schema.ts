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

/** One silence of ALERT_SILENCES; its id (recorded in anomalies.silenced_by) is `config:<rule|*>/<key|*>`. */
const silenceEntry = z
  .object(
    {
      rule: z.string().trim().min(1, 'expected a rule name').optional(),
      key: z.string().min(1, 'expected a key').optional(),
      expires: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 time'),
      comment: z.string().trim().min(1, 'expected a comment: why it is silenced'),
      createdBy: z.string().trim().min(1).optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (expected rule, key, expires, comment, createdBy)`
          : 'expected an object',
    },
  )
  .strict()
  .refine((s) => s.rule !== undefined || s.key !== undefined, 'expected a rule, a key, or both')
  .transform((s) => ({
    id: `config:${s.rule ?? '*'}/${s.key ?? '*'}`,
    rule: s.rule ?? null,
    key: s.key ?? null,
    expiresAtMs: Date.parse(s.expires),
    comment: s.comment,
    createdBy: s.createdBy ?? 'config',
  }))

const silences = z
  .union([z.string(), z.array(z.unknown())])
  .optional()
  .transform((value, ctx) => {
    let list: unknown = value ?? []
    if (typeof value === 'string') {
      try {
        list = value.trim() ? JSON.parse(value) : []
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON list of silences' })
        return z.NEVER
      }
    }
    const parsed = z.array(silenceEntry, { error: 'expected a list of silences' }).safeParse(list)
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const where =
          issue.path.length > 0
            ? `silence ${Number(issue.path[0]) + 1}${issue.path.length > 1 ? ` ${issue.path.slice(1).join('.')}` : ''}: `
            : ''
        ctx.addIssue({ code: 'custom', message: `${where}${issue.message}` })
      }
      return z.NEVER
    }
    return parsed.data
  })

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
  METRICS_HOST: z
    .string()
    .default('127.0.0.1')
    .describe('Address the etl, lake-sink and alerter processes serve /metrics and /healthz on.'),
  METRICS_PORT: port
    .optional()
    .describe(
      'Port of /metrics (Prometheus) and /healthz for etl, lake-sink and alerter. Unset: not served (api and start serve /metrics on API_PORT).',
    ),
  API_HOST: z.string().default('127.0.0.1').describe('Address the API and dashboard listen on.'),
  API_PORT: port.default(8080).describe('Port the API and dashboard listen on.'),
  API_TOKEN: optionalText.describe(
    'Bearer token required by the API (all but /healthz). Required off loopback.',
  ),
  PUBLIC_URL: optionalText
    .pipe(url(['https:', 'http:'], 'https://streamwatch.example.com').optional())
    .describe('Base URL of the dashboard, for links in Slack. Default: http://API_HOST:API_PORT.'),
  API_CORS_ORIGINS: z
    .string()
    .optional()
    .transform((s) =>
      (s ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .refine(
      (list) => list.every((o) => /^https?:\/\/[^/\s]+$/.test(o)),
      'expected origins like https://dash.example.com, comma-separated',
    )
    .describe('Origins allowed to call the API from a browser (CORS), comma-separated. Unset: none.'),
  API_RATE_LIMIT: z.coerce
    .number({ error: 'expected a whole number of requests, 0 or more' })
    .int('expected a whole number of requests, 0 or more')
    .min(0, 'expected a whole number of requests, 0 or more')
    .default(1200)
    .describe('Requests per minute per client address the API answers; 0: no limit.'),
  API_STATEMENT_TIMEOUT: duration
    .default(10_000)
    .describe('Longest an API query may run in PostgreSQL before it is cancelled (503 to the client).'),
  API_MAX_INGEST_BYTES: positiveInt('a size in bytes')
    .default(10 * 1024 * 1024)
    .describe('Largest body POST /api/ingest/* accepts, counted after decompression.'),
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
    .default(1_000)
    .describe(
      'How far behind the newest event time of its own key (service, user) an event may arrive and still count for detection; also how long detection waits for stragglers. Later events are stored, not detected (metric streamwatch_late_events_total{topic,rule}).',
    ),
  ALERT_GROUP_INTERVAL: duration
    .default(5_000)
    .describe(
      'Anomalies of one rule that arrive within this interval of the first are sent as one Slack digest.',
    ),
  ALERT_LEASE: duration
    .default(30_000)
    .refine((ms) => ms >= 3_000, 'expected a duration of at least 3s')
    .describe(
      'How long an alerter holds a claimed anomaly without renewing it. When an alerter dies, another sends its anomalies after this long (the message in flight at the death may then arrive twice).',
    ),
  ALERT_SILENCES: silences.describe(
    'Silences from the config, as a JSON (or YAML, in CONFIG_FILE) list of {"rule"?, "key"?, "expires": ISO time, "comment"}: matching anomalies are marked silenced, not sent. Silences in the database (API) apply too.',
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
