// The cleaning core: raw record bytes -> Event | Rejection. See clean-record.ts for the rules and
// the table of rejection reasons.
export { type CleanPolicy, createCleanPolicy, DEFAULT_CLEAN_POLICY } from './clean-policy.ts'
export { type CleanInput, cleanRecord, cleanRecords, type EventOf } from './clean-record.ts'
export { VERDICT_HEADER, VERDICT_MESSAGE_HEADER, verdictHeaders, verdictOf } from './ingest-verdict.ts'
export { parseTimestampMs } from './parse-timestamp.ts'
