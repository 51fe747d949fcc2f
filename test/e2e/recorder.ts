/**
 * What an outside observer sees of the loop: every committed platform event on
 * the deployment's topics (read_committed, from the beginning), decoded with our
 * codec as it arrives. A bare kafkajs consumer, so nothing of ours stands
 * between the services' output and the assertions.
 */
import type { Consumer } from 'kafkajs';
import type { PlatformCodec } from '../../lib/codec';
import type { ModelEvaluated, ModelReady, RetrainRequested, TrainingCompleted, TrainingRun } from '../../lib/events';
import { rawKafka, uniqueName } from '../helpers';

export interface Recorded {
  readonly requests: RetrainRequested[];
  readonly runs: TrainingRun[];
  readonly results: TrainingCompleted[];
  readonly evaluations: ModelEvaluated[];
  readonly ready: ModelReady[];
  /** Messages that did not decode (there should be none). */
  readonly undecodable: string[];
}

export interface Recorder {
  readonly seen: Recorded;
  stop(): Promise<void>;
}

export async function startRecorder(codec: PlatformCodec): Promise<Recorder> {
  const seen: Recorded = { requests: [], runs: [], results: [], evaluations: [], ready: [], undecodable: [] };
  const t = codec.topics;
  const decoders = new Map<string, (value: Buffer | null) => void>([
    [t.retrainRequests, (v) => seen.requests.push(codec.decode('RetrainRequested', v))],
    [t.trainingRuns, (v) => seen.runs.push(codec.decode('TrainingRun', v))],
    [t.trainingResults, (v) => seen.results.push(codec.decode('TrainingCompleted', v))],
    [t.evaluations, (v) => seen.evaluations.push(codec.decode('ModelEvaluated', v))],
    [t.modelReady, (v) => seen.ready.push(codec.decode('ModelReady', v))],
  ]);
  const consumer: Consumer = rawKafka().consumer({ groupId: uniqueName('e2e-recorder'), readUncommitted: false, maxWaitTimeInMs: 250 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...decoders.keys()], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        try {
          decoders.get(topic)!(message.value);
        } catch (error) {
          seen.undecodable.push(`${topic}/${partition}@${message.offset}: ${error instanceof Error ? error.message : String(error)}`);
        }
      },
    });
  } catch (error) {
    await consumer.disconnect();
    throw error;
  }
  return { seen, stop: () => consumer.disconnect() };
}
