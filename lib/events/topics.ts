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

/** Registry subject of a topic's values (Confluent TopicNameStrategy). */
export function subjectFor<T extends string>(topic: T): `${T}-value` {
  return `${topic}-value`;
}

/** Dead-letter topic for a source topic. */
export function dlqTopicFor<T extends string>(topic: T): `${T}.dlq` {
  return `${topic}.dlq`;
}
