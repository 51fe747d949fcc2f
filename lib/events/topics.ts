/**
 * Default topic names (DESIGN.md, "Events"). Deployments may rename topics in
 * configuration; derive subjects and dead-letter topics from the topic actually
 * used with subjectFor / dlqTopicFor rather than from these constants.
 */
export const DEFAULT_TOPICS = {
  retrainRequests: 'roundhouse.retrain-requests',
  trainingRuns: 'roundhouse.training-runs',
  trainingResults: 'roundhouse.training-results',
  evaluations: 'roundhouse.evaluations',
  modelReady: 'roundhouse.model-ready',
  triggerState: 'roundhouse.trigger-state',
} as const;

export type DefaultTopic = (typeof DEFAULT_TOPICS)[keyof typeof DEFAULT_TOPICS];

/**
 * Topic settings for roundhouse.model-ready (TopicSpec.config, with compacted:
 * true), created by whichever of the trigger and the evaluator starts first.
 * Followers read it whole at every start, and each record carries a reference
 * profile, so what compaction has not yet removed is read again and again
 * (roundhouse.trigger-state has its own: services/trigger/checkpoints.ts).
 */
export const MODEL_READY_TOPIC_CONFIG: Readonly<Record<string, string>> = Object.freeze({
  // The latest record per model is the champion; a tombstone retires the model.
  'cleanup.policy': 'compact',
  // Compact once 10% of the log is superseded (default 50%).
  'min.cleanable.dirty.ratio': '0.1',
  // Roll the active segment, which is never compacted, hourly (default 7 days).
  'segment.ms': '3600000',
  // Keep a retired model's tombstone a day after compaction (Kafka's default,
  // stated): serving systems that were down less than that still see the retirement.
  'delete.retention.ms': '86400000',
});

/** Registry subject of a topic's values (Confluent TopicNameStrategy). */
export function subjectFor<T extends string>(topic: T): `${T}-value` {
  return `${topic}-value`;
}

/** Dead-letter topic for a source topic. */
export function dlqTopicFor<T extends string>(topic: T): `${T}.dlq` {
  return `${topic}.dlq`;
}
