import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, errorCode } from '../errors';
import { catalogProblems, findModel, loadCatalog, parseCatalog, requireModel } from './index';
import { catalogText, minimalModel, problemsOf } from './test-helpers';

const repo = join(__dirname, '..', '..');

describe('config/catalog.yaml (the demo catalog)', () => {
  const catalog = loadCatalog(join(repo, 'config', 'catalog.yaml'));

  it('loads both models with durations in milliseconds', () => {
    expect(catalog.models.map((m) => m.id)).toEqual(['card-fraud', 'merchant-fraud']);
    const card = requireModel(catalog, 'card-fraud');
    expect(card.family).toBeNull();
    expect(card.data.labelMaturityMs).toBe(30_000);
    expect(card.data.scoreField).toBe('model_score');
    expect(card.data.features.map((f) => f.name)).toEqual([
      'amount', 'currency', 'merchant_category', 'country', 'card_age_days', 'is_new_device',
      'txn_count_1h', 'txn_count_24h', 'amount_sum_24h', 'distinct_merchants_24h', 'distance_from_home_km',
    ]);
    expect(card.triggers.drift.window).toEqual({ type: 'count', size: 2000, resolutionMs: 5000, allowedLatenessMs: 5000 });
    expect(card.triggers.cooldownMs).toBe(120_000);
    expect(card.training.deadlineMs).toBe(15 * 60_000);
    expect(card.training.lookbackMs).toBe(7 * 86_400_000);
    expect(card.evaluation.gates).toEqual([
      { metric: 'rocAuc', direction: 'higher', limit: 'min', value: 0.7, relativeToChampion: false },
      { metric: 'rocAuc', direction: 'higher', limit: 'maxDrop', value: 0.02, relativeToChampion: true },
      { metric: 'logLoss', direction: 'lower', limit: 'maxRelativeIncrease', value: 0.1, relativeToChampion: true },
    ]);
  });

  it('segments merchant-fraud by merchant_id, which is not a feature', () => {
    const family = requireModel(catalog, 'merchant-fraud');
    expect(family.family).toEqual({ segmentField: 'merchant_id', minMaturedLabels: 500, maxSegments: 50, shards: 16 });
    expect(family.data.features.some((f) => f.name === 'merchant_id')).toBe(false);
    expect(family.data.labelEventIdField).toBe('event_id');
  });

  it('points editors at the committed JSON Schema', () => {
    const firstLine = readFileSync(join(repo, 'config', 'catalog.yaml'), 'utf8').split('\n')[0];
    expect(firstLine).toBe('# yaml-language-server: $schema=../schemas/catalog.schema.json');
  });

  it('is deeply frozen', () => {
    const card = requireModel(catalog, 'card-fraud');
    for (const value of [catalog, catalog.models, card, card.data.features, card.data.features[0], card.triggers.drift.window, card.training.env, card.training.hyperparameters, card.evaluation.gates[0]]) {
      expect(Object.isFrozen(value)).toBe(true);
    }
    expect(() => {
      (card.training as { retries: number }).retries = 9;
    }).toThrow(TypeError);
    expect(() => {
      (catalog.models as unknown[]).push({});
    }).toThrow(TypeError);
  });
});

describe('a file with several distinct mistakes', () => {
  const file = join(__dirname, 'testdata', 'several-mistakes.yaml');

  function load(): unknown {
    try {
      loadCatalog(file);
    } catch (err) {
      return err;
    }
    throw new Error('expected the catalog to be refused');
  }

  it('yields exactly one problem per mistake, each with its path and line', () => {
    const err = load();
    expect(errorCode(err)).toBe(ErrorCodes.CATALOG_INVALID);
    const found = catalogProblems(err).map((p) => ({ path: p.path, line: p.line }));
    expect(found).toEqual([
      { path: 'models[0].data.labelMaturity', line: 9 }, // "30 days"
      { path: 'models[0].triggers.drift.threshold', line: 15 }, // negative psi threshold
      { path: 'models[0].training.imagePullPolicy', line: 17 }, // unknown key
      { path: 'models[0].training.resources.memory', line: 18 }, // "4 GB"
      { path: 'models[0].training.estimator', line: 20 }, // YAML duplicate key
      { path: 'models[0].evaluation.gates[0].metric', line: 23 }, // unknown metric
      { path: 'models[1].id', line: 24 }, // duplicate model id
    ]);
  });

  it('names what is wrong in each problem', () => {
    const messages = catalogProblems(load()).map((p) => p.message);
    expect(messages).toEqual([
      expect.stringContaining('"30 days"'),
      'a psi threshold must be > 0, got -0.1',
      'unknown key "imagePullPolicy"',
      expect.stringContaining('not a Kubernetes quantity: "4 GB"'),
      expect.stringContaining('duplicate key "estimator"'),
      expect.stringContaining('unknown metric "f1Score"'),
      'duplicate model id "card-fraud" (first at models[0])',
    ]);
  });

  it('lists every problem on its own line as <file>:<line>:<col> <path>: <message>', () => {
    const err = load() as Error;
    const lines = err.message.split('\n');
    expect(lines[0]).toBe(`catalog ${file} is invalid (7 problems):`);
    expect(lines).toHaveLength(8);
    expect(lines[1]).toBe(`${file}:9:7 models[0].data.labelMaturity: expected a duration such as 500ms, 30s, 15m, 6h, 30d or 2w, got "30 days"`);
    expect(lines[7]).toBe(`${file}:24:5 models[1].id: duplicate model id "card-fraud" (first at models[0])`);
  });
});

