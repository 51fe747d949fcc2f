import type { InboundMessage, OutboundMessage } from '../../../lib/bus';
import type { PlatformCodec } from '../../../lib/codec';
import { fromEvent, toEvent } from '../core/run';
import type { RunRecord } from '../core/types';

/**
 * TrainingRun events on roundhouse.training-runs, keyed by modelId. The schema
 * has no field for the request's segment and requester, which a restarted
 * dispatcher needs to build the run spec of a run still queued, so they travel
 * as headers. (A v2 TrainingRun could carry them as fields.)
 */
export const RUN_HEADERS = {
  segment: 'roundhouse.run.segment',
  requestedBy: 'roundhouse.run.requested-by',
} as const;

export function runMessage(codec: PlatformCodec, run: RunRecord): OutboundMessage {
  const headers: Record<string, string> = {};
  if (run.segment !== null) headers[RUN_HEADERS.segment] = run.segment;
  if (run.requestedBy !== null) headers[RUN_HEADERS.requestedBy] = run.requestedBy;
  return { ...codec.message('TrainingRun', toEvent(run)), headers };
}

/** Decode a message read back at start-up (throws DECODE_* / VALIDATION on poison). */
export function runFromMessage(codec: PlatformCodec, message: InboundMessage): RunRecord {
  const event = codec.decode('TrainingRun', message.value);
  return fromEvent(event, { segment: message.headers[RUN_HEADERS.segment] ?? null, requestedBy: message.headers[RUN_HEADERS.requestedBy] ?? null });
}
