import { defineConfig } from 'vitest/config'

// Three projects: `unit` (pure cores, plain values, files in parallel), `int` (real Kafka,
// PostgreSQL, the S3 server and chromium; started by test/global-setup.ts when not running; files
// one at a time, as they share the broker and the database) and `faults` (test/faults: crashes,
// outages and bad input under load, `npm run test:faults`; FAULTS_MODE=bounded|full; it writes
// docs/reliability.md at the end).
// `npx vitest run --project unit` runs the fast half alone.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.fault.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'int',
          include: ['src/**/*.int.test.ts', 'test/**/*.int.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.fault.test.ts'],
          globalSetup: ['test/global-setup.ts', 'test/faults/report-setup.ts'],
          fileParallelism: false,
          pool: 'forks',
          testTimeout: 1_200_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
})
