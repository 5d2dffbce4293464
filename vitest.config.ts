import { defineConfig } from 'vitest/config'

// Unit tests (*.test.ts) run in parallel; tests against real services (*.int.test.ts) share the
// broker and the database, so files run one at a time in a single fork.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ['default'],
  },
})
