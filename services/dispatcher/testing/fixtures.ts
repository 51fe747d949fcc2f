/** Test fixtures shared by the dispatcher's unit tests: a real (defaulted, frozen) catalog and requests. */
import { parseCatalog } from '../../../lib/catalog';
import type { Catalog, ModelSpec } from '../../../lib/catalog';
import { catalogText, minimalModel } from '../../../lib/catalog/test-helpers';
import type { RetrainReason, RetrainRequested } from '../../../lib/events';

export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
/** A run attempt's nonce for tests that build runs themselves (core/names.ts). */
export const NONCE = '0a1b2c3d';

/** A catalog with `queue-model` (queue policy), `super-model` (supersede), `gpu-model` (every Job field set). */
export function testCatalog(): Catalog {
  return parseCatalog(
    catalogText({
      version: 1,
      models: [
        { ...minimalModel('queue-model'), training: { inFlightPolicy: 'queue', hyperparameters: { l2: 0.01, epochs: 5 } } },
        { ...minimalModel('super-model'), training: { inFlightPolicy: 'supersede' } },
        {
          ...minimalModel('gpu-model'),
          training: {
            image: 'registry.example/trainer:2.0',
            command: ['python', '-m', 'trainer'],
            args: ['--verbose'],
            env: { WORKERS: 4, MODE: 'fast' },
            resources: { cpu: '4', memory: '16Gi', gpu: 2 },
            nodeSelector: { 'cloud.example/accelerator': 'a100' },
            tolerations: [
              { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
              { key: 'dedicated', operator: 'Equal', value: 'training', effect: 'NoExecute', tolerationSeconds: 60 },
            ],
            priorityClassName: 'training-high',
            serviceAccountName: 'trainer-sa',
            deadline: '3h',
            retries: 4,
            ttlAfterFinished: '2h',
            queue: 'gpu-queue',
          },
        },
      ],
    }),
    'test-catalog.yaml',
  );
}

export function model(catalog: Catalog, id: string): ModelSpec {
  const found = catalog.models.find((m) => m.id === id);
  if (!found) throw new Error(`no model ${id} in the test catalog`);
  return found;
}

export function request(overrides: Partial<RetrainRequested> & { readonly requestId: string }, reason: RetrainReason = 'DRIFT'): RetrainRequested {
  return {
    modelId: 'queue-model',
    segment: null,
    reason,
    requestedAt: T0,
    window: { startTime: T0 - 86_400_000, endTime: T0, partitions: [] },
    drift: null,
    volume: null,
    age: null,
    performance: null,
    championVersion: null,
    hyperparameters: null,
    requestedBy: null,
    emittedAt: null,
    ...overrides,
  };
}
