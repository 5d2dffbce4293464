// The bus the settings ask for: Kafka when KAFKA_BROKERS is set, else the in-memory bus of this
// process (offsets reserved under DATA_DIR/bus, so a restart never reuses an offset).
import { join } from 'node:path'
import { createKafkaBus } from '../adapters/kafka/kafka-bus.ts'
import { createMemoryBus } from '../adapters/memory-bus/memory-bus.ts'
import type { Config } from '../config/load.ts'
import type { Logger } from '../observability/logger.ts'
import type { Bus } from '../pipelines/ports.ts'

export function createBusFromConfig(config: Config, logger: Logger): Bus {
  if (config.KAFKA_BROKERS && config.KAFKA_BROKERS.length > 0) {
    return createKafkaBus({
      brokers: config.KAFKA_BROKERS,
      clientId: config.KAFKA_CLIENT_ID,
      logger,
      replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    })
  }
  return createMemoryBus({
    stateDir: join(config.DATA_DIR, 'bus'),
    defaultPartitions: config.KAFKA_PARTITIONS,
    // bounds memory when a consumer falls behind: 50,000 records x 24 partitions x ~250 B ≈ 300 MB
    retentionRecords: 50_000,
  })
}

/** True when the settings give a bus shared with other processes (Kafka), false for the in-memory one. */
export function isSharedBus(config: Config): boolean {
  return Boolean(config.KAFKA_BROKERS && config.KAFKA_BROKERS.length > 0)
}
