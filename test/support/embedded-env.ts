// A child's environment on the platform's embedded defaults: the settings a developer's shell may
// hold that would take `streamwatch start` off them (onto Kafka, PostgreSQL, S3, Slack, a token).
const PLATFORM_SETTINGS = [
  'KAFKA_BROKERS',
  'DATABASE_URL',
  'LAKE_URL',
  'SLACK_WEBHOOK_URL',
  'API_TOKEN',
  'DATA_DIR',
  'CONFIG_FILE',
]

/** `env` without the settings above (a copy). */
export function onEmbeddedDefaults(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const copy = { ...env }
  for (const name of PLATFORM_SETTINGS) delete copy[name]
  return copy
}
