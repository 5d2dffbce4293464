// The README's HTTP examples, run as a reader runs them: the shell blocks that call `curl`, taken
// from README.md and docs/api.md as they are written, run by bash with the real curl against
// `streamwatch start` on embedded defaults in an empty folder. Only the address changes: the
// examples name the default http://127.0.0.1:8080, the test's platform listens on a free port.
// A block that sends events documents its answer in a trailing `# {...}` comment, which must be
// what the API answers; a block that reads must, within a few seconds, list what was sent.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../src/pipelines/etl-test-kit.ts'
import { onEmbeddedDefaults } from './support/embedded-env.ts'
import { freePort } from './support/free-port.ts'

const ROOT = join(import.meta.dirname, '..')
const DOCUMENTED_ORIGIN = 'http://127.0.0.1:8080'
const DOCUMENTS = ['README.md', 'docs/api.md']
const PAGING = new Set(['limit', 'cursor', 'from', 'to'])

const run = promisify(execFile)

interface Example {
  document: string
  /** 1-based line of the block's opening fence */
  line: number
  script: string
}

/** The ```sh blocks of a Markdown text that call curl, in order. */
function curlBlocks(document: string, markdown: string): Example[] {
  const examples: Example[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i]!)) continue
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!)
    const script = body.join('\n')
    if (/\bcurl\b/.test(script)) examples.push({ document, line: start + 1, script })
  }
  return examples
}

/** The answer a block documents: its trailing `# {...}` comment lines, parsed. */
function documentedAnswer(script: string): unknown {
  const comment = /\n# (\{.*\})\s*$/.exec(script)?.[1]
  return comment === undefined ? undefined : JSON.parse(comment)
}

let folder: string
let origin: string
let platform: ChildProcess
let platformLog = ''

async function runExample(example: Example): Promise<string> {
  expect(example.script, `${example.document}:${example.line} names the default address`).toContain(
    DOCUMENTED_ORIGIN,
  )
  const env = onEmbeddedDefaults(process.env)
  const { stdout } = await run(
    'bash',
    ['-e', '-o', 'pipefail', '-c', example.script.replaceAll(DOCUMENTED_ORIGIN, origin)],
    {
      cwd: folder,
      env,
      timeout: 30_000,
    },
  )
  return stdout
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'streamwatch-readme-'))
  const port = await freePort()
  origin = `http://127.0.0.1:${port}`
  const env = onEmbeddedDefaults({ ...process.env, API_PORT: String(port), LOG_LEVEL: 'warn' })
  // `npm start` as the README says: the whole platform, mock producer included
  platform = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'start'], {
    cwd: folder,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  platform.stdout?.on('data', (chunk: Buffer) => {
    platformLog += chunk.toString()
  })
  platform.stderr?.on('data', (chunk: Buffer) => {
    platformLog += chunk.toString()
  })
  await waitFor(
    async () => {
      if (platform.exitCode !== null) throw new Error(`streamwatch start exited:\n${platformLog}`)
      return fetch(`${origin}/healthz`).then(
        (response) => response.ok,
        () => false,
      )
    },
    170_000,
    'streamwatch start to answer /healthz',
  )
})

afterAll(async () => {
  if (platform && platform.exitCode === null) {
    const exited = new Promise((resolve) => platform.once('exit', resolve))
    platform.kill('SIGINT')
    await exited
  }
  if (folder) await rm(folder, { recursive: true, force: true })
})

describe('the README examples, run against streamwatch start', () => {
  it('README.md shows events sent, stored and an anomaly opened, and every step works as written', async () => {
    const examples = curlBlocks('README.md', await readFile(join(ROOT, 'README.md'), 'utf8'))
    const sends = examples.filter((e) => e.script.includes('/api/ingest/'))
    expect(sends.length, 'README.md has ingest examples').toBeGreaterThanOrEqual(1)
    expect(examples.length, 'README.md reads back what it sent').toBeGreaterThan(sends.length)
    let sentMessage: string | undefined
    for (const example of examples) {
      const where = `${example.document}:${example.line}`
      if (example.script.includes('/api/ingest/')) {
        const answer = documentedAnswer(example.script)
        expect(answer, `${where} documents its answer in a trailing # {...} line`).toBeDefined()
        expect(JSON.parse(await runExample(example)), where).toEqual(answer)
        sentMessage = /"message":"([^"]*)"/.exec(example.script)?.[1] ?? sentMessage
        continue
      }
      // a read: the query's filters name what was sent; it shows within a few seconds
      const query = new URL(/'(http:[^']+)'/.exec(example.script)?.[1] ?? 'http://x/').searchParams
      expect([...query.keys()].length, `${where} reads with filters`).toBeGreaterThan(0)
      let items: Array<Record<string, unknown>> = []
      await waitFor(
        async () => {
          items = (JSON.parse(await runExample(example)) as { items: Array<Record<string, unknown>> }).items
          return items.length > 0
        },
        30_000,
        `${where} to list what was sent`,
      )
      for (const item of items) {
        for (const [name, value] of query) {
          if (!PAGING.has(name)) expect(item[name], `${where}: ${name}`).toBe(value)
        }
      }
      if (query.has('service')) expect(items.map((item) => item['message'])).toContain(sentMessage)
    }
  })

  it('docs/api.md ingest example is accepted as documented', async () => {
    const examples = curlBlocks('docs/api.md', await readFile(join(ROOT, 'docs/api.md'), 'utf8'))
    expect(examples.length).toBeGreaterThanOrEqual(1)
    for (const example of examples) {
      const answer = documentedAnswer(example.script)
      expect(answer, `${example.document}:${example.line} documents its answer`).toBeDefined()
      expect(JSON.parse(await runExample(example)), `${example.document}:${example.line}`).toEqual(answer)
    }
  })
})

describe.each(DOCUMENTS)('%s', (document) => {
  it('has no fixed timestamp in a curl example (a date in the past is rejected once it is 7 days old)', async () => {
    for (const example of curlBlocks(document, await readFile(join(ROOT, document), 'utf8'))) {
      expect(example.script, `${document}:${example.line}`).not.toMatch(/"timestamp":"\d{4}-/)
    }
  })
})
