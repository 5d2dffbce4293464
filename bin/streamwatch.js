#!/usr/bin/env node
// `streamwatch`, `npm start`: the sources are TypeScript, which Node.js runs from version 24 on.
// npm scripts and npx find the Node 24 that `npm ci` installs (the `node` dev dependency) first on
// PATH; where that did not happen, an older node lands here and is told in one line what to do,
// instead of failing on the first `.ts` import. Plain JavaScript that any node can parse.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const needed = 24
const running = process.versions.node
if (Number(running.split('.')[0]) >= needed) {
  await import('../src/cli/main.ts')
} else {
  const inModules = (path) =>
    existsSync(fileURLToPath(new URL(`../node_modules/node/${path}`, import.meta.url)))
  const remedy = inModules('bin/node')
    ? 'run it through npm (`npm start`, `npx streamwatch <command>`), which puts the Node 24 of node_modules first on PATH'
    : inModules('package.json')
      ? '`npm rebuild node` installs it (its install script did not run: --ignore-scripts?), or `source scripts/use-node24.sh` puts it first on PATH'
      : '`npm ci` installs it into node_modules (with the dev dependencies), or `source scripts/use-node24.sh` puts it first on PATH'
  process.stderr.write(`streamwatch needs Node.js ${needed} or later (this is ${running}): ${remedy}\n`)
  process.exitCode = 1
}
