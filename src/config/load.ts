// Reads settings from an optional file (CONFIG_FILE: JSON or YAML, same names as the env vars) and
// the environment (which wins), validates them all, and reports every problem, one line each.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import YAML from 'yaml'
import { StreamwatchError } from '../errors.ts'
import { SECRET_SETTINGS, type SettingName, type Settings, settingsSchema } from './schema.ts'

export type Config = Settings & {
  /** LAKE_URL with its default applied */
  lakeUrl: string
  /** PUBLIC_URL with its default applied, without a trailing slash */
  publicUrl: string
}

type Env = Record<string, string | undefined>

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = []
  const fromFile = readConfigFile(env['CONFIG_FILE'], problems)
  const names = Object.keys(settingsSchema.shape) as SettingName[]
  const input: Record<string, unknown> = {}
  for (const name of names) {
    const value = env[name] ?? fromFile[name]
    if (value !== undefined && value !== '') input[name] = value
  }
  for (const name of Object.keys(fromFile)) {
    if (!names.includes(name as SettingName)) problems.push(`config: ${name} in CONFIG_FILE is not a setting`)
  }
  const parsed = settingsSchema.safeParse(input)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '')
      problems.push(`config: ${name}=${JSON.stringify(input[name])}: ${issue.message}`)
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw new StreamwatchError('config_invalid', problems.join('\n'))
  }
  const settings = parsed.data
  const lakeUrl = settings.LAKE_URL ?? `file://${resolve(settings.DATA_DIR, 'lake')}`
  const publicUrl = (
    settings.PUBLIC_URL ?? `http://${hostForUrl(settings.API_HOST)}:${settings.API_PORT}`
  ).replace(/\/+$/, '')
  return { ...settings, lakeUrl, publicUrl }
}

function readConfigFile(path: string | undefined, problems: string[]): Record<string, unknown> {
  if (!path) return {}
  try {
    const text = readFileSync(path, 'utf8')
    const value: unknown = path.endsWith('.json') ? JSON.parse(text) : YAML.parse(text)
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(
        `config: CONFIG_FILE=${JSON.stringify(path)}: expected a mapping of setting names to values`,
      )
      return {}
    }
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        typeof v === 'number' || typeof v === 'boolean' ? String(v) : v,
      ]),
    )
  } catch (error) {
    problems.push(`config: CONFIG_FILE=${JSON.stringify(path)}: ${(error as Error).message.split('\n')[0]}`)
    return {}
  }
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

/** The effective config for people: secrets masked, userinfo in URLs masked. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(config)) {
    if (value === undefined) continue
    if (SECRET_SETTINGS.includes(name as SettingName)) out[name] = '********'
    else if (typeof value === 'string' && /^[a-z]+:\/\/[^/@]*:[^/@]*@/.test(value))
      out[name] = value.replace(/\/\/([^/:@]*):[^/@]*@/, '//$1:********@')
    else out[name] = value
  }
  return out
}
