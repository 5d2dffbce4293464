// The PostgreSQL adapter: one Database over pg or PGlite, its migrations, and the stores built on
// it. Tests use test-database.ts directly.
export {
  createDatabase,
  type Database,
  type DatabaseKind,
  type DatabaseOptions,
  type Queryable,
  type QueryResult,
} from './database.ts'
export {
  ANOMALIES_CHANNEL,
  type AnomalyInput,
  type CommitResult,
  createEtlStore,
  type DetectorStateWrite,
  type EtlBatch,
  type EtlStore,
  type OffsetAdvance,
  type PartitionState,
} from './etl-store.ts'
export { loadMigrations, type MigrateOptions, type Migration, migrate } from './migrate.ts'
export { translateDbError } from './translate-db-error.ts'
