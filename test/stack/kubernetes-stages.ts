/**
 * The kwok stages of one run: kwok's own defaults (node init and heartbeat, pod
 * ready → complete → delete, as kwokctl configures them), plus two behaviours
 * that failure tests need, opted into per pod by annotation. A pod without these
 * annotations is played exactly as kwok's defaults play it.
 *
 * - `kwok.roundhouse.dev/exit-code: "<n>"`: the pod ends Failed, each container
 *   terminated with exit code n (a trainer's non-retriable exit, a podFailurePolicy).
 * - `kwok.roundhouse.dev/hold: "true"`: the pod stays Running (deadlines, cancel).
 */
import { parseAllDocuments, stringify } from 'yaml';

export const EXIT_CODE_ANNOTATION = 'kwok.roundhouse.dev/exit-code';
export const HOLD_ANNOTATION = 'kwok.roundhouse.dev/hold';

const annotation = (name: string): string => `.metadata.annotations["${name}"]`;

interface Stage {
  kind?: string;
  metadata?: { name?: string };
  spec?: { selector?: { matchExpressions?: Array<Record<string, unknown>> } };
}

const exitCodeStage = {
  apiVersion: 'kwok.x-k8s.io/v1alpha1',
  kind: 'Stage',
  metadata: { name: 'roundhouse-pod-exit-code' },
  spec: {
    resourceRef: { apiGroup: 'v1', kind: 'Pod' },
    selector: {
      matchExpressions: [
        { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' },
        { key: '.status.phase', operator: 'In', values: ['Running'] },
        { key: annotation(EXIT_CODE_ANNOTATION), operator: 'Exists' },
        { key: annotation(HOLD_ANNOTATION), operator: 'DoesNotExist' },
      ],
    },
    next: {
      // Same shape as kwok's pod-complete, with the exit code from the annotation.
      statusTemplate: [
        '{{ $now := Now }}',
        `{{ $code := index .metadata.annotations "${EXIT_CODE_ANNOTATION}" }}`,
        'containerStatuses:',
        '{{ range $index, $item := .spec.containers }}',
        '- image: {{ $item.image | Quote }}',
        '  name: {{ $item.name | Quote }}',
        '  ready: false',
        '  restartCount: 0',
        '  started: false',
        '  state:',
        '    terminated:',
        '      exitCode: {{ $code }}',
        '      finishedAt: {{ $now | Quote }}',
        '      reason: Error',
        '      startedAt: {{ $now | Quote }}',
        '{{ end }}',
        'phase: Failed',
        '',
      ].join('\n'),
    },
  },
};

/** kwok's default stages (a multi-document YAML) with the two opt-in behaviours added. */
export function runStages(defaultStages: string): string {
  const docs = parseAllDocuments(defaultStages).map((d) => {
    if (d.errors.length > 0) throw new Error(`kwok stage file: ${d.errors[0]?.message ?? 'invalid YAML'}`);
    return d.toJS() as Stage;
  });
  const complete = docs.find((d) => d.kind === 'Stage' && d.metadata?.name === 'pod-complete');
  const expressions = complete?.spec?.selector?.matchExpressions;
  if (expressions === undefined) throw new Error("kwok's default stages have no pod-complete stage with matchExpressions; has kwok changed them?");
  expressions.push({ key: annotation(EXIT_CODE_ANNOTATION), operator: 'DoesNotExist' }, { key: annotation(HOLD_ANNOTATION), operator: 'DoesNotExist' });
  return [...docs, exitCodeStage].map((d) => stringify(d)).join('---\n');
}
