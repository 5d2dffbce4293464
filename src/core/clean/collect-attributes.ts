// Fields a message carries beyond its schema are kept, as they came, in `attributes`.
import { fieldLabel, invalidValue, type Problem } from './problem.ts'

const NUL = '\u0000'

/**
 * The own fields of `object` that are not in `known`, in a new plain object. A `__proto__` key
 * (JSON.parse makes it an ordinary own property) is copied as an own property too, never through
 * the `__proto__` setter, so no prototype is changed. Values are shared with `object`, not copied.
 *
 * Rejects (`invalid_value`) a value nested deeper than `maxDepth`, and U+0000 in any string or key,
 * both of which would later fail in the writers (stack overflow in JSON.stringify; PostgreSQL jsonb).
 */
export function collectAttributes(
  object: Record<string, unknown>,
  known: ReadonlySet<string>,
  maxDepth: number,
): Record<string, unknown> | Problem {
  const attributes: Record<string, unknown> = {}
  for (const key in object) {
    if (known.has(key) || !Object.hasOwn(object, key)) continue
    const value = object[key]
    if (key.includes(NUL)) return invalidValue('attributes', 'a field name contains U+0000')
    if (typeof value === 'object' && value !== null) {
      const problem = checkNested(key, value, maxDepth)
      if (problem !== undefined) return problem
    } else if (typeof value === 'string' && value.includes(NUL)) {
      return invalidValue(fieldLabel(key), 'contains U+0000, which PostgreSQL cannot store')
    }
    if (key === '__proto__') {
      Object.defineProperty(attributes, key, { value, enumerable: true, writable: true, configurable: true })
    } else {
      attributes[key] = value
    }
  }
  return attributes
}

/** Walks a parsed JSON value without recursion: nesting is bounded only by the message size. */
function checkNested(key: string, root: object, maxDepth: number): Problem | undefined {
  const values: unknown[] = [root]
  const depths: number[] = [1]
  while (values.length > 0) {
    const value = values.pop()
    const depth = depths.pop()!
    if (typeof value === 'string') {
      if (value.includes(NUL))
        return invalidValue(fieldLabel(key), 'contains U+0000, which PostgreSQL cannot store')
      continue
    }
    if (typeof value !== 'object' || value === null) continue
    if (depth > maxDepth) return invalidValue(fieldLabel(key), `is nested deeper than ${maxDepth} levels`)
    if (Array.isArray(value)) {
      for (const item of value) {
        values.push(item)
        depths.push(depth + 1)
      }
    } else {
      for (const [childKey, child] of Object.entries(value)) {
        if (childKey.includes(NUL)) return invalidValue(fieldLabel(key), 'a field name contains U+0000')
        values.push(child)
        depths.push(depth + 1)
      }
    }
  }
  return undefined
}
