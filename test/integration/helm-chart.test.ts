/**
 * The Helm chart deploy/helm/roundhouse through the real helm CLI (v3.22.0,
 * built into the stack cache by test/stack/helm.ts): `helm lint --strict`,
 * `helm template` with the default values and with ci/all-on-values.yaml (every
 * toggle on) and ci/s3-values.yaml, values.schema.json refusing bad values by
 * field, equivalence with the kustomize base (the same objects, env
 * variables and security contexts as k8s/base renders to), and the rendered
 * dispatcher settings as services/dispatcher/settings.ts parses them.
 * No API server here: test/integration/helm.test.ts applies the renders to one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { parseCatalog } from '../../lib/catalog';
import { loadConfig } from '../../lib/config';
import { renderKustomization, type KubeObject } from '../../scripts/kustomize/render';
import { loadDispatcherSettings } from '../../services/dispatcher/settings';
import { CHART_DIR, chartFile, helm, helmBinary, renderChart, templateResult } from '../helpers/helm';
import { allEnvEntries, containersOf, effectiveEnv, field, find, kindCounts, list, ofKind, podSpec, type Obj } from '../helpers/rendered';

const ROOT = path.resolve(__dirname, '..', '..');
const SERVICES = ['trigger', 'dispatcher', 'evaluator'] as const;
const MONITORING_ON = ['monitoring.serviceMonitor.enabled=true', 'monitoring.prometheusRule.enabled=true', 'monitoring.dashboard.enabled=true'];
/** Variables whose values are credentials: they must come from a Secret, never be inlined. */
const SECRET_LIKE = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|ACCESS_KEY|PRIVATE_KEY|API_KEY)/;
/** Variables that name a Secret (or Secret keys) and hold none. */
const SECRET_NAMES = new Set(['DISPATCHER_TRAINER_ENV_SECRET', 'DISPATCHER_TRAINER_SECRET_REFS']);

const DEFAULT_KINDS = {
  ServiceAccount: 3, // dispatcher, evaluator, trainer
  Role: 2, // dispatcher, evaluator (its Lease)
  RoleBinding: 2,
  Deployment: 3,
  Service: 3,
  PodDisruptionBudget: 3,
  PersistentVolumeClaim: 1,
  NetworkPolicy: 4,
  ConfigMap: 2, // env, catalog
};

const deployment = (objects: readonly KubeObject[], service: string, prefix = 'roundhouse'): KubeObject => find(objects, 'Deployment', `${prefix}-${service}`);
const container = (objects: readonly KubeObject[], service: string): Obj => containersOf(deployment(objects, service))[0]!;
const envEntry = (c: Obj, name: string): Obj | undefined => list(c.env).find((e) => e.name === name);
const configMapData = (objects: readonly KubeObject[], name: string): Record<string, string> => find(objects, 'ConfigMap', name).data as Record<string, string>;

jest.setTimeout(120_000);

beforeAll(async () => {
  // A cold build takes minutes (`npx tsx test/stack/cli.ts prepare` does it before jest in CI).
  await helmBinary();
}, 30 * 60_000);

