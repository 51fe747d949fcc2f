/** The control plane's pure parts: the wrapper go.mod, version flags, command lines, certificate subjects. */
import { compareVersions, parseGoVersion } from './go';
import { kubernetesVersionLdflags, kubernetesWrapperGoMod } from './kubernetes-build';
import { apiserverArgs, controllerManagerArgs, kubeconfigYaml, kwokArgs, kwokNode, type ControlPlaneFiles, type ControlPlanePorts } from './kubernetes-config';
import { subject } from './kubernetes-pki';
import { EXIT_CODE_ANNOTATION, HOLD_ANNOTATION, runStages } from './kubernetes-stages';
import { parseAllDocuments } from 'yaml';

const UPSTREAM = `module k8s.io/kubernetes

go 1.26.0

godebug default=go1.26

require (
	github.com/spf13/cobra v1.10.0
	k8s.io/api v0.0.0
	k8s.io/client-go v0.0.0
	k8s.io/kube-openapi v0.0.0-20260317180543-43fb72c5454a
	k8s.io/utils v0.0.0-20260210185600-b8788abfbbc2
)

require (
	k8s.io/cri-api v0.0.0 // indirect
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
)
`;

describe('kubernetesWrapperGoMod', () => {
  const mod = kubernetesWrapperGoMod(UPSTREAM, '1.36.3');

  it('replaces every staging module listed at v0.0.0 with its published v0.<minor>.<patch>', () => {
    expect(mod).toContain('\tk8s.io/api => k8s.io/api v0.36.3\n');
    expect(mod).toContain('\tk8s.io/client-go => k8s.io/client-go v0.36.3\n');
    expect(mod).toContain('\tk8s.io/cri-api => k8s.io/cri-api v0.36.3\n');
  });

  it('leaves pseudo-versioned k8s.io modules and other modules alone', () => {
    expect(mod).not.toContain('kube-openapi =>');
    expect(mod).not.toContain('k8s.io/utils =>');
    expect(mod).not.toContain('cobra');
  });

  it("requires the release and keeps upstream's go and godebug lines", () => {
    expect(mod).toContain('require k8s.io/kubernetes v1.36.3\n');
    expect(mod).toMatch(/^go 1\.26\.0$/m);
    expect(mod).toMatch(/^godebug default=go1\.26$/m);
  });

  it('refuses a go.mod without staging modules', () => {
    expect(() => kubernetesWrapperGoMod('module k8s.io/kubernetes\n\ngo 1.26.0\n', '1.36.3')).toThrow(/no k8s.io module at v0.0.0/);
  });
});

describe('kubernetesVersionLdflags', () => {
  it('sets gitVersion, major and minor in both version packages', () => {
    const flags = kubernetesVersionLdflags('1.36.3', '2026-07-22T18:07:38Z');
    for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
      expect(flags).toContain(`-X '${pkg}.gitVersion=v1.36.3'`);
      expect(flags).toContain(`-X '${pkg}.gitMajor=1'`);
      expect(flags).toContain(`-X '${pkg}.gitMinor=36'`);
      expect(flags).toContain(`-X '${pkg}.buildDate=2026-07-22T18:07:38Z'`);
    }
    expect(flags.startsWith('-s -w ')).toBe(true);
  });
});

describe('Go versions', () => {
  it.each([
    ['go version go1.26.8 linux/amd64', '1.26.8'],
    ['go version go1.22 darwin/arm64', '1.22'],
    ['go version go1.27rc1 linux/amd64', '1.27'],
    ['bash: go: command not found', undefined],
  ])('parses %s', (text, expected) => {
    expect(parseGoVersion(text)).toBe(expected);
  });

  it.each([
    ['1.26.8', '1.26.0', 1],
    ['1.26', '1.26.0', 0],
    ['1.9', '1.22', -1],
    ['1.25.9', '1.26.0', -1],
  ])('compares %s with %s', (a, b, sign) => {
    expect(compareVersions(a, b)).toBe(sign);
  });
});

