// The Bus contract: one suite that every Bus implementation passes (the memory bus, Kafka). It
// states, as tests, what the pipelines rely on: per-key order, at-least-once with committed offsets,
// seeking in onAssign, hand-over on rebalance, byte-exact records, idempotent topic creation
// (bus-contract-delivery.ts and bus-contract-membership.ts hold the tests).
//
// Implementation-agnostic by construction: every test makes its own topics (created with
// ensureTopics) and groups under `topicPrefix`, reads offsets from what it consumed rather than
// assuming where a partition starts, and waits for conditions rather than for fixed times.
import { afterEach, beforeEach, describe } from 'vitest'
import type { Bus, ConsumerOptions, RawRecord } from '../../src/pipelines/ports.ts'
import { defineDeliveryTests } from './bus-contract-delivery.ts'
import { defineMembershipTests } from './bus-contract-membership.ts'
import {
  type ConsumerBehaviour,
  type ContractContext,
  type RunningConsumer,
  startConsumer,
  until,
} from './bus-test-helpers.ts'

export interface BusUnderTest {
  bus: Bus
  /** unique to this run, so that topics and groups of earlier runs never interfere */
  topicPrefix: string
  /** closes the bus and releases what the factory made */
  cleanup(): Promise<void>
}

export function describeBusContract(name: string, makeBus: () => Promise<BusUnderTest>): void {
  describe(`Bus contract: ${name}`, () => {
    let env: BusUnderTest
    let running: RunningConsumer[] = []
    let counter = 0

    beforeEach(async () => {
      env = await makeBus()
      running = []
    })

    afterEach(async () => {
      await Promise.allSettled(running.map((c) => c.stop()))
      await env.cleanup()
    })

    const unique = (label: string) => `${env.topicPrefix}${label}-${++counter}`

    const consume = (options: ConsumerOptions, behaviour?: ConsumerBehaviour) => {
      const consumer = startConsumer(env.bus, options, behaviour)
      running.push(consumer)
      return consumer
    }

    async function readAll(topic: string, count: number): Promise<RawRecord[]> {
      const reader = consume({ groupId: unique('reader'), topics: [topic] })
      await until(() => reader.records.length >= count, `${count} records of ${topic}`, {
        consumers: [reader],
      })
      await reader.stop()
      return reader.records
    }

    const context: ContractContext = {
      get bus() {
        return env.bus
      },
      unique,
      consume,
      readAll,
    }
    defineDeliveryTests(context)
    defineMembershipTests(context)
  })
}