describe('helm lint --strict', () => {
  it.each([['the default values', []], ['ci/all-on-values.yaml', ['ci/all-on-values.yaml']], ['ci/s3-values.yaml', ['ci/s3-values.yaml']]])(
    'passes with %s, without warnings',
    async (_name, files) => {
      const result = await helm(['lint', '--strict', CHART_DIR, ...files.flatMap((f) => ['--values', chartFile(f)])]);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(result.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    },
  );
});

describe('helm template', () => {
  let defaults: KubeObject[];
  let allOn: KubeObject[];
  let s3: KubeObject[];

  beforeAll(async () => {
    [defaults, allOn, s3] = await Promise.all([
      renderChart({ namespace: 'rh-render' }),
      renderChart({ namespace: 'rh-render', valuesFiles: ['ci/all-on-values.yaml'] }),
      renderChart({ namespace: 'rh-render', valuesFiles: ['ci/s3-values.yaml'] }),
    ]);
  });

  it('renders the default values: the base objects, monitoring off', () => {
    expect(kindCounts(defaults)).toEqual(DEFAULT_KINDS);
  });

  it('renders every toggle on: ServiceMonitors, the PrometheusRule and the dashboard too', () => {
    expect(kindCounts(allOn)).toEqual({ ...DEFAULT_KINDS, ServiceMonitor: 3, PrometheusRule: 1, ConfigMap: 3 });
  });

  it('puts every object in the release namespace, with the release and extra labels', () => {
    for (const objects of [defaults, allOn, s3]) for (const o of objects) expect(`${o.kind}/${o.metadata.name} ${String(o.metadata.namespace)}`).toBe(`${o.kind}/${o.metadata.name} rh-render`);
    for (const o of allOn) {
      expect(field(o, 'metadata', 'labels', 'app.kubernetes.io/instance')).toBe('roundhouse');
      expect(field(o, 'metadata', 'labels', 'team')).toBe('fraud');
      expect(field(o, 'metadata', 'annotations', 'roundhouse.dev/owner')).toBe('fraud-platform');
    }
  });

  it('inlines no credential: every secret-looking variable comes from a Secret key', () => {
    for (const objects of [defaults, allOn, s3]) {
      for (const [where, entry] of allEnvEntries(objects)) {
        if (!SECRET_LIKE.test(String(entry.name))) continue;
        expect({ where, name: entry.name, value: entry.value, fromSecret: field(entry, 'valueFrom', 'secretKeyRef') !== undefined }).toEqual({
          where,
          name: entry.name,
          value: undefined,
          fromSecret: true,
        });
      }
      for (const cm of ofKind(objects, 'ConfigMap')) for (const key of Object.keys((cm.data as Obj | undefined) ?? {})) {
          if (!SECRET_NAMES.has(key)) expect(`${cm.metadata.name}: ${key}`).not.toMatch(SECRET_LIKE);
        }
    }
  });

  it('all on: Kafka and registry credentials by Secret reference in every service, settings in the env ConfigMap', () => {
    const env = configMapData(allOn, 'roundhouse-env');
    expect(env).toMatchObject({
      KAFKA_BROKERS: 'b-1.kafka.internal:9094,b-2.kafka.internal:9094',
      KAFKA_SSL: 'true',
      KAFKA_CLIENT_ID: 'roundhouse-prod',
      ROUNDHOUSE_TOPIC_PREFIX: 'prod.',
      KAFKA_TOPIC_PARTITIONS: '12',
      SCHEMA_REGISTRY_URL: 'https://registry.internal/apis/ccompat/v7',
      LOG_LEVEL: 'debug',
      DISPATCHER_MAX_CONCURRENT_RUNS: '4',
      DISPATCHER_TRAINER_ENV_SECRET: 'roundhouse-trainer-env',
      DISPATCHER_TRAINER_SECRET_REFS: 'KAFKA_SASL_USERNAME=roundhouse-trainer-kafka/username,KAFKA_SASL_PASSWORD=roundhouse-trainer-kafka/password',
      DISPATCHER_TRAINER_UID: '20001',
      DISPATCHER_TRAINER_SERVICE_ACCOUNT: 'roundhouse-trainer',
    });
    // Unset, the dispatcher's defaults hold (no refs, uid 10001): the defaults render neither.
    expect(Object.keys(configMapData(defaults, 'roundhouse-env')).filter((k) => k === 'DISPATCHER_TRAINER_SECRET_REFS' || k === 'DISPATCHER_TRAINER_UID')).toEqual([]);
    for (const service of SERVICES) {
      const c = container(allOn, service);
      const ref = (name: string): unknown => field(envEntry(c, name), 'valueFrom', 'secretKeyRef');
      expect([ref('KAFKA_SASL_USERNAME'), ref('KAFKA_SASL_PASSWORD'), ref('SCHEMA_REGISTRY_USERNAME'), ref('SCHEMA_REGISTRY_PASSWORD')]).toEqual([
        { name: 'roundhouse-kafka', key: 'username' },
        { name: 'roundhouse-kafka', key: 'password' },
        { name: 'roundhouse-registry', key: 'user' },
        { name: 'roundhouse-registry', key: 'pass' },
      ]);
      expect(c.image).toBe('registry.example.com/roundhouse/roundhouse:0.1.0');
      expect(c.imagePullPolicy).toBe('Always');
      expect(podSpec(deployment(allOn, service)).imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
      expect(list(c.env).filter((e) => e.name === 'NODE_OPTIONS')).toEqual([{ name: 'NODE_OPTIONS', value: '--enable-source-maps' }]);
      expect(list(c.envFrom)).toContainEqual({ configMapRef: { name: 'roundhouse-site', optional: true } });
      // No env entry twice (an extraEnv entry may override an envFrom key, never an env entry).
      const names = list(c.env).map((e) => e.name);
      expect(names).toEqual([...new Set(names)]);
    }
    expect(envEntry(container(allOn, 'trigger'), 'LOG_LEVEL')).toEqual({ name: 'LOG_LEVEL', value: 'info' });
    expect(envEntry(container(allOn, 'evaluator'), 'EVALUATOR_CATCH_UP_TIMEOUT')).toEqual({ name: 'EVALUATOR_CATCH_UP_TIMEOUT', value: '2m' });
    expect(field(envEntry(container(allOn, 'dispatcher'), 'DISPATCHER_API_TOKENS'), 'valueFrom', 'secretKeyRef')).toEqual({ name: 'roundhouse-api-tokens', key: 'tokens', optional: true });
    expect(field(deployment(allOn, 'trigger'), 'spec', 'replicas')).toBe(3);
    expect(podSpec(deployment(allOn, 'trigger')).nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(find(allOn, 'PersistentVolumeClaim', 'roundhouse-artifacts').spec).toEqual({ accessModes: ['ReadWriteMany'], storageClassName: 'nfs-client', resources: { requests: { storage: '100Gi' } } });
    expect(field(find(allOn, 'ServiceAccount', 'roundhouse-dispatcher'), 'metadata', 'annotations', 'example.com/role')).toBe('dispatcher');
  });

  it("the dispatcher: probes and /metrics on METRICS_PORT (9464), the API alone on DISPATCHER_PORT (8080), as k8s/base (issue 14)", () => {
    for (const objects of [defaults, allOn, s3]) {
      const env = configMapData(objects, 'roundhouse-env');
      expect([env.METRICS_PORT, env.DISPATCHER_PORT]).toEqual(['9464', '8080']);
      const c = container(objects, 'dispatcher');
      const portNamed = (name: unknown): unknown => list(c.ports).find((p) => p.name === name)?.containerPort;
      expect(list(c.ports).map((p) => [p.name, p.containerPort])).toEqual([
        ['http', 8080],
        ['metrics', 9464],
      ]);
      for (const [probe, probePath] of [['startupProbe', '/healthz'], ['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
        expect({ probe, path: field(c, probe, 'httpGet', 'path'), port: portNamed(field(c, probe, 'httpGet', 'port')) }).toEqual({ probe, path: probePath, port: Number(env.METRICS_PORT) });
      }
      // Prometheus may reach 9464 only, never the API; the API's policy opens 8080 only.
      const ingressPorts = (policy: string): unknown[] => list(field(find(objects, 'NetworkPolicy', `roundhouse-${policy}`), 'spec', 'ingress')).flatMap((rule) => list(rule.ports).map((p) => p.port));
      expect(ingressPorts('allow-prometheus')).toEqual([9464]);
      expect(ingressPorts('allow-dispatcher-api')).toEqual([8080]);
    }
  });

  it("the dispatcher parses the chart's environment as it would in the pod: trainer Secret references and uid (all on), its defaults otherwise", () => {
    const dispatcherEnv = (objects: KubeObject[]): Record<string, string> => ({
      ...configMapData(objects, 'roundhouse-env'),
      // What the pod adds besides the ConfigMap; the token's format is the dispatcher's (name:scope+scope:token).
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_NAMESPACE: 'rh-render',
      DISPATCHER_API_TOKENS: 'ci:read+submit:ci-token-0123456789',
    });
    const settingsOf = (objects: KubeObject[]) => {
      const env = dispatcherEnv(objects);
      return loadDispatcherSettings(env, loadConfig(env));
    };
    const allOnSettings = settingsOf(allOn);
    expect(allOnSettings.executor).toBe('kubernetes');
    expect(allOnSettings.kubernetes).toMatchObject({
      trainerEnvSecret: 'roundhouse-trainer-env',
      trainerServiceAccount: 'roundhouse-trainer',
      trainerUid: 20001,
      trainerSecretEnv: [
        { name: 'KAFKA_SASL_USERNAME', secretName: 'roundhouse-trainer-kafka', key: 'username', optional: false },
        { name: 'KAFKA_SASL_PASSWORD', secretName: 'roundhouse-trainer-kafka', key: 'password', optional: false },
      ],
    });
    expect(settingsOf(defaults).kubernetes).toMatchObject({ trainerEnvSecret: null, trainerUid: 10001, trainerSecretEnv: [] });
  });

  it('all on: monitoring objects select the Services, carry their labels, and ship the rules and the dashboard from their sources', () => {
    const monitors = ofKind(allOn, 'ServiceMonitor').map((m) => [
      m.metadata.name,
      field(m, 'metadata', 'labels', 'release'),
      field(m, 'spec', 'jobLabel'),
      field(m, 'spec', 'selector', 'matchLabels'),
      field(m, 'spec', 'endpoints', '0', 'port'),
      field(m, 'spec', 'endpoints', '0', 'interval'),
    ]);
    const selector = (service: string): Obj => ({ 'app.kubernetes.io/name': `roundhouse-${service}`, 'app.kubernetes.io/instance': 'roundhouse' });
    expect(monitors).toEqual([
      ['roundhouse-dispatcher', 'kube-prometheus-stack', 'app.kubernetes.io/name', selector('dispatcher'), 'metrics', '15s'],
      ['roundhouse-evaluator', 'kube-prometheus-stack', 'app.kubernetes.io/name', selector('evaluator'), 'metrics', '15s'],
      ['roundhouse-trigger', 'kube-prometheus-stack', 'app.kubernetes.io/name', selector('trigger'), 'metrics', '15s'],
    ]);
    // The Services have the ports the monitors name (9464 for every service), and the label jobLabel reads.
    for (const service of SERVICES) {
      const svc = find(allOn, 'Service', `roundhouse-${service}`);
      expect(field(svc, 'metadata', 'labels', 'app.kubernetes.io/name')).toBe(`roundhouse-${service}`);
      expect(list(field(svc, 'spec', 'ports')).map((p) => [p.name, p.port])).toEqual(service === 'dispatcher' ? [['http', 8080], ['metrics', 9464]] : [['metrics', 9464]]);
    }
    const rule = find(allOn, 'PrometheusRule', 'roundhouse');
    const source = parseYaml(readFileSync(path.join(ROOT, 'deploy', 'prometheus', 'rules', 'roundhouse.rules.yml'), 'utf8')) as Obj;
    expect(field(rule, 'spec', 'groups')).toEqual(source.groups);
    expect(field(rule, 'metadata', 'labels', 'release')).toBe('kube-prometheus-stack');
    const dashboard = find(allOn, 'ConfigMap', 'roundhouse-dashboard');
    expect(field(dashboard, 'metadata', 'labels', 'grafana_dashboard')).toBe('1');
    expect(field(dashboard, 'metadata', 'annotations', 'grafana_folder')).toBe('Roundhouse');
    expect(field(dashboard, 'data', 'roundhouse.json')).toBe(readFileSync(path.join(ROOT, 'deploy', 'grafana', 'dashboards', 'roundhouse.json'), 'utf8'));
  });

  it('the catalog: the demo catalog by default, or one from the values (inline or a file); each parses as the services parse it', async () => {
    expect(configMapData(defaults, 'roundhouse-catalog')['catalog.yaml']).toBe(readFileSync(path.join(ROOT, 'config', 'catalog.yaml'), 'utf8'));
    const inline = configMapData(allOn, 'roundhouse-catalog')['catalog.yaml']!;
    expect(parseCatalog(inline, 'inline').models.map((m) => m.id)).toEqual(['card-fraud']);
    // --set-file: the file's text, comments and all.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rh-helm-catalog-'));
    try {
      const allOnValues = parseYaml(readFileSync(chartFile('ci', 'all-on-values.yaml'), 'utf8')) as { catalog: { inline: unknown } };
      const file = path.join(dir, 'catalog.yaml');
      const text = `# our catalog: "quotes", {braces} and a {{ template }} that is not one\n${stringify(allOnValues.catalog.inline)}`;
      writeFileSync(file, text);
      const fromFile = await renderChart({ setFile: [`catalog.content=${file}`] });
      expect(configMapData(fromFile, 'roundhouse-catalog')['catalog.yaml']).toBe(text);
      expect(parseCatalog(text, file).models.map((m) => m.id)).toEqual(['card-fraud']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The env ConfigMap points the services at the mounted file.
    expect(configMapData(defaults, 'roundhouse-env').ROUNDHOUSE_CATALOG).toBe('/etc/roundhouse/catalog.yaml');
    for (const service of SERVICES) expect(list(container(defaults, service).volumeMounts).find((m) => m.name === 'catalog')?.mountPath).toBe('/etc/roundhouse');
  });

  it('a change of the catalog or the environment changes the pod templates (so the Deployments roll)', async () => {
    const annotations = (objects: KubeObject[]): unknown => field(deployment(objects, 'trigger'), 'spec', 'template', 'metadata', 'annotations');
    const catalogChanged = await renderChart({ namespace: 'rh-render', setFile: [`catalog.content=${path.join(ROOT, 'config', 'catalog.yaml')}`], set: ['logLevel=info'] });
    const envChanged = await renderChart({ namespace: 'rh-render', set: ['logLevel=warn'] });
    const base = annotations(defaults) as Record<string, string>;
    // --set-file of the same catalog text: same checksum. A different env: a different one.
    expect(annotations(catalogChanged)).toEqual(base);
    expect((annotations(envChanged) as Record<string, string>)['checksum/env']).not.toBe(base['checksum/env']);
    expect((annotations(envChanged) as Record<string, string>)['checksum/catalog']).toBe(base['checksum/catalog']);
    const otherCatalog = await renderChart({ namespace: 'rh-render', valuesFiles: ['ci/all-on-values.yaml'] });
    expect((annotations(otherCatalog) as Record<string, string>)['checksum/catalog']).not.toBe(base['checksum/catalog']);
  });

  it('s3: the root from bucket and prefix, keys by Secret reference for the evaluator, no claim anywhere, egress to the endpoint', () => {
    expect(configMapData(s3, 'roundhouse-env').ARTIFACT_ROOT).toBe('s3://roundhouse-artifacts/models/prod');
    expect(ofKind(s3, 'PersistentVolumeClaim')).toEqual([]);
    expect(envEntry(container(s3, 'dispatcher'), 'DISPATCHER_ARTIFACT_CLAIM')).toBeUndefined();
    expect(list(podSpec(deployment(s3, 'evaluator')).volumes).map((v) => v.name)).toEqual(['catalog', 'tmp']);
    const evaluator = container(s3, 'evaluator');
    expect(envEntry(evaluator, 'AWS_ENDPOINT_URL_S3')).toEqual({ name: 'AWS_ENDPOINT_URL_S3', value: 'http://seaweedfs-s3.storage.svc:8333' });
    expect(envEntry(evaluator, 'AWS_REGION')).toEqual({ name: 'AWS_REGION', value: 'us-east-1' });
    expect(field(envEntry(evaluator, 'AWS_ACCESS_KEY_ID'), 'valueFrom', 'secretKeyRef')).toEqual({ name: 'roundhouse-s3', key: 'access-key-id' });
    expect(field(envEntry(evaluator, 'AWS_SECRET_ACCESS_KEY'), 'valueFrom', 'secretKeyRef')).toEqual({ name: 'roundhouse-s3', key: 'secret-access-key' });
    for (const service of ['trigger', 'dispatcher']) expect(list(container(s3, service).env).filter((e) => String(e.name).startsWith('AWS_'))).toEqual([]);
    const egress = list(field(find(s3, 'NetworkPolicy', 'roundhouse-egress'), 'spec', 'egress'));
    expect(egress.flatMap((rule) => list(rule.ports).map((p) => p.port))).toContain(8333);
  });

  it('another release name prefixes every name; the component labels, which the rules and dashboard use, stay', async () => {
    const other = await renderChart({ release: 'fraud', namespace: 'rh-render', set: MONITORING_ON });
    const names = other.map((o) => o.metadata.name);
    for (const name of names) expect(name).toMatch(/^fraud-roundhouse(-|$)/);
    expect(field(deployment(other, 'trigger', 'fraud-roundhouse'), 'spec', 'template', 'metadata', 'labels', 'app.kubernetes.io/name')).toBe('roundhouse-trigger');
    expect(field(find(other, 'RoleBinding', 'fraud-roundhouse-dispatcher'), 'subjects')).toEqual([{ kind: 'ServiceAccount', name: 'fraud-roundhouse-dispatcher', namespace: 'rh-render' }]);
    // The Leases follow the release name, in the Roles and in the env alike.
    for (const service of ['dispatcher', 'evaluator']) {
      const lease = `fraud-roundhouse-${service}`;
      expect(list(find(other, 'Role', lease).rules).find((r) => list(r.resourceNames).length > 0)).toEqual({ apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [lease], verbs: ['get', 'update'] });
      expect(envEntry(containersOf(deployment(other, service, 'fraud-roundhouse'))[0]!, `${service.toUpperCase()}_LEASE_NAME`)).toEqual({ name: `${service.toUpperCase()}_LEASE_NAME`, value: lease });
    }
    expect(configMapData(other, 'fraud-roundhouse-env').DISPATCHER_TRAINER_SERVICE_ACCOUNT).toBe('fraud-roundhouse-trainer');
    expect(envEntry(containersOf(deployment(other, 'dispatcher', 'fraud-roundhouse'))[0]!, 'DISPATCHER_ARTIFACT_CLAIM')).toEqual({ name: 'DISPATCHER_ARTIFACT_CLAIM', value: 'fraud-roundhouse-artifacts' });
  });
});

describe('values.schema.json', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rh-helm-values-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const valuesFile = (name: string, values: unknown): string => {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, stringify(values));
    return file;
  };

  // [what, values, the field helm must name, what it must say about it]
  const refused: [string, unknown, string, RegExp][] = [
    ['a typo in a key', { trigger: { replica: 3 } }, '/trigger', /additional properties 'replica' not allowed/],
    ['negative replicas', { trigger: { replicas: -1 } }, '/trigger/replicas', /minimum/],
    ['negative dispatcher replicas', { dispatcher: { replicas: -1 } }, '/dispatcher/replicas', /minimum/],
    ['a typo in the evaluator ServiceAccount', { evaluator: { serviceAccount: { create: true, nmae: 'x' } } }, '/evaluator/serviceAccount', /additional properties 'nmae' not allowed/],
    ['a lease name the chart sets itself (the Role names it)', { dispatcher: { extraEnv: [{ name: 'DISPATCHER_LEASE_NAME', value: 'x' }] } }, '/dispatcher/extraEnv/0/name', /'not' failed/],
    ['replicas as text', { trigger: { replicas: 'two' } }, '/trigger/replicas', /want integer/],
    ['a broker without a port', { kafka: { brokers: ['kafka.internal'] } }, '/kafka/brokers/0', /does not match pattern/],
    ['no brokers', { kafka: { brokers: [] } }, '/kafka/brokers', /minItems/],
    ['a registry URL that is not http(s)', { schemaRegistry: { url: 'ftp://registry' } }, '/schemaRegistry/url', /does not match pattern/],
    ['an unknown log level', { logLevel: 'chatty' }, '/logLevel', /value must be one of/],
    ['an unknown pull policy', { image: { pullPolicy: 'Sometimes' } }, '/image/pullPolicy', /value must be one of/],
    ['s3 without a bucket', { artifacts: { type: 's3' } }, '/artifacts/s3/bucket', /minLength/],
    ['an unknown artifact store', { artifacts: { type: 'gcs' } }, '/artifacts/type', /value must be one of/],
    ['a relative artifact path', { artifacts: { file: { path: 'artifacts' } } }, '/artifacts/file/path', /does not match pattern/],
    ['a Secret name that is not a Kubernetes name', { kafka: { sasl: { existingSecret: 'Kafka_Creds' } } }, '/kafka/sasl/existingSecret', /does not match pattern/],
    ['an inline password in extraEnv', { extraEnv: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }, '/extraEnv/0/value', /false schema/],
    ['an inline access key in a service extraEnv', { evaluator: { extraEnv: [{ name: 'MY_ACCESS_KEY', value: 'AKIA…' }] } }, '/evaluator/extraEnv/0/value', /false schema/],
    ['an extraEnv entry the chart already sets', { dispatcher: { extraEnv: [{ name: 'KUBERNETES_NAMESPACE', value: 'x' }] } }, '/dispatcher/extraEnv/0/name', /'not' failed/],
    ['both catalog.content and catalog.inline', { catalog: { content: 'version: 1\n', inline: { version: 1 } } }, '/catalog/inline', /maxProperties/],
    ['a borrowed ServiceAccount without a name', { dispatcher: { serviceAccount: { create: false } } }, '/dispatcher/serviceAccount/name', /minLength/],
    ['a scrape interval Prometheus cannot read', { monitoring: { serviceMonitor: { interval: '30 seconds' } } }, '/monitoring/serviceMonitor/interval', /does not match pattern/],
    ['a trainer Secret reference without a key', { dispatcher: { trainerSecretRefs: [{ name: 'KAFKA_SASL_PASSWORD', secret: 'trainer' }] } }, '/dispatcher/trainerSecretRefs/0', /missing property 'key'/],
    ['a trainer variable name that is not one', { dispatcher: { trainerSecretRefs: [{ name: 'KAFKA-PASSWORD', secret: 'trainer', key: 'p' }] } }, '/dispatcher/trainerSecretRefs/0/name', /does not match pattern/],
    ['training pods as root', { dispatcher: { trainerUid: 0 } }, '/dispatcher/trainerUid', /minimum: got 0, want 1/],
    ['a resource quantity that is not one', { trigger: { resources: { limits: { memory: 'lots' } } } }, '/trigger/resources/limits/memory', /anyOf/],
    ['an egress port out of range', { networkPolicy: { egress: { kafka: { cidrs: ['10.0.0.0/8'], ports: [90920] } } } }, '/networkPolicy/egress/kafka/ports/0', /maximum/],
  ];

  it.each(refused)('refuses %s, naming the field', async (name, values, at, reason) => {
    const result = await templateResult({ valuesFiles: [valuesFile(name.replace(/\W+/g, '-'), values)] });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    const line = result.stderr.split('\n').find((l) => l.includes(`at '${at}'`));
    expect({ stderr: result.stderr, named: line !== undefined }).toEqual({ stderr: result.stderr, named: true });
    expect(result.stderr.slice(result.stderr.indexOf(`at '${at}'`))).toMatch(reason);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
  });

  it('accepts a secret-looking variable taken from a Secret, and an override of an envFrom key', async () => {
    const result = await templateResult({
      valuesFiles: [valuesFile('ok', { extraEnv: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }, { name: 'LOG_LEVEL', value: 'warn' }] })],
    });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe('equivalence with the kustomize base (k8s/base)', () => {
  let base: KubeObject[];
  let chart: KubeObject[];
  let chartDefaults: KubeObject[];
  /** kustomize suffixes generated ConfigMaps with a content hash; the chart rolls pods with checksum annotations instead. */
  const unhashed = (name: string): string => name.replace(/^(roundhouse-(?:env|catalog))-[a-z0-9]{10}$/, '$1');
  const kindNames = (objects: readonly KubeObject[]): string[] => objects.map((o) => `${o.kind}/${unhashed(o.metadata.name)}`).sort();

  beforeAll(async () => {
    // Not the guard rails of k8s/policy (the Namespace, the job policy, its binding and
    // parameters): the chart leaves the namespace to `helm install --create-namespace` or its
    // owner, and the policy names the dispatcher's ServiceAccount roundhouse-dispatcher
    // (docs/deployment.md, "Guard rails": with the chart, apply k8s/policy beside it).
    const guardRails = renderKustomization(path.join(ROOT, 'k8s', 'policy'), { namespace: 'roundhouse' }).map((o) => `${o.kind}/${o.metadata.name}`);
    base = renderKustomization(path.join(ROOT, 'k8s', 'base'), { namespace: 'roundhouse' }).filter((o) => !guardRails.includes(`${o.kind}/${o.metadata.name}`));
    [chart, chartDefaults] = await Promise.all([renderChart({ set: MONITORING_ON }), renderChart()]);
  });

  it('the same kinds and names (release "roundhouse", monitoring on)', () => {
    expect(kindNames(chart)).toEqual(kindNames(base));
  });

  it('the default values: the same, minus the monitoring objects (which need the Prometheus Operator CRDs)', () => {
    const monitoring = base.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/') || o.metadata.name === 'roundhouse-dashboard');
    expect(kindNames(monitoring)).toEqual(['ConfigMap/roundhouse-dashboard', 'PrometheusRule/roundhouse', 'ServiceMonitor/roundhouse-dispatcher', 'ServiceMonitor/roundhouse-evaluator', 'ServiceMonitor/roundhouse-trigger']);
    expect(kindNames(chartDefaults)).toEqual(kindNames(base.filter((o) => !monitoring.includes(o))));
  });

  it.each(SERVICES)('%s: the same container env variable names (env and envFrom ConfigMap keys), with the same values', (service) => {
    const ours = container(chart, service);
    const theirs = containersOf(find(base, 'Deployment', `roundhouse-${service}`))[0]!;
    expect(effectiveEnv(chart, ours).names).toEqual(effectiveEnv(base, theirs).names);
    // The env entries themselves (downward API, the API token Secret, the claim) are the same.
    const byName = (c: Obj): Obj[] => [...list(c.env)].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    expect(byName(ours)).toEqual(byName(theirs));
    // The base also takes the optional Secret roundhouse-credentials whole (envFrom, keys unknown);
    // the chart references credentials key by key instead (kafka.sasl, schemaRegistry.auth, extraEnvFrom).
    expect(effectiveEnv(base, theirs).secretsFrom).toEqual(['roundhouse-credentials']);
    expect(effectiveEnv(chart, ours).secretsFrom).toEqual([]);
  });

  it('the same env ConfigMap data', () => {
    const theirs = ofKind(base, 'ConfigMap').find((o) => unhashed(o.metadata.name) === 'roundhouse-env')!;
    expect(configMapData(chart, 'roundhouse-env')).toEqual(theirs.data);
  });

  it.each(SERVICES)('%s: the same pod and container securityContexts', (service) => {
    const ours = deployment(chart, service);
    const theirs = find(base, 'Deployment', `roundhouse-${service}`);
    expect(podSpec(ours).securityContext).toEqual(podSpec(theirs).securityContext);
    expect(containersOf(ours).map((c) => [c.name, c.securityContext])).toEqual(containersOf(theirs).map((c) => [c.name, c.securityContext]));
  });

  it.each(SERVICES)('%s: the same image, command, probes, ports, resources, mounts, volumes, identity, replicas and strategy', (service) => {
    const ours = deployment(chart, service);
    const theirs = find(base, 'Deployment', `roundhouse-${service}`);
    const CONTAINER = ['name', 'image', 'imagePullPolicy', 'command', 'ports', 'startupProbe', 'livenessProbe', 'readinessProbe', 'resources', 'volumeMounts'];
    const POD = ['serviceAccountName', 'automountServiceAccountToken', 'enableServiceLinks', 'terminationGracePeriodSeconds'];
    const pick = (o: Obj, keys: string[]): Obj => Object.fromEntries(keys.map((k) => [k, o[k]]));
    const volumes = (d: KubeObject): unknown => JSON.parse(JSON.stringify(list(podSpec(d).volumes)).replace(/"(roundhouse-(?:env|catalog))-[a-z0-9]{10}"/g, '"$1"'));
    expect(containersOf(ours).map((c) => pick(c, CONTAINER))).toEqual(containersOf(theirs).map((c) => pick(c, CONTAINER)));
    expect(pick(podSpec(ours), POD)).toEqual(pick(podSpec(theirs), POD));
    expect(volumes(ours)).toEqual(volumes(theirs));
    expect([field(ours, 'spec', 'replicas'), field(ours, 'spec', 'strategy')]).toEqual([field(theirs, 'spec', 'replicas'), field(theirs, 'spec', 'strategy')]);
  });

  it('the same RBAC rules, Service ports, budgets and network policy rules', () => {
    for (const name of ['roundhouse-dispatcher', 'roundhouse-evaluator']) {
      expect(find(chart, 'Role', name).rules).toEqual(find(base, 'Role', name).rules);
      expect(find(chart, 'RoleBinding', name).subjects).toEqual(find(base, 'RoleBinding', name).subjects);
    }
    // Leader and standby spread over nodes, each selecting its own Deployment's pods (the chart's selector adds the instance).
    for (const service of ['dispatcher', 'evaluator']) {
      const spread = (d: KubeObject): Obj[] => list(podSpec(d).topologySpreadConstraints).map(({ labelSelector, ...rest }) => ({ ...rest, selectsOwnPods: JSON.stringify(labelSelector) === JSON.stringify(field(d, 'spec', 'selector')) }));
      expect(spread(deployment(chart, service))).toEqual(spread(find(base, 'Deployment', `roundhouse-${service}`)));
      expect(spread(deployment(chart, service))).toEqual([{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', selectsOwnPods: true }]);
    }
    expect(find(chart, 'ServiceAccount', 'roundhouse-trainer').automountServiceAccountToken).toBe(false);
    for (const service of SERVICES) {
      expect(field(find(chart, 'Service', `roundhouse-${service}`), 'spec', 'ports')).toEqual(field(find(base, 'Service', `roundhouse-${service}`), 'spec', 'ports'));
      expect(field(find(chart, 'PodDisruptionBudget', `roundhouse-${service}`), 'spec', 'maxUnavailable')).toBe(field(find(base, 'PodDisruptionBudget', `roundhouse-${service}`), 'spec', 'maxUnavailable'));
    }
    for (const policy of ofKind(base, 'NetworkPolicy')) {
      const ours = find(chart, 'NetworkPolicy', policy.metadata.name);
      for (const key of ['policyTypes', 'ingress', 'egress']) expect([policy.metadata.name, key, field(ours, 'spec', key)]).toEqual([policy.metadata.name, key, field(policy, 'spec', key)]);
    }
    expect(find(chart, 'PersistentVolumeClaim', 'roundhouse-artifacts').spec).toEqual(find(base, 'PersistentVolumeClaim', 'roundhouse-artifacts').spec);
  });
});
