// Running streamwatch commands as real child processes, the way users run them.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createKafkaBus } from '../../src/adapters/kafka/kafka-bus.ts'
import { ALL_TOPICS, type TopicNames } from '../../src/contracts/topics.ts'
import type { GenerationManifest } from '../../src/core/generate/event-stream.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { type ProduceStreamOptions, runProduce } from '../../src/pipelines/produce.ts'

export const TEST_BROKERS = process.env['TEST_KAFKA_BROKERS'] ?? '127.0.0.1:9092'

export interface CommandProcess {
  child: ChildProcess
  /** what the process wrote to stderr so far (its logs) */
  stderr(): string
}

/** `node src/cli/main.ts <command> <args>` with the given settings on top of this process's environment. */
export function startCommand(
  command: string,
  env: Record<string, string | undefined>,
  args: readonly string[] = [],
): CommandProcess {
  const child = spawn(process.execPath, ['src/cli/main.ts', command, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    if (process.env['TEST_VERBOSE']) process.stderr.write(chunk)
  })
  return { child, stderr: () => stderr }
}

/** Sends `signal` and resolves with the exit code (null when killed by a signal). */
export async function stopCommand({ child }: CommandProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill(signal)
  return exited
}

/** Generates `count` events into fresh topics named by `names` on the test broker; returns the manifest. */
export async function produceToKafka(
  names: TopicNames,
  count: number,
  stream: ProduceStreamOptions,
): Promise<GenerationManifest> {
  const bus = createKafkaBus({ brokers: [TEST_BROKERS], clientId: 'streamwatch-test', logger: silentLogger })
  try {
    await bus.ensureTopics(ALL_TOPICS.map(names.full), 6)
    const produced = await runProduce(
      { bus, topicNames: names, stream, ratePerSecond: 0, count },
      new AbortController().signal,
    )
    return produced.manifest
  } finally {
    await bus.close()
  }
}

/** Best effort: a leftover test topic does no harm. */
export function deleteTopics(names: TopicNames): void {
  try {
    execFileSync(
      'bash',
      [
        'scripts/kafka.sh',
        'tool',
        'topics',
        '--bootstrap-server',
        TEST_BROKERS,
        '--delete',
        '--topic',
        ALL_TOPICS.map(names.full).join(','),
      ],
      { stdio: 'ignore' },
    )
  } catch {
    // the broker may be gone already
  }
}
