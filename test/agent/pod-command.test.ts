import path from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { POD_SPEC_UNSUPPORTED, containerEnv, downwardApiFiles, expandVars, localCommand, processEnv, relocateEnv, secretNames } from './pod-command';
import { exitOf } from './pod-status';

const ROOT = path.join(__dirname, '..', '..');
const NODE = '/opt/node/bin/node';
const opts = { repoRoot: ROOT, nodeBinary: NODE };
const none = new Map<string, string>();

function pod(container: V1Container): V1Pod {
  return {
    metadata: { name: 'p-1', namespace: 'ns', uid: 'u-1', labels: { app: 'trainer' }, annotations: { 'roundhouse.dev/run-id': 'run-9' } },
    spec: { nodeName: 'node-a', serviceAccountName: 'sa', containers: [container] },
  };
}

describe('the translation rule: what the pod says runs, dist/<p>.js runs from source', () => {
  it.each([
    [['node', 'dist/services/trainer/main.js'], [], [NODE, '--import', 'tsx', 'services/trainer/main.ts']],
    [['node'], ['./dist/services/trainer/main.js', 'fetch', '--out', '/x'], [NODE, '--import', 'tsx', 'services/trainer/main.ts', 'fetch', '--out', '/x']],
    [['node', '--enable-source-maps', 'dist/services/trainer/main.js'], ['publish'], [NODE, '--enable-source-maps', '--import', 'tsx', 'services/trainer/main.ts', 'publish']],
    [['/usr/local/bin/node', 'dist/services/trainer/main.js'], [], [NODE, '--import', 'tsx', 'services/trainer/main.ts']],
    [['node', '-e', 'process.exit(3)'], [], [NODE, '-e', 'process.exit(3)']],
    [['node', 'tools/x.js'], [], [NODE, 'tools/x.js']],
    [['bash', 'examples/python-trainer/run.sh'], [], ['bash', 'examples/python-trainer/run.sh']],
  ])('%j + %j → %j', (command, args, expected) => {
    const local = localCommand(command, args, none, opts);
    expect([local.file, ...local.args]).toEqual(expected);
    expect(local.translated).toBe(expected.includes('tsx'));
  });

  it('refuses a container without a command (the image entrypoint is unknown) and a dist script without source', () => {
    expect(() => localCommand([], ['x'], none, opts)).toThrow(expect.objectContaining({ code: POD_SPEC_UNSUPPORTED, reason: 'CreateContainerError' }));
    expect(() => localCommand(['node', 'dist/nowhere/main.js'], [], none, opts)).toThrow(/no source nowhere\/main\.ts/);
  });

  it('expands $(VAR) in command and args like the kubelet; $$ escapes, unknown references stay', () => {
    const vars = new Map([['MODE', 'fetch']]);
    expect([...localCommand(['sh', '-c'], ['echo $(MODE) $$(MODE) $(NOPE) $'], vars, opts).args]).toEqual(['-c', 'echo fetch $(MODE) $(NOPE) $']);
    expect(expandVars('$(A)$(B)', new Map([['A', '1']]))).toBe('1$(B)');
  });
});

