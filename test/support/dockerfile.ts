// Reads the Dockerfile's stages, so a test can lay out the image's files as `docker build` would
// on a machine without a Docker engine.
import { readFileSync } from 'node:fs'

export interface Instruction {
  keyword: string
  /** the rest of the line, continuations joined */
  args: string
}

export interface Stage {
  name: string | undefined
  base: string
  instructions: Instruction[]
}

export function readDockerfile(path: string): Stage[] {
  const lines = readFileSync(path, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  const stages: Stage[] = []
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    if (keyword.toUpperCase() === 'FROM') {
      const [base = '', as, name] = args.split(/\s+/)
      stages.push({ base, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] })
    } else {
      const stage = stages.at(-1)
      if (!stage) throw new Error(`Dockerfile: ${keyword} before any FROM`)
      stage.instructions.push({ keyword: keyword.toUpperCase(), args })
    }
  }
  return stages
}

export interface Copy {
  /** the stage copied from; undefined for the build context */
  from: string | undefined
  sources: string[]
  destination: string
}

/** COPY [--from=<stage>] <src>... <dest> (the shell form; the JSON form is not used here). */
export function parseCopy(args: string): Copy {
  const words = args.split(/\s+/)
  let from: string | undefined
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!
    const match = /^--from=(.+)$/.exec(flag)
    if (!match) throw new Error(`Dockerfile: COPY ${flag} is not supported by this test`)
    from = match[1]
  }
  const destination = words.pop()
  if (!destination || words.length === 0)
    throw new Error(`Dockerfile: COPY ${args}: expected sources and a destination`)
  return { from, sources: words, destination }
}

/** ENV NAME=value ... (values without spaces or quotes, as this Dockerfile writes them). */
export function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const pair of args.split(/\s+/)) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new Error(`Dockerfile: ENV ${args}: expected NAME=value pairs`)
    env[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return env
}
