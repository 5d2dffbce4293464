// GET /api/stats and GET /api/timeseries: the dashboard's overview and charts.
import { z } from 'zod'
import { readStats, readTimeseries } from '../../adapters/postgres/queries/index.ts'
import { statsSchema, TIMESERIES_SERIES, timeseriesSchema } from '../../contracts/api.ts'
import type { ApiContext, ApiInstance } from '../api-context.ts'
import { badRequest } from '../api-error.ts'
import { chooseBucketMs, countBuckets, MAX_BUCKETS } from '../choose-bucket.ts'
import { enumParam, NAME, timeParam } from '../params.ts'
import { formatMs, parseDurationParam, resolveRange } from '../time-range.ts'
import { COMMON_ERRORS } from './responses.ts'

const HOUR_MS = 3_600_000
const MIN_BUCKET_MS = 1_000

export function registerStatsRoutes(app: ApiInstance, ctx: ApiContext): void {
  const range = {
    from: timeParam('start of the range, inclusive (default -1h)').optional(),
    to: timeParam('end of the range, exclusive (default now)').optional(),
  }
  const resolve = (input: { from?: string | undefined; to?: string | undefined }) => {
    const nowMs = ctx.now()
    const { fromMs, toMs } = resolveRange(input, {
      nowMs,
      defaultLookbackMs: HOUR_MS,
      maxRangeMs: ctx.limits.maxRangeMs,
      toDefaultsToNow: true,
    })
    return { fromMs, toMs: toMs ?? nowMs, nowMs }
  }

  app.get(
    '/api/stats',
    {
      schema: {
        tags: ['statistics'],
        summary: 'Events, rates, errors, anomalies, dead letters and pipeline position for a range',
        querystring: z.strictObject(range),
        response: { 200: statsSchema, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const stats = await readStats(ctx.db, resolve(request.query))
      const lag = await readLag(ctx, request.log)
      for (const group of stats.pipeline) group.lag_records = lag?.get(group.group) ?? null
      return stats
    },
  )

  app.get(
    '/api/timeseries',
    {
      schema: {
        tags: ['statistics'],
        summary: 'A series bucketed over time',
        description:
          'events: stored events (logs, metrics, transactions); errors: logs at ERROR or FATAL; cpu, ' +
          'latency: metric readings (count, avg, p95, max); amount: transaction amounts (count, avg, ' +
          'p95, max); anomalies: episodes opened. `service` narrows logs and metrics (for anomalies: ' +
          'the key). Without `bucket`, one is chosen for about 240 points.',
        querystring: z.strictObject({
          series: enumParam(TIMESERIES_SERIES, 'what to count or measure'),
          service: NAME.describe('only this service').optional(),
          bucket: z.string().max(16).describe('bucket size, e.g. 10s, 1m, 5m, 1h (at least 1s)').optional(),
          ...range,
        }),
        response: { 200: timeseriesSchema, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { series, service, bucket } = request.query
      if (series === 'amount' && service !== undefined) {
        throw badRequest('service: transactions have no service; leave it out for series=amount')
      }
      const { fromMs, toMs } = resolve(request.query)
      let bucketMs = chooseBucketMs(toMs - fromMs)
      if (bucket !== undefined) {
        const ms = parseDurationParam(bucket)
        if (ms === undefined || ms < MIN_BUCKET_MS) {
          throw badRequest('bucket: expected a duration of at least 1s, like 10s, 1m, 5m or 1h')
        }
        bucketMs = ms
      }
      const buckets = countBuckets(fromMs, toMs, bucketMs)
      if (buckets > MAX_BUCKETS) {
        throw badRequest(
          `bucket: ${formatMs(bucketMs)} over ${formatMs(toMs - fromMs)} gives ${buckets} buckets, at most ${MAX_BUCKETS}`,
        )
      }
      const points = await readTimeseries(ctx.db, {
        series,
        service: service ?? null,
        fromMs,
        toMs,
        bucketMs,
      })
      return {
        series,
        service: service ?? null,
        bucket_ms: bucketMs,
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        points,
      }
    },
  )
}

/** Records behind per consumer group, when the process can tell; undefined when it cannot. */
async function readLag(
  ctx: ApiContext,
  log: { warn(obj: object, msg: string): void },
): Promise<Map<string, number> | undefined> {
  if (!ctx.consumerLag) return undefined
  try {
    const byGroup = new Map<string, number>()
    for (const sample of await ctx.consumerLag()) {
      byGroup.set(sample.group, (byGroup.get(sample.group) ?? 0) + sample.records)
    }
    return byGroup
  } catch (error) {
    log.warn({ err: error }, 'stats: consumer lag unavailable')
    return undefined
  }
}
