import type { InboundMessage, OutboundMessage } from '../../../lib/bus';
import type { PlatformCodec } from '../../../lib/codec';
import { ErrorCodes, RoundhouseError } from '../../../lib/errors';
import { RUN_NONCE_PATTERN } from '../core/names';
import { fromEvent, toEvent } from '../core/run';
import type { RunRecord } from '../core/types';

/**
 * TrainingRun events on roundhouse.training-runs, keyed by modelId. The schema
 * has no field for the request's segment and requester or the attempt's nonce,
 * which a restarted dispatcher needs to build the run spec and find the Job of a
 * run, so they travel as headers. (A v2 TrainingRun could carry them as fields.)
 */
export const RUN_HEADERS = {
  segment: 'roundhouse.run.segment',
  requestedBy: 'roundhouse.run.requested-by',
  nonce: 'roundhouse.run.nonce',
} as const;

export function runMessage(codec: PlatformCodec, run: RunRecord): OutboundMessage {
  const headers: Record<string, string> = {};
  if (run.segment !== null) headers[RUN_HEADERS.segment] = run.segment;
  if (run.requestedBy !== null) headers[RUN_HEADERS.requestedBy] = run.requestedBy;
  if (run.nonce !== null) headers[RUN_HEADERS.nonce] = run.nonce;
  return { ...codec.message('TrainingRun', toEvent(run)), headers };
}

/**
 * Decode a message read back at start-up (throws DECODE_* / VALIDATION on
 * poison). No nonce header: a run recorded before nonces, which keeps its names.
 */
export function runFromMessage(codec: PlatformCodec, message: InboundMessage): RunRecord {
  const event = codec.decode('TrainingRun', message.value);
  const nonce = message.headers[RUN_HEADERS.nonce] ?? null;
  if (nonce !== null && !RUN_NONCE_PATTERN.test(nonce)) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `run ${event.runId}: header ${RUN_HEADERS.nonce} ${JSON.stringify(nonce.slice(0, 40))} is not a run nonce`, {
      retriable: false,
      context: { runId: event.runId, partition: message.partition, offset: message.offset },
    });
  }
  return fromEvent(event, { segment: message.headers[RUN_HEADERS.segment] ?? null, requestedBy: message.headers[RUN_HEADERS.requestedBy] ?? null, nonce });
}
