import { ErrorCodes, RoundhouseError } from '../errors';

/**
 * readRange's refusal of a range that starts below its partition's log start, the
 * same from every bus: the records there were deleted (retention, deleteRecords),
 * and retrying the same range cannot help; read from startOffsets instead.
 */
export function offsetOutOfRange(topic: string, partition: number, startOffset: string, logStart: string): RoundhouseError {
  return new RoundhouseError(
    ErrorCodes.OFFSET_OUT_OF_RANGE,
    `${topic}[${partition}] starts at ${logStart} (the records before it were deleted); the range from ${startOffset} cannot be read: read from startOffsets`,
    { retriable: false, context: { topic, partition, startOffset, logStart } },
  );
}
