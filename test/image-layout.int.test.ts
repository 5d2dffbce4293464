// The image runs every command from the files the Dockerfile puts in it, and nothing else. No
// Docker engine runs here, so the final stage is laid out by reading the Dockerfile: its COPY lines
// (from the build context, or the build stage's /app, which is this checkout with the dashboard
// built), its `npm ci --omit=dev`, its ENV, WORKDIR and ENTRYPOINT. The CLI then runs from that
// folder: --help, config, and `start --no-produce` until /readyz answers.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commands } from '../src/cli/commands/index.ts'
import { waitFor } from '../src/pipelines/etl-test-kit.ts'
import { parseCopy, parseEnv, readDockerfile } from './support/dockerfile.ts'
import { onEmbeddedDefaults } from './support/embedded-env.ts'
import { freePort } from './support/free-port.ts'
import { ensureDashboardBuilt, ROOT } from './web/dashboard-test-kit.ts'

let folder: string
let app: string
const imageEnv: Record<string, string> = {}
let entrypoint: string[] = []
/** the final stage's WORKDIR, in `app` */
let workdir = ''

/** Lays out the final stage's files in `app`; keeps its ENV, WORKDIR and ENTRYPOINT. */
function layOutImage(): void {
  const stages = readDockerfile(join(ROOT, 'Dockerfile'))
  const final = stages.at(-1)!
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
  let current = '/'
  const inImage = (path: string) => join(app, posix.resolve(current, path))
  for (const { keyword, args } of final.instructions) {
    switch (keyword) {
      case 'WORKDIR':
        current = posix.resolve(current, args)
        mkdirSync(inImage('.'), { recursive: true })
        break
      case 'ENV':
        Object.assign(imageEnv, parseEnv(args))
        break
      case 'COPY': {
        const copy = parseCopy(args)
        for (const source of copy.sources) {
          const from = copy.from === undefined ? join(ROOT, source) : fromStage(copy.from, source)
          const to = copy.destination.endsWith('/')
            ? join(inImage(copy.destination), posix.basename(source))
            : inImage(copy.destination)
          // .dockerignore applies to the build context only
          const filter =
            copy.from === undefined
              ? (path: string) => !ignored.some((pattern) => relative(ROOT, path) === pattern)
              : undefined
          cpSync(from, to, { recursive: true, filter })
        }
        break
      }
      case 'RUN':
        for (const step of args.split('&&').map((s) => s.trim())) {
          if (/^npm ci( |$)/.test(step)) {
            // the packages come from npm's cache when it has them; the same lockfile, the same tree
            execFileSync('npm', [...step.split(/\s+/).slice(1), '--prefer-offline'], {
              cwd: inImage('.'),
              env: { ...process.env, ...imageEnv },
              stdio: ['ignore', 'ignore', 'pipe'],
            })
          } else if (step !== 'npm cache clean --force') {
            // the cache is the image's business, and cleaning this machine's would slow every install
            throw new Error(`Dockerfile: RUN ${step}: this test does not know how to lay that out`)
          }
        }
        break
      case 'USER':
      case 'CMD':
        break
      case 'ENTRYPOINT':
        entrypoint = JSON.parse(args) as string[]
        break
      default:
        throw new Error(
          `Dockerfile: ${keyword} in the final stage: this test does not know how to lay that out`,
        )
    }
  }
  workdir = inImage('.')

  // the build stage is this checkout: `COPY . .` into its WORKDIR, then `npm run build`
  function fromStage(name: string, source: string): string {
    const stage = stages.find((s) => s.name === name)
    const stageWorkdir = stage?.instructions.findLast((i) => i.keyword === 'WORKDIR')?.args
    const copiesAll = stage?.instructions.some((i) => i.keyword === 'COPY' && i.args === '. .')
    if (!stageWorkdir || !copiesAll || !source.startsWith(`${stageWorkdir}/`)) {
      throw new Error(`Dockerfile: COPY --from=${name} ${source}: not a copy of the checkout`)
    }
    const path = join(ROOT, source.slice(stageWorkdir.length + 1))
    if (!existsSync(path)) throw new Error(`${path} is missing: the build stage makes it`)
    return path
  }
}

function cli(args: string[], extraEnv: Record<string, string> = {}) {
  const [program, ...rest] = entrypoint
  // the image's `node` is Node 24, as this one
  expect(program).toBe('node')
  return { command: process.execPath, args: [...rest, ...args], env: environment(extraEnv) }
}

function environment(extra: Record<string, string>): Record<string, string | undefined> {
  const env = onEmbeddedDefaults({ ...process.env, ...imageEnv, LOG_LEVEL: 'warn', ...extra })
  env['DATA_DIR'] = join(folder, 'data')
  return env
}

function run(args: string[]) {
  const { command, args: argv, env } = cli(args)
  return spawnSync(command, argv, { cwd: workdir, env, encoding: 'utf8', timeout: 60_000 })
}

beforeAll(async () => {
  await ensureDashboardBuilt()
  folder = mkdtempSync(join(tmpdir(), 'streamwatch-image-'))
  app = join(folder, 'root')
  layOutImage()
})
afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true })
})

describe('the image file layout (Dockerfile, final stage)', () => {
  it('carries the sources, the built dashboard and the production dependencies only', () => {
    expect(existsSync(join(workdir, 'src', 'cli', 'main.ts'))).toBe(true)
    expect(existsSync(join(workdir, 'web', 'dist', 'index.html'))).toBe(true)
    expect(existsSync(join(workdir, 'node_modules', 'fastify'))).toBe(true)
    // no benchmark, no dev dependency, no dashboard sources: what a command must not need
    expect(existsSync(join(workdir, 'bench'))).toBe(false)
    expect(existsSync(join(workdir, 'node_modules', 'vite'))).toBe(false)
    expect(existsSync(join(workdir, 'web', 'src'))).toBe(false)
  })

  it('runs --help (which loads every command module) and config', () => {
    const help = run(['--help'])
    expect(help.stderr).toBe('')
    expect(help.status).toBe(0)
    for (const command of commands) expect(help.stdout).toContain(`  ${command.name} `)
    expect(run(['bench', '--help']).status).toBe(0)
    const config = run(['config'])
    expect(config.status, config.stderr).toBe(0)
    expect(config.stdout).toContain('API_PORT')
  })

  it('says in one line that the benchmark runs from a checkout', () => {
    const bench = run(['bench', '--quick'])
    expect(bench.status).toBe(1)
    // a line for the user, beside the error's log line
    expect(bench.stderr.split('\n')).toContain(
      'streamwatch bench: the benchmark runs from a checkout: bench/ is not here',
    )
  })

  it('starts (no mock data) until /readyz answers, serves the dashboard it carries, and stops on SIGINT', async () => {
    const port = await freePort()
    const { command, args, env } = cli(['start', '--no-produce'], { API_PORT: String(port) })
    const child: ChildProcess = spawn(command, args, {
      cwd: workdir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const url = `http://127.0.0.1:${port}`
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`start exited ${child.exitCode}:\n${output}`)
          return (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200
        },
        90_000,
        '/readyz to answer 200',
      )
      const page = await fetch(`${url}/`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<div id="root">')
      expect(output).toContain(`dashboard and API: ${url}`)
      // the image has no dashboard sources and no vite: it serves what it carries, never builds
      expect(output).not.toContain('building the dashboard')
    } finally {
      child.kill('SIGINT')
    }
    expect(await exited, output).toBe(0)
  })
})
