// The README's tables say what the CLI does: its configuration table is the one
// `streamwatch config --markdown` prints (generated from src/config/schema.ts), and its command
// table lists the commands `streamwatch --help` lists. Both are read from the real command.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const README = readFileSync(join(ROOT, 'README.md'), 'utf8')

/** `streamwatch <args>` from this checkout, with no settings from the developer's shell. */
function streamwatch(...args: string[]): string {
  return execFileSync(process.execPath, [join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
    encoding: 'utf8',
  })
}

/** The rows of the first Markdown table under `heading` (header row left out), each as its trimmed cells. */
function tableUnder(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n${heading}\n`)
  expect(start, `README has "${heading}"`).toBeGreaterThanOrEqual(0)
  const next = markdown.indexOf('\n## ', start + heading.length + 2)
  const section = markdown.slice(start, next === -1 ? undefined : next)
  return tableRows(section.slice(section.indexOf('\n|')))
}

function tableRows(text: string): string[][] {
  const rows: string[][] = []
  for (const line of text.split('\n').slice(1)) {
    if (!line.startsWith('|')) break
    const cells = line
      .slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined)
      .split('|')
      .map((cell) => cell.trim())
    if (cells.every((cell) => /^:?-+:?$/.test(cell))) continue
    rows.push(cells)
  }
  return rows.slice(1)
}

describe("the README's tables", () => {
  it('the configuration table is what `streamwatch config --markdown` prints', () => {
    const printed = tableRows(`\n${streamwatch('config', '--markdown')}`)
    expect(printed.length).toBeGreaterThan(20)
    expect(tableUnder(README, '## Configuration')).toEqual(printed)
  })

  it('the command table lists the commands of `streamwatch --help`', () => {
    const help = streamwatch('--help')
    const listed = help
      .slice(help.indexOf('Commands:'))
      .split('\n')
      .slice(1)
      .filter((line) => /^ {2}\S/.test(line))
      .map((line) => line.trim().split(/\s+/)[0])
    expect(listed.length).toBeGreaterThan(5)
    const documented = tableUnder(README, '## Commands').map((cells) => cells[0]!.replaceAll('`', ''))
    expect([...documented].sort()).toEqual([...listed].sort())
  })
})
