import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configMapHash } from './hash';
import { mergeObject, type JsonObject } from './merge';
import { KustomizeError, renderKustomization, type KubeObject } from './render';

describe('configMapHash', () => {
  // The generators of kubernetes.io's 'Declarative Management … Using Kustomize', through
  // kustomize v5.8.2 and kubectl 1.32's v5.5. The page shows g2hdhfc6tk and 8mbdf7882g:
  // older kustomize hashed the name too (hash.ts).
  it("matches real kustomize v5's names", () => {
    expect(configMapHash('example-configmap-2', { FOO: 'Bar' })).toBe('42cfbf598f');
    expect(configMapHash('example-configmap-1', { 'application.properties': 'FOO=Bar\n' })).toBe('g4hk9g2ff8');
    expect(configMapHash('x', { A: '1' })).toBe('89g4tffbfk');
  });
});

describe('mergeObject (strategic merge subset)', () => {
  const deployment: JsonObject = {
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            { name: 'a', image: 'x', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], resources: { requests: { cpu: '1', memory: '1Gi' } } },
            { name: 'b', image: 'y' },
          ],
          tolerations: [{ key: 'k1' }],
        },
      },
    },
  };

  it('merges containers and env by name, maps key by key, replaces other lists, deletes on null', () => {
    const merged = mergeObject(deployment, {
      spec: {
        replicas: 1,
        template: {
          spec: {
            containers: [{ name: 'a', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }], resources: { requests: { memory: '256Mi' } } }],
            tolerations: [{ key: 'k2' }],
          },
        },
      },
    });
    expect(merged).toEqual({
      spec: {
        replicas: 1,
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'x', env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }], resources: { requests: { cpu: '1', memory: '256Mi' } } },
              { name: 'b', image: 'y' },
            ],
            tolerations: [{ key: 'k2' }],
          },
        },
      },
    });
    expect(mergeObject(deployment, { spec: { replicas: null } }).spec).not.toHaveProperty('replicas');
    // the inputs are left alone
    expect((deployment.spec as JsonObject).replicas).toBe(2);
  });

  it('refuses patch directives instead of guessing', () => {
    expect(() => mergeObject(deployment, { spec: { $patch: 'replace' } })).toThrow(/directive \$patch/);
  });
});

