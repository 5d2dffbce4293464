// Every reference in the repository points at a file of the repository: whoever clones it can read
// what the code and docs cite. Checks the relative links of every Markdown file (and their
// #anchors), and every `*.md` file name mentioned in code, SQL, scripts, YAML and Markdown.
// "The repository" is what git carries: tracked files plus new ones not ignored, so a link to a
// file you have not added yet passes here but fails in CI's fresh clone only if you forget it.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, posix } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const SELF = 'test/repository-references.test.ts'

const MENTION_EXTENSIONS = ['.ts', '.tsx', '.sql', '.sh', '.yaml', '.yml', '.md']

function gitFiles(): string[] {
  const list = (args: string[]) =>
    execFileSync('git', ['ls-files', '-z', ...args], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((path) => path !== '')
  // a tracked file deleted in the working tree is gone for whoever reads it
  return [...new Set([...list([]), ...list(['--others', '--exclude-standard'])])].filter((path) =>
    existsSync(join(ROOT, path)),
  )
}

const FILES = gitFiles()
const FILE_SET = new Set(FILES)
const DIRECTORIES = new Set(FILES.flatMap((path) => ancestors(path)))
const BASENAMES = new Set(FILES.map((path) => posix.basename(path)))

function ancestors(path: string): string[] {
  const parts = path.split('/')
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'))
}

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8')
}

/** A repository path from `target` written in `fromFile`, or undefined when it leaves the repository. */
function resolveFrom(fromFile: string, target: string): string | undefined {
  const resolved = normalize(join(dirname(fromFile), target)).replaceAll('\\', '/')
  return resolved.startsWith('..') ? undefined : resolved.replace(/\/$/, '')
}

/** Markdown text without fenced code blocks and inline code: what a reader sees as prose. */
function proseOf(markdown: string): string {
  const lines: string[] = []
  let fence: string | undefined
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1]
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined
      lines.push('')
    } else {
      lines.push(fence === undefined ? line.replace(/`[^`\n]*`/g, '``') : '')
    }
  }
  return lines.join('\n')
}

/** The anchors GitHub makes of a Markdown file's headings (`## Identity: \`event_id\`` -> `identity-event_id`). */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  let fence: string | undefined
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1]
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined
      continue
    }
    if (fence !== undefined) continue
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1]
    if (heading === undefined) continue
    const slug = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return anchors
}

/** `[text](target)`, `![alt](target)` and reference definitions `[label]: target`, outside code. */
function linksOf(markdown: string): Array<{ line: number; target: string }> {
  const links: Array<{ line: number; target: string }> = []
  proseOf(markdown)
    .split('\n')
    .forEach((text, index) => {
      for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        links.push({ line: index + 1, target: match[1]! })
      }
      const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(text)
      if (definition) links.push({ line: index + 1, target: definition[1]! })
    })
  return links
}

/** File names ending in `.md` mentioned anywhere in `text`, outside URLs and templates (`${name}.md`, `0008-*.md`). */
function mentionsOf(text: string): Array<{ line: number; name: string }> {
  const mentions: Array<{ line: number; name: string }> = []
  text.split('\n').forEach((line, index) => {
    for (const match of line.matchAll(
      /(?<![\w./${}*:-])((?:\.{1,2}\/)*[\w-][\w.-]*(?:\/[\w.-]+)*\.md)(?![\w*-])/g,
    )) {
      mentions.push({ line: index + 1, name: match[1]! })
    }
  })
  return mentions
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')
}

function checkLink(file: string, target: string): string | undefined {
  if (isExternal(target)) return undefined
  const [rawPath = '', anchor] = target.split('#', 2)
  const path = decodeURIComponent(rawPath)
  const resolved = path === '' ? file : resolveFrom(file, path)
  if (resolved === undefined) return `${target}: leaves the repository`
  if (!FILE_SET.has(resolved) && !DIRECTORIES.has(resolved)) return `${target}: no file ${resolved}`
  if (anchor && resolved.endsWith('.md') && FILE_SET.has(resolved)) {
    if (!anchorsOf(read(resolved)).has(anchor)) return `${target}: no heading #${anchor} in ${resolved}`
  }
  return undefined
}

function mentionExists(file: string, name: string): boolean {
  if (!name.includes('/')) return BASENAMES.has(name)
  const fromFile = resolveFrom(file, name)
  const fromRoot = resolveFrom('', name)
  return [fromFile, fromRoot].some((path) => path !== undefined && FILE_SET.has(path))
}

describe('references to files of the repository', () => {
  it('finds the files to check', () => {
    expect(FILES).toContain('README.md')
    expect(FILES.filter((f) => f.endsWith('.md')).length).toBeGreaterThan(10)
  })

  it('every relative Markdown link (and #anchor) resolves', () => {
    const broken: string[] = []
    for (const file of FILES.filter((f) => f.endsWith('.md'))) {
      for (const { line, target } of linksOf(read(file))) {
        const problem = checkLink(file, target)
        if (problem) broken.push(`${file}:${line}: ${problem}`)
      }
    }
    expect(broken).toEqual([])
  })

  it('every *.md file named in code, SQL, scripts, YAML and docs is in the repository', () => {
    const missing: string[] = []
    const files = FILES.filter((f) => f !== SELF && MENTION_EXTENSIONS.some((ext) => f.endsWith(ext)))
    for (const file of files) {
      for (const { line, name } of mentionsOf(read(file))) {
        if (mentionExists(file, name)) continue
        missing.push(`${file}:${line}: ${name}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('recognises what it checks', () => {
    expect(mentionsOf('see GONE.md and docs/x.md, not https://h/y.md, {base}.md or 0008-*.md')).toEqual([
      { line: 1, name: 'GONE.md' },
      { line: 1, name: 'docs/x.md' },
    ])
    expect(
      linksOf('[a](b.md#c) `[x](not-a-link.md)`\n```\n[y](in-code.md)\n```\n[r]: ref.md').map(
        (l) => l.target,
      ),
    ).toEqual(['b.md#c', 'ref.md'])
    expect([
      ...anchorsOf('# The contract\n## Identity: `event_id`\n```\n# not a heading\n```\n## The contract'),
    ]).toEqual(['the-contract', 'identity-event_id', 'the-contract-1'])
  })
})
