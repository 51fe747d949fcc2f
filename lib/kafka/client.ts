import { Kafka, logLevel, LogEntry } from 'kafkajs';
import type { Logger } from '../log';

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl?: boolean;
  readonly sasl?: { readonly username: string; readonly password: string };
  readonly logger: Logger;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose logs go through our JSON logger. */
/**
 * Our level for a kafkajs log entry. kafkajs logs every retried request at
 * ERROR (a transaction's CONCURRENT_TRANSACTIONS while the coordinator finishes
 * the previous one, a rebalance in progress, a leader moving): healthy runs
 * printed dozens, and a log-based alert fired on noise. An entry that says it
 * will be retried (retryCount / retryTime) or names an error kafkajs retries is
 * a warning; a real failure surfaces through our own code as an error anyway.
 */
export function kafkajsLevel(level: number, extra: Readonly<Record<string, unknown>>): 'error' | 'warn' | 'info' | 'debug' {
  const ours = LEVELS[level] ?? 'info';
  if (ours !== 'error') return ours;
  const retried = extra.retryCount !== undefined || extra.retryTime !== undefined;
  const transient = /CONCURRENT_TRANSACTIONS|REBALANCE_IN_PROGRESS|NOT_COORDINATOR|COORDINATOR_LOAD_IN_PROGRESS|LEADER_NOT_AVAILABLE|NOT_LEADER_FOR_PARTITION|another concurrent operation/i.test(
    `${String(extra.error ?? '')} ${String(extra.type ?? '')}`,
  );
  return retried || transient ? 'warn' : 'error';
}

export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const base = options.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ssl: options.ssl ?? false,
    ...(options.sasl ? { sasl: { mechanism: 'scram-sha-512' as const, ...options.sasl } } : {}),
    // kafkajs INFO is chatty (every join and commit); our own logs say what matters.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, ...extra } = log;
        base[kafkajsLevel(level, extra)]({ namespace, ...extra }, message);
      },
  });
}
