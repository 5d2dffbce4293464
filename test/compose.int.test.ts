// compose.yaml cannot run here (no Docker engine), so it is validated: the Compose tool parses it,
// checks it against the Compose schema, and resolves anchors, profiles and dependencies.
// `docker compose` (the plugin) is used when present, else `docker-compose` (Debian's package).
import { execFileSync, spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import YAML from 'yaml'

function composeConfig(args: string[]): string {
  const plugin = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' })
  const [command, base] = plugin.status === 0 ? ['docker', ['compose']] : ['docker-compose', []]
  return execFileSync(command, [...base, '-f', 'compose.yaml', ...args], { encoding: 'utf8' })
}

describe('compose.yaml', () => {
  it('is a valid Compose file that runs every part on Kafka, PostgreSQL and S3', () => {
    const resolved = YAML.parse(composeConfig(['--profile', 'demo', 'config']))
    const services = resolved.services as Record<
      string,
      { command?: string[]; environment?: Record<string, string>; healthcheck?: { test?: string[] } }
    >
    for (const part of ['etl', 'lake-sink', 'alerter', 'api', 'migrate', 'produce']) {
      expect(services[part]?.environment?.['KAFKA_BROKERS']).toBe('kafka:9092')
      expect(services[part]?.environment?.['DATABASE_URL']).toMatch(/^postgres:\/\/.*@postgres:5432\//)
      expect(services[part]?.environment?.['LAKE_URL']).toBe('s3://streamwatch/lake')
    }
    expect(services['etl']?.command).toEqual(['etl'])
    for (const worker of ['etl', 'lake-sink', 'alerter']) {
      // scraped by Prometheus and probed by the healthcheck on the port the environment gives
      expect(services[worker]?.environment?.['METRICS_PORT']).toBe('9464')
      expect(services[worker]?.healthcheck?.test?.join(' ')).toContain(':9464/healthz')
    }
    expect(services['api']?.environment?.['API_TOKEN']).toBeTruthy()
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['kafka', 'postgres', 's3']))
  })
})
