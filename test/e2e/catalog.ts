/**
 * The end-to-end catalog: one global model over the CardTransaction example
 * fields (lib/synthetic cards), sized so the whole loop runs in a few minutes
 * of event time: 60 s drift windows, a 5 min training lookback (enough rows for
 * the candidate to beat the pre-drift champion on the post-drift holdout), 30 s
 * label maturity. Training runs the built-in trainer with the image's command,
 * placed on the test node agent's node. Gates as in config/catalog.yaml.
 */
export const MODEL_ID = 'card-fraud';
export const WINDOW_MS = 60_000;
export const LOOKBACK_MS = 300_000;

export interface E2eCatalogOptions {
  readonly featureTopic: string;
  readonly labelTopic: string;
  readonly placement: { readonly nodeSelector: Readonly<Record<string, string>>; readonly tolerations: readonly { key: string; operator: string; value: string; effect: string }[] };
}

export function e2eCatalogYaml(o: E2eCatalogOptions): string {
  const json = (value: unknown): string => JSON.stringify(value);
  return `version: 1
models:
  - id: ${MODEL_ID}
    description: End-to-end test model (test/e2e).
    data:
      featureTopic: ${o.featureTopic}
      labelTopic: ${o.labelTopic}
      eventIdField: event_id
      eventTimeField: event_time
      labelEventIdField: event_id
      labelTimeField: label_time
      labelField: is_fraud
      labelMaturity: 30s
      features:
        - { name: amount, type: numeric, critical: true }
        - { name: currency, type: categorical }
        - { name: merchant_category, type: categorical }
        - { name: country, type: categorical }
        - { name: card_age_days, type: numeric }
        - { name: is_new_device, type: categorical }
        - { name: txn_count_1h, type: numeric }
        - { name: txn_count_24h, type: numeric }
        - { name: amount_sum_24h, type: numeric }
        - { name: distinct_merchants_24h, type: numeric }
        - { name: distance_from_home_km, type: numeric }
    triggers:
      drift:
        window: { type: time, size: ${WINDOW_MS / 1000}s, allowedLateness: 5s }
        method: auto
        minSamples: 1000
        driftShare: 0.3
        consecutiveWindows: 1
        bootstrapEvents: 3000
        falseDiscoveryRate: 0.01
      fraudRate: { enabled: false }
      volume: { enabled: false }
      maxAge: null
      cooldown: 1h
    training:
      image: ghcr.io/roundhouse/trainer:e2e
      command: [node, dist/services/trainer/main.js]
      resources: { cpu: 500m, memory: 512Mi }
      nodeSelector: ${json(o.placement.nodeSelector)}
      tolerations: ${json(o.placement.tolerations)}
      deadline: 10m
      retries: 1
      ttlAfterFinished: null
      lookback: ${LOOKBACK_MS / 1000}s
      holdout: { fraction: 0.25, validationFraction: 0 }
      estimator: logistic-regression
      hyperparameters: { C: 1, classWeight: balanced }
    evaluation:
      gates:
        - { metric: rocAuc, min: 0.6 }
        - { metric: rocAuc, maxDrop: 0.02 }
      minHoldoutRows: 300
      minHoldoutPositives: 15
      maxCalibrationError: null
      firstModel: gates-only
`;
}