describe('YAML that cannot be read', () => {
  it('reports syntax errors with their line, and no schema noise', () => {
    const problems = problemsOf('version: 1\nmodels:\n  - id: a\n    data: { featureTopic: x\n  - id: b\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.line !== undefined && p.line >= 4)).toBe(true);
    expect(problems.some((p) => p.message.includes('required'))).toBe(false);
  });

  it('refuses an empty file', () => {
    expect(problemsOf('')).toEqual([{ path: '', message: 'expected object, got null' }]);
  });

  it('refuses a file it cannot read, with the same error code', () => {
    const missing = join(__dirname, 'testdata', 'no-such-file.yaml');
    expect(() => loadCatalog(missing)).toThrow(expect.objectContaining({ code: ErrorCodes.CATALOG_INVALID }));
  });
});

describe('defaults', () => {
  it('applies built-in defaults to a minimal model', () => {
    const [model] = parseCatalog(catalogText({ version: 1, models: [minimalModel()] }), 'min.yaml').models;
    expect(model).toBeDefined();
    if (model === undefined) return;
    expect(model.description).toBe('');
    expect(model.data).toMatchObject({ eventIdField: 'event_id', labelEventIdField: 'event_id', eventTimeField: 'event_time', labelTimeField: 'label_time', scoreField: null });
    expect(model.data.features[0]).toEqual({ name: 'amount', type: null, critical: false, drift: null });
    expect(model.triggers).toEqual({
      drift: {
        enabled: true,
        window: { type: 'time', sizeMs: 3_600_000, allowedLatenessMs: 300_000 },
        method: 'auto',
        threshold: null,
        minSamples: 1000,
        driftShare: 0.3,
        consecutiveWindows: 2,
        bootstrapEvents: 10_000,
        falseDiscoveryRate: 0.05,
        windowsPerFalseAlarm: 1000,
        minEffect: 0.02,
      },
      score: { enabled: false, method: 'auto', threshold: null }, // no scoreField
      fraudRate: { enabled: true, maxRelativeChange: 0.5, minLabels: 1000 },
      volume: { enabled: true, minNewLabels: 50_000 },
      performance: { enabled: false, metric: 'prAuc', maxDrop: 0.05, minRows: 1000, minPositives: 20, windowMs: 86_400_000, sampleRate: 0.1, maxSampled: 20_000 },
      maxAgeMs: 7 * 86_400_000,
      cooldownMs: 6 * 3_600_000,
      refire: { backoffMs: 3_600_000, maxBackoffMs: 86_400_000 },
    });
    expect(model.training).toEqual({
      image: 'ghcr.io/roundhouse/trainer:0.1.0',
      command: ['node', 'dist/services/trainer/main.js'],
      args: [],
      env: {},
      resources: { cpu: '1', memory: '2Gi', gpu: 0, gpuResource: 'nvidia.com/gpu' },
      nodeSelector: {},
      tolerations: [],
      priorityClassName: null,
      serviceAccountName: null,
      deadlineMs: 2 * 3_600_000,
      retries: 2,
      ttlAfterFinishedMs: 86_400_000,
      queue: null,
      inFlightPolicy: 'queue',
      holdout: { fraction: 0.2, validationFraction: 0 },
      lookbackMs: 90 * 86_400_000,
      estimator: 'logistic-regression',
      hyperparameters: {},
    });
    expect(model.evaluation).toEqual({
      gates: [{ metric: 'rocAuc', direction: 'higher', limit: 'maxDrop', value: 0.01, relativeToChampion: true }],
      minHoldoutRows: 1000,
      minHoldoutPositives: 50,
      maxCalibrationError: null,
      firstModel: 'gates-only',
    });
  });

  const withDefaults = {
    version: 1,
    defaults: {
      triggers: { drift: { window: { type: 'time', size: '1h', allowedLateness: '10m' }, minSamples: 200 }, cooldown: '1h' },
      training: {
        image: 'registry.local/trainer:2',
        env: { A: 'from-defaults', B: 'from-defaults' },
        nodeSelector: { pool: 'training' },
        tolerations: [{ key: 'gpu', operator: 'Exists' }],
        hyperparameters: { l2: 0.1, epochs: 5 },
        resources: { memory: '8Gi' },
      },
      evaluation: { gates: [{ metric: 'prAuc', min: 0.3 }], firstModel: 'promote' },
    },
    models: [
      minimalModel('plain'),
      {
        ...minimalModel('custom'),
        triggers: { drift: { window: { type: 'count', size: 500 } }, cooldown: '5m' },
        training: { env: { B: 'own', C: 3 }, tolerations: [], hyperparameters: { depth: 4 }, resources: { cpu: '4' }, queue: null },
        evaluation: { gates: [{ metric: 'logLoss', max: 0.2 }] },
      },
    ],
  };

  it('triggers.performance: inactive without a scoreField, even when enabled; active with one', () => {
    const base = minimalModel() as Record<string, unknown> & { data: object };
    const enabled = { ...base, triggers: { performance: { enabled: true, metric: 'logLoss', window: '6h' } } };
    const [without] = parseCatalog(catalogText({ version: 1, models: [enabled] }), 'p.yaml').models;
    expect(without!.triggers.performance).toMatchObject({ enabled: false, metric: 'logLoss', windowMs: 6 * 3_600_000 });
    const scored = { ...enabled, data: { ...base.data, scoreField: 'model_score' } };
    const [withScore] = parseCatalog(catalogText({ version: 1, models: [scored] }), 'p.yaml').models;
    expect(withScore!.triggers.performance).toEqual({ enabled: true, metric: 'logLoss', maxDrop: 0.05, minRows: 1000, minPositives: 20, windowMs: 6 * 3_600_000, sampleRate: 0.1, maxSampled: 20_000 });
  });

  it('merges the defaults block under every model', () => {
    const plain = requireModel(parseCatalog(catalogText(withDefaults), 'd.yaml'), 'plain');
    expect(plain.training.image).toBe('registry.local/trainer:2');
    expect(plain.training.env).toEqual({ A: 'from-defaults', B: 'from-defaults' });
    expect(plain.training.resources).toEqual({ cpu: '1', memory: '8Gi', gpu: 0, gpuResource: 'nvidia.com/gpu' });
    expect(plain.triggers.drift.window).toEqual({ type: 'time', sizeMs: 3_600_000, allowedLatenessMs: 600_000 });
    expect(plain.triggers.drift.minSamples).toBe(200);
    expect(plain.triggers.cooldownMs).toBe(3_600_000);
    expect(plain.evaluation.gates.map((g) => g.metric)).toEqual(['prAuc']);
    expect(plain.evaluation.firstModel).toBe('promote');
  });

  it("lets a model's own values win: maps merge by key, lists and whole values are replaced", () => {
    const custom = requireModel(parseCatalog(catalogText(withDefaults), 'd.yaml'), 'custom');
    expect(custom.training.env).toEqual({ A: 'from-defaults', B: 'own', C: '3' });
    expect(custom.training.nodeSelector).toEqual({ pool: 'training' });
    expect(custom.training.tolerations).toEqual([]);
    expect(custom.training.hyperparameters).toEqual({ depth: 4 });
    expect(custom.training.resources).toMatchObject({ cpu: '4', memory: '8Gi' });
    expect(custom.triggers.drift.window).toEqual({ type: 'count', size: 500, resolutionMs: 5000, allowedLatenessMs: 5000 });
    expect(custom.triggers.drift.minSamples).toBe(200);
    expect(custom.triggers.cooldownMs).toBe(300_000);
    expect(custom.evaluation.gates.map((g) => `${g.metric} ${g.limit}`)).toEqual(['logLoss max']);
  });

  it('reports a mistake in defaults once, at defaults, however many models inherit it', () => {
    const doc = {
      version: 1,
      defaults: { training: { deadline: 'soon', imag: 'x' }, triggers: { drift: { threshold: 0.3 } } },
      models: [minimalModel('a'), minimalModel('b'), minimalModel('c')],
    };
    expect(problemsOf(catalogText(doc)).map((p) => [p.path, p.line])).toEqual([
      ['defaults.training.deadline', 4],
      ['defaults.training.imag', 5],
      ['defaults.triggers.drift.threshold', 8], // threshold with the built-in method auto
    ]);
  });

  it("keeps a model's own mistake at the model even when defaults set the same field", () => {
    const doc = { version: 1, defaults: { training: { deadline: '1h' } }, models: [{ ...minimalModel(), training: { deadline: '1 hour' } }] };
    expect(problemsOf(catalogText(doc)).map((p) => p.path)).toEqual(['models[0].training.deadline']);
  });

  it('does not blame defaults for a window the model replaced whole', () => {
    const doc = {
      version: 1,
      defaults: { triggers: { drift: { window: { type: 'time', size: '1h' } } } },
      models: [{ ...minimalModel(), triggers: { drift: { window: { type: 'time', size: '5m', allowedLateness: '10m' } } } }],
    };
    expect(problemsOf(catalogText(doc)).map((p) => p.path)).toEqual(['models[0].triggers.drift.window.allowedLateness']);
  });
});

describe('findModel / requireModel', () => {
  const catalog = parseCatalog(catalogText({ version: 1, models: [minimalModel('a'), minimalModel('b')] }), 'f.yaml');

  it('finds by id', () => {
    expect(findModel(catalog, 'b')?.id).toBe('b');
    expect(findModel(catalog, 'zzz')).toBeUndefined();
  });

  it('requireModel throws NOT_FOUND for an unknown id', () => {
    expect(() => requireModel(catalog, 'zzz')).toThrow(expect.objectContaining({ code: ErrorCodes.NOT_FOUND }));
  });
});
