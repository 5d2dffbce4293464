// Topic names are part of the contract (docs/contract.md): other people's scripts rely on them.

export const EVENT_TOPICS = ['logs', 'metrics', 'transactions'] as const
export type EventTopic = (typeof EVENT_TOPICS)[number]
export const DEAD_LETTER_TOPIC = 'dead-letters'
export type Topic = EventTopic | typeof DEAD_LETTER_TOPIC
export const ALL_TOPICS: readonly Topic[] = [...EVENT_TOPICS, DEAD_LETTER_TOPIC]

export const CONSUMER_GROUPS = { etl: 'etl', lake: 'lake' } as const

/** The kind of event each topic carries. */
export const KIND_OF_TOPIC = { logs: 'log', metrics: 'metric', transactions: 'transaction' } as const
export type EventKind = (typeof KIND_OF_TOPIC)[EventTopic]
export const TOPIC_OF_KIND = { log: 'logs', metric: 'metrics', transaction: 'transactions' } as const

/**
 * Names as they exist on the broker: `TOPIC_PREFIX` + logical name, so that two deployments on
 * one cluster never share a topic or a consumer group.
 */
export interface TopicNames {
  prefix: string
  /** logical -> full name */
  full(topic: Topic): string
  group(group: keyof typeof CONSUMER_GROUPS): string
  /** full name -> logical, or undefined when the name is not one of ours */
  logical(fullName: string): Topic | undefined
}

export function createTopicNames(prefix = ''): TopicNames {
  const byFull = new Map<string, Topic>(ALL_TOPICS.map((t) => [prefix + t, t]))
  return {
    prefix,
    full: (topic) => prefix + topic,
    group: (group) => prefix + CONSUMER_GROUPS[group],
    logical: (fullName) => byFull.get(fullName),
  }
}

export function isEventTopic(topic: string): topic is EventTopic {
  return (EVENT_TOPICS as readonly string[]).includes(topic)
}