describe('the container environment', () => {
  it('keeps plain values in order, expands references to earlier ones, resolves fieldRef', () => {
    const full = containerEnv(
      pod({ name: 'c' }),
      {
        name: 'c',
        env: [
          { name: 'A', value: 'x' },
          { name: 'B', value: '$(A)-$(C)' },
          { name: 'C', value: 'late' },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'RUN', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['roundhouse.dev/run-id']" } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        ],
      },
      '10.0.0.7',
    );
    expect([...full]).toEqual([
      ['A', 'x'],
      ['B', 'x-$(C)'],
      ['C', 'late'],
      ['POD', 'p-1'],
      ['NODE_NAME', 'node-a'],
      ['RUN', 'run-9'],
      ['IP', '10.0.0.7'],
    ]);
  });

  it('resolves secretKeyRef from the Secrets the agent read, as a kubelet: missing is an error unless optional', () => {
    const container: V1Container = {
      name: 'c',
      env: [
        { name: 'KEY', valueFrom: { secretKeyRef: { name: 's3', key: 'AWS_ACCESS_KEY_ID' } } },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's3', key: 'AWS_SESSION_TOKEN', optional: true } } },
        { name: 'AFTER', value: '$(KEY)!' },
      ],
    };
    expect(secretNames(container)).toEqual(['s3']);
    expect([...containerEnv(pod(container), container, '127.0.0.1', new Map([['s3', { AWS_ACCESS_KEY_ID: 'AK' }]]))]).toEqual([
      ['KEY', 'AK'],
      ['AFTER', 'AK!'],
    ]);
    expect(() => containerEnv(pod(container), container, '127.0.0.1', new Map([['s3', {}]]))).toThrow("couldn't find key AWS_ACCESS_KEY_ID in Secret s3");
    expect(() => containerEnv(pod(container), container)).toThrow(expect.objectContaining({ reason: 'CreateContainerConfigError', message: 'secret "s3" not found' }));
  });

  it('refuses ConfigMaps and envFrom (the agent does not read them)', () => {
    const refused = (container: V1Container) => () => containerEnv(pod(container), container);
    expect(refused({ name: 'c', env: [{ name: 'M', valueFrom: { configMapKeyRef: { name: 'm', key: 'k' } } }] })).toThrow(/env M: valueFrom configMapKeyRef is not supported/);
    expect(refused({ name: 'c', envFrom: [{ secretRef: { name: 's' } }] })).toThrow(expect.objectContaining({ code: POD_SPEC_UNSUPPORTED, reason: 'CreateContainerConfigError' }));
  });

  it("gives the process the pod's variables over PATH, HOME and HOSTNAME only", () => {
    expect(processEnv(new Map([['KAFKA_BROKERS', 'k:9092'], ['HOME', '/pod-home']]), { path: '/bin', home: '/tmp/h', hostname: 'p-1' })).toEqual({
      PATH: '/bin',
      HOME: '/pod-home',
      HOSTNAME: 'p-1',
      KAFKA_BROKERS: 'k:9092',
    });
  });
});

describe('downwardAPI volumes (how the dispatcher hands over the run spec)', () => {
  const container: V1Container = {
    name: 'c',
    env: [{ name: 'ROUNDHOUSE_RUN_SPEC_FILE', value: '/etc/roundhouse/run/spec.json' }, { name: 'OTHER', value: '/etc/roundhouse/running' }],
    volumeMounts: [
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'run-spec', mountPath: '/etc/roundhouse/run', readOnly: true },
    ],
  };
  const withVolumes = (items: NonNullable<NonNullable<NonNullable<V1Pod['spec']>['volumes']>[number]['downwardAPI']>['items']): V1Pod => {
    const p = pod(container);
    return { ...p, spec: { ...p.spec!, volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'run-spec', downwardAPI: { items } }] } };
  };

  it('projects fieldRef items and points the environment at the local copy', () => {
    const files = downwardApiFiles(withVolumes([{ path: 'spec.json', fieldRef: { fieldPath: "metadata.annotations['roundhouse.dev/run-id']" } }]), container);
    expect(files).toEqual([{ volume: 'run-spec', mountPath: '/etc/roundhouse/run', path: 'spec.json', content: 'run-9' }]);
    const env = relocateEnv(containerEnv(pod(container), container), new Map([['/etc/roundhouse/run', '/work/p/volumes/run-spec']]));
    expect(env.get('ROUNDHOUSE_RUN_SPEC_FILE')).toBe('/work/p/volumes/run-spec/spec.json');
    expect(env.get('OTHER')).toBe('/etc/roundhouse/running');
  });

  it('refuses items it cannot project', () => {
    expect(() => downwardApiFiles(withVolumes([{ path: 'cpu', resourceFieldRef: { resource: 'limits.cpu' } }]), container)).toThrow(/not supported/);
    expect(() => downwardApiFiles(withVolumes([{ path: '../x', fieldRef: { fieldPath: 'metadata.name' } }]), container)).toThrow(/not supported/);
  });
});

describe('exit codes as a container status reports them', () => {
  it.each([
    [{ exitCode: 0, signal: null }, { exitCode: 0, reason: 'Completed' }],
    [{ exitCode: 65, signal: null }, { exitCode: 65, reason: 'Error' }],
    [{ exitCode: null, signal: 'SIGTERM' as const }, { exitCode: 143, reason: 'Error', signal: 15 }],
    [{ exitCode: null, signal: 'SIGKILL' as const }, { exitCode: 137, reason: 'Error', signal: 9 }],
  ])('%j → %j', (ended, expected) => {
    expect(exitOf(ended)).toEqual(expected);
  });
});