describe('renderKustomization', () => {
  let dir: string;
  const write = (file: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  const byKind = (objects: KubeObject[], kind: string): KubeObject[] => objects.filter((o) => o.kind === kind);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rh-kustomize-'));
    write(
      'rbac/kustomization.yaml',
      'namespace: base-ns\nresources: [sa.yaml]\n',
    );
    write('rbac/sa.yaml', 'apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: app }\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: app }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: app }\nsubjects:\n  - { kind: ServiceAccount, name: app, namespace: base-ns }\n  - { kind: ServiceAccount, name: other, namespace: elsewhere }\n');
    write(
      'base/kustomization.yaml',
      [
        'namespace: base-ns',
        'labels: [{ pairs: { part-of: demo }, includeTemplates: true }]',
        'resources: [../rbac, app.yaml]',
        'configMapGenerator:',
        '  - { name: env, literals: [A=1, B=2] }',
        '  - { name: files, files: [conf.txt, renamed.txt=conf.txt] }',
      ].join('\n'),
    );
    write('base/conf.txt', 'hello\n');
    write(
      'base/app.yaml',
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: { name: app }',
        'spec:',
        '  replicas: 2',
        '  selector: { matchLabels: { app: app } }',
        '  template:',
        '    metadata: { labels: { app: app } }',
        '    spec:',
        '      containers:',
        '        - name: app',
        '          image: registry.example/app:1.0',
        '          envFrom: [{ configMapRef: { name: env } }]',
        '          env: [{ name: X, valueFrom: { configMapKeyRef: { name: env, key: A } } }]',
        '      volumes: [{ name: f, configMap: { name: files } }]',
      ].join('\n'),
    );
    write(
      'overlay/kustomization.yaml',
      [
        'namespace: dev',
        'resources: [../base]',
        'configMapGenerator: [{ name: env, behavior: merge, literals: [B=3] }]',
        'patches: [{ path: replicas.yaml }]',
        'images: [{ name: registry.example/app, newName: app, newTag: dev }]',
      ].join('\n'),
    );
    write('overlay/replicas.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: app }\nspec: { replicas: 1 }\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds a base: namespace, labels, generated ConfigMaps with hashed names and rewritten references', () => {
    const objects = renderKustomization(path.join(dir, 'base'));
    for (const o of objects) expect(o.metadata.namespace).toBe('base-ns');
    for (const o of objects) expect(o.metadata.labels).toEqual(expect.objectContaining({ 'part-of': 'demo' }));
    const [env, files] = byKind(objects, 'ConfigMap');
    expect(env!.metadata.name).toBe(`env-${configMapHash('env', { A: '1', B: '2' })}`);
    expect(files!.data).toEqual({ 'conf.txt': 'hello\n', 'renamed.txt': 'hello\n' });
    const [deployment] = byKind(objects, 'Deployment') as [KubeObject & { spec: { template: { metadata: { labels: object }; spec: { containers: { envFrom: object[]; env: object[] }[]; volumes: object[] } } } }];
    expect(deployment.spec.template.metadata.labels).toEqual({ app: 'app', 'part-of': 'demo' });
    expect(deployment.spec.template.spec.containers[0]!.envFrom).toEqual([{ configMapRef: { name: env!.metadata.name } }]);
    expect(deployment.spec.template.spec.containers[0]!.env).toEqual([{ name: 'X', valueFrom: { configMapKeyRef: { name: env!.metadata.name, key: 'A' } } }]);
    expect(deployment.spec.template.spec.volumes).toEqual([{ name: 'f', configMap: { name: files!.metadata.name } }]);
  });

  it('builds an overlay: merged ConfigMap (new hash), patch, image, namespace; RoleBinding subjects follow their ServiceAccount', () => {
    const objects = renderKustomization(path.join(dir, 'overlay'));
    const env = byKind(objects, 'ConfigMap').find((o) => o.metadata.name.startsWith('env-'))!;
    expect(env.data).toEqual({ A: '1', B: '3' });
    expect(env.metadata.name).toBe(`env-${configMapHash('env', { A: '1', B: '3' })}`);
    const deployment = byKind(objects, 'Deployment')[0] as KubeObject & { spec: { replicas: number; selector: object; template: { spec: { containers: { image: string }[] } } } };
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.selector).toEqual({ matchLabels: { app: 'app' } });
    expect(deployment.spec.template.spec.containers[0]!.image).toBe('app:dev');
    const binding = byKind(objects, 'RoleBinding')[0]!;
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'app', namespace: 'dev' },
      { kind: 'ServiceAccount', name: 'other', namespace: 'elsewhere' },
    ]);
    expect(renderKustomization(path.join(dir, 'overlay'), { namespace: 'rh-test-1' }).every((o) => o.metadata.namespace === 'rh-test-1')).toBe(true);
  });

  it.each([
    ['an unsupported field', 'commonLabels: { a: b }\nresources: [app.yaml]\n', /unsupported kustomization field\(s\): commonLabels/],
    ['a data file outside the directory', 'configMapGenerator: [{ name: x, files: [../rbac/sa.yaml] }]\n', /security: file '..\/rbac\/sa.yaml' is not in or below/],
    ['a patch that matches nothing', 'resources: [app.yaml]\npatches: [{ path: p.yaml }]\n', /names Deployment nope: 0 resources match/],
    ['a patch with a target selector', 'resources: [app.yaml]\npatches: [{ path: p.yaml, target: { kind: Deployment } }]\n', /only \{ path/],
    ['a duplicate resource', 'resources: [app.yaml, app.yaml]\n', /duplicate resource apps\/Deployment\/\/app/],
    ['selectors in labels', 'labels: [{ pairs: { a: b }, includeSelectors: true }]\nresources: [app.yaml]\n', /includeSelectors is not supported/],
    ['merging a ConfigMap no base generated', 'configMapGenerator: [{ name: x, behavior: merge, literals: [A=1] }]\n', /needs a ConfigMap generated by a base/],
  ])('refuses %s', (_what, kustomization, message) => {
    write('base/p.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: nope }\nspec: { replicas: 1 }\n');
    write('base/kustomization.yaml', kustomization);
    expect(() => renderKustomization(path.join(dir, 'base'))).toThrow(KustomizeError);
    expect(() => renderKustomization(path.join(dir, 'base'))).toThrow(message);
  });
});
