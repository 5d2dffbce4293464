// Prints the functions with the most self time in a V8 .cpuprofile (node --cpu-prof), by run by hand:
//   node bench/cpu-profile-summary.ts <file.cpuprofile> [top=30]
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
const [file, topText] = process.argv.slice(2)
if (!file) throw new Error('usage: cpu-profile-summary.ts <file.cpuprofile> [top]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] }
const hits = new Map<number, number>()
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1)
const byFunction = new Map<string, number>()
for (const node of profile.nodes) {
  const { functionName, url, lineNumber } = node.callFrame
  const where = url.replace(/^.*\/(node_modules\/|src\/)/, '$1')
  const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`
  byFunction.set(key, (byFunction.get(key) ?? 0) + (hits.get(node.id) ?? 0))
}
const total = profile.samples.length
const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(topText ?? 30))
for (const [key, n] of top) console.log(`${((100 * n) / total).toFixed(1).padStart(5)}%  ${key}`)