describe('control-plane command lines', () => {
  const ports: ControlPlanePorts = { etcdClient: 1, etcdPeer: 2, apiserver: 3, controllerManager: 4, scheduler: 5 };
  const files = Object.fromEntries(
    ['runDir', 'etcdData', 'caCert', 'serverCert', 'serverKey', 'serviceAccountKey', 'serviceAccountPub', 'controllerManagerKubeconfig', 'schedulerKubeconfig', 'kwokKubeconfig', 'kwokStages', 'certDir'].map((k) => [k, `/run/${k}`]),
  ) as unknown as ControlPlaneFiles;

  it('runs the API server with RBAC, a service-account key pair and client-cert auth, on 127.0.0.1 only', () => {
    const args = apiserverArgs(ports, files);
    expect(args).toEqual(
      expect.arrayContaining([
        '--authorization-mode=Node,RBAC',
        '--bind-address=127.0.0.1',
        '--secure-port=3',
        '--etcd-servers=http://127.0.0.1:1',
        '--client-ca-file=/run/caCert',
        '--service-account-key-file=/run/serviceAccountPub',
        '--service-account-signing-key-file=/run/serviceAccountKey',
      ]),
    );
    expect(args.some((a) => a.startsWith('--service-account-issuer=https://'))).toBe(true);
  });

  it('gives each controller its own ServiceAccount and the token signer', () => {
    expect(controllerManagerArgs(ports, files)).toEqual(
      expect.arrayContaining(['--use-service-account-credentials=true', '--root-ca-file=/run/caCert', '--service-account-private-key-file=/run/serviceAccountKey', '--controllers=*']),
    );
  });

  it('has kwok manage only the annotated fake node, with its stage file', () => {
    expect(kwokArgs(files)).toEqual(expect.arrayContaining(['--manage-all-nodes=false', '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake', '--config=/run/kwokStages']));
  });

  it('describes a fake node kwok will pick up, tainted against stray pods', () => {
    const node = kwokNode() as { metadata: { annotations: Record<string, string>; labels: Record<string, string> }; spec: { taints: unknown[] } };
    expect(node.metadata.annotations['kwok.x-k8s.io/node']).toBe('fake');
    expect(node.metadata.labels.type).toBe('kwok');
    expect(node.spec.taints).toEqual([{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }]);
  });
});

describe('kubeconfigYaml', () => {
  it('inlines the CA and the client cert as base64', () => {
    const yaml = kubeconfigYaml({ server: 'https://127.0.0.1:3', caPem: 'CA', certPem: 'CERT', keyPem: 'KEY', user: 'me' });
    expect(yaml).toContain('server: https://127.0.0.1:3');
    expect(yaml).toContain(`certificate-authority-data: ${Buffer.from('CA').toString('base64')}`);
    expect(yaml).toContain(`client-key-data: ${Buffer.from('KEY').toString('base64')}`);
    expect(yaml).toContain('current-context: roundhouse');
  });
});

describe('subject', () => {
  it('puts groups in O and the user in CN, escaping separators', () => {
    expect(subject('roundhouse-admin', ['system:masters'])).toBe('/O=system:masters/CN=roundhouse-admin');
    expect(subject('a/b=c')).toBe('/CN=a\\/b\\=c');
  });
});

describe('runStages', () => {
  const defaults = [
    'apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata:\n  name: pod-ready\nspec:\n  selector:\n    matchExpressions:\n    - key: .status.phase\n      operator: In\n      values: [Pending]\n',
    "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata:\n  name: pod-complete\nspec:\n  selector:\n    matchExpressions:\n    - key: '.metadata.ownerReferences.[].kind'\n      operator: In\n      values: [Job]\n",
  ].join('---\n');
  type Doc = { metadata: { name: string }; spec: { selector: { matchExpressions: Array<{ key: string; operator: string }> }; next?: { statusTemplate?: string } } };
  const docs = parseAllDocuments(runStages(defaults)).map((d) => d.toJS() as Doc);
  const byName = (name: string): Doc | undefined => docs.find((d) => d.metadata.name === name);

  it("keeps kwok's stages and adds the exit-code stage", () => {
    expect(docs.map((d) => d.metadata.name)).toEqual(['pod-ready', 'pod-complete', 'roundhouse-pod-exit-code']);
    expect(byName('pod-ready')?.spec.selector.matchExpressions).toHaveLength(1);
  });

  it('keeps annotated pods away from pod-complete', () => {
    expect(byName('pod-complete')?.spec.selector.matchExpressions).toEqual(
      expect.arrayContaining([
        { key: `.metadata.annotations["${EXIT_CODE_ANNOTATION}"]`, operator: 'DoesNotExist' },
        { key: `.metadata.annotations["${HOLD_ANNOTATION}"]`, operator: 'DoesNotExist' },
      ]),
    );
  });

  it('fails the pod with the code from its annotation', () => {
    const stage = byName('roundhouse-pod-exit-code');
    expect(stage?.spec.selector.matchExpressions).toEqual(expect.arrayContaining([{ key: `.metadata.annotations["${EXIT_CODE_ANNOTATION}"]`, operator: 'Exists' }]));
    expect(stage?.spec.next?.statusTemplate).toContain(`index .metadata.annotations "${EXIT_CODE_ANNOTATION}"`);
    expect(stage?.spec.next?.statusTemplate).toContain('phase: Failed');
  });

  it('refuses defaults without a pod-complete stage', () => {
    expect(() => runStages('kind: Stage\nmetadata:\n  name: other\n')).toThrow(/no pod-complete stage/);
  });
});
