/** `training`: how the training Job is built and what the trainer is told. */
import { z } from 'zod';
import { duration, fraction, kubernetesName, labelKey, labelValue, quantity, read, section } from './schema-common';

/** The dispatcher passes the trainer contract through ROUNDHOUSE_* variables; a catalog must not shadow them. */
export const RESERVED_ENV_PREFIX = 'ROUNDHOUSE_';

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (i) => `not an environment variable name: ${JSON.stringify(i.input)}` })
  .refine((name) => !name.startsWith(RESERVED_ENV_PREFIX), { error: (i) => `${String(i.input)}: the ${RESERVED_ENV_PREFIX} prefix is reserved for the trainer contract` });

// YAML turns `WORKERS: 4` into a number; Kubernetes wants strings. Accept scalars, store strings.
const envValue = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

export const ResourcesSchema = section('Requests and limits of the trainer container (requests = limits).', {
  cpu: quantity('cpu').describe('CPU quantity, e.g. "2" or "500m".').prefault('1'),
  memory: quantity('memory').describe('Memory quantity, e.g. "4Gi".').prefault('2Gi'),
  gpu: z.number().int().min(0).describe('Number of GPUs (extended resource gpuResource); 0 = none.').prefault(0),
  gpuResource: z
    .string()
    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/, { error: 'not a Kubernetes resource name' })
    .describe('Extended resource name used for gpu.')
    .prefault('nvidia.com/gpu'),
});

export const TolerationSchema = section(
  'A Kubernetes toleration for the trainer pod.',
  {
    key: labelKey.describe('Taint key; omit with operator Exists to tolerate every taint.').optional(),
    operator: z.enum(['Equal', 'Exists']).describe('Equal matches key and value; Exists matches the key alone.').prefault('Equal'),
    value: labelValue.describe('Taint value (operator Equal only).').optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).describe('Taint effect to tolerate; omitted = all effects.').optional(),
    tolerationSeconds: z.number().int().min(0).describe('With effect NoExecute: how long the pod stays bound after the taint appears.').optional(),
  },
  (value, report) => {
    if (value.operator === 'Exists' && value.value !== undefined) report(['value'], 'operator Exists takes no value');
    if (value.operator === 'Equal' && value.key === undefined) report(['key'], 'operator Equal needs a key');
    if (value.tolerationSeconds !== undefined && value.effect !== 'NoExecute') report(['tolerationSeconds'], 'tolerationSeconds applies to effect NoExecute only');
  },
);

export const HoldoutSchema = section(
  'Out-of-time split of the data window: the most recent events are held out.',
  {
    fraction: fraction('Share of the window (latest by event time) held out for evaluation.').prefault(0.2),
    validationFraction: z.number().min(0).lt(1).describe('Share before the holdout used for early stopping/tuning; 0 = none.').prefault(0),
  },
  (value, report) => {
    const holdout = read.num(value.fraction);
    const validation = read.num(value.validationFraction);
    if (holdout !== undefined && validation !== undefined && holdout + validation >= 1) {
      report(['validationFraction'], `fraction + validationFraction must be < 1 (got ${holdout} + ${validation}), or nothing is left to train on`);
    }
  },
);

export const TrainingSchema = section('How a training run is executed.', {
  image: z
    .string()
    .regex(/^[^\s]+$/, { error: 'not a container image reference' })
    .describe('Trainer container image; any image honouring the trainer contract (docs/trainer.md).')
    .prefault('ghcr.io/roundhouse/trainer:0.1.0'),
  command: z.array(z.string().min(1)).min(1).describe('Container entrypoint.').prefault(['node', 'dist/services/trainer/main.js']),
  args: z.array(z.string()).describe('Arguments after the command.').prefault([]),
  env: z.record(envName, envValue).describe('Extra environment variables for the trainer (merged key by key with defaults).').prefault({}),
  resources: ResourcesSchema.prefault({}),
  nodeSelector: z.record(labelKey, labelValue).describe('Node labels the trainer pod must run on (merged key by key with defaults).').prefault({}),
  tolerations: z.array(TolerationSchema).describe('Tolerations of the trainer pod.').prefault([]),
  priorityClassName: kubernetesName.describe('PriorityClass of the trainer pod; null = cluster default.').nullable().prefault(null),
  serviceAccountName: kubernetesName.describe("ServiceAccount of the trainer pod; null = the dispatcher's configured default.").nullable().prefault(null),
  deadline: duration({ min: 1000 }).describe('Job activeDeadlineSeconds: the run fails when it takes longer.').prefault('2h'),
  retries: z.number().int().min(0).max(20).describe('Job backoffLimit: pod retries before the run fails.').prefault(2),
  ttlAfterFinished: duration().describe('Job ttlSecondsAfterFinished; null = keep finished Jobs.').nullable().prefault('1d'),
  queue: kubernetesName.describe('Kueue LocalQueue name (sets kueue.x-k8s.io/queue-name and starts the Job suspended); null = no Kueue.').nullable().prefault(null),
  inFlightPolicy: z
    .enum(['queue', 'supersede'])
    .describe('A request arriving while a run is in flight: queue it behind the run, or cancel the run and start the new one.')
    .prefault('queue'),
  holdout: HoldoutSchema.prefault({}),
  lookback: duration({ min: 1 }).describe("How far back from the request's time a run's data window reaches.").prefault('90d'),
  estimator: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, { error: 'estimator names are lower-case: [a-z0-9._-]' })
    .describe('Estimator the trainer fits (the built-in trainer knows logistic-regression).')
    .prefault('logistic-regression'),
  hyperparameters: z.record(z.string(), z.json()).describe('Free JSON handed to the trainer untouched (replaced whole, not merged, by a model).').prefault({}),
});
