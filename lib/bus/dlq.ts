import { errorCode, errorMessage } from '../errors';
import type { InboundMessage, OutboundMessage } from './types';
import { dlqTopic } from './types';

/**
 * Dead-letter records keep the original key, bytes and headers, and say in their
 * own headers where the message came from and why it was rejected, so an operator
 * can inspect it and replay it to its source topic after a fix (docs/runbook.md).
 */
export const DLQ_HEADERS = {
  sourceTopic: 'roundhouse.dlq.source-topic',
  sourcePartition: 'roundhouse.dlq.source-partition',
  sourceOffset: 'roundhouse.dlq.source-offset',
  errorCode: 'roundhouse.dlq.error-code',
  errorMessage: 'roundhouse.dlq.error-message',
  consumerGroup: 'roundhouse.dlq.consumer-group',
  failedAt: 'roundhouse.dlq.failed-at',
} as const;

/** Header values are bounded: a poison message must not make a poison DLQ record. */
const MAX_MESSAGE_CHARS = 2000;

export function deadLetter(message: InboundMessage, error: unknown, consumerGroup: string, now: number): OutboundMessage {
  const text = errorMessage(error);
  return {
    topic: dlqTopic(message.topic),
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DLQ_HEADERS.sourceTopic]: message.topic,
      [DLQ_HEADERS.sourcePartition]: String(message.partition),
      [DLQ_HEADERS.sourceOffset]: message.offset,
      [DLQ_HEADERS.errorCode]: errorCode(error),
      [DLQ_HEADERS.errorMessage]: text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text,
      [DLQ_HEADERS.consumerGroup]: consumerGroup,
      [DLQ_HEADERS.failedAt]: new Date(now).toISOString(),
    },
  };
}
