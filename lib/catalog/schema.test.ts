/**
 * One row per rule: a minimal valid catalog with one thing changed must yield
 * exactly one problem, at the expected path, saying the expected thing.
 */
import { catalogText, minimalModel, problemsOf } from './test-helpers';

type Doc = Record<string, unknown>;
type Model = Record<string, unknown>;

function withModel(edit: (model: Model) => void): Doc {
  const model = structuredClone(minimalModel());
  edit(model);
  return { version: 1, models: [model] };
}

const data = (m: Model): Record<string, unknown> => m.data as Record<string, unknown>;
const features = (m: Model): Array<Record<string, unknown>> => data(m).features as Array<Record<string, unknown>>;

describe('catalog rules', () => {
  it('accepts the minimal model', () => {
    expect(problemsOf(catalogText(withModel(() => undefined)))).toEqual([]);
  });

  const cases: Array<[string, Doc, string, string | RegExp]> = [
    ['unknown top-level key', { version: 1, model: [], models: [minimalModel()] }, 'model', 'unknown key "model"'],
    ['wrong version', { version: 2, models: [minimalModel()] }, 'version', 'version must be 1'],
    ['no models', { version: 1, models: [] }, 'models', 'at least one model'],
    ['missing required field', withModel((m) => delete data(m).labelField), 'models[0].data.labelField', 'required'],
    ['missing duration', withModel((m) => delete data(m).labelMaturity), 'models[0].data.labelMaturity', 'required'],
    ['model id with capitals', withModel((m) => (m.id = 'Card_Fraud')), 'models[0].id', /\[a-z0-9-\]/],
    ['model id too long', withModel((m) => (m.id = 'a'.repeat(41))), 'models[0].id', 'at most 40 characters'],
    ['bad topic name', withModel((m) => (data(m).featureTopic = 'fraud features')), 'models[0].data.featureTopic', 'not a Kafka topic name'],
    ['bad field name', withModel((m) => (data(m).labelField = 'is-fraud')), 'models[0].data.labelField', 'not an Avro field name'],
    ['duration as number', withModel((m) => (data(m).labelMaturity = 30)), 'models[0].data.labelMaturity', 'expected a duration'],
    ['no features', withModel((m) => (data(m).features = [])), 'models[0].data.features', 'at least one feature'],
    ['duplicate feature', withModel((m) => features(m).push({ name: 'amount' })), 'models[0].data.features[2].name', 'duplicate feature "amount"'],
    ['label field as feature', withModel((m) => features(m).push({ name: 'is_fraud' })), 'models[0].data.features[2].name', /is the labelField/],
    ['event id as feature', withModel((m) => features(m).push({ name: 'event_id' })), 'models[0].data.features[2].name', /is the eventIdField/],
    ['event time as feature', withModel((m) => features(m).push({ name: 'event_time' })), 'models[0].data.features[2].name', /is the eventTimeField/],
    ['score as feature', withModel((m) => { data(m).scoreField = 'amount'; }), 'models[0].data.features[0].name', /is the scoreField/],
    ['bad feature type', withModel((m) => (features(m)[0] = { name: 'amount', type: 'number' })), 'models[0].data.features[0].type', /"numeric" \| "categorical"/],
    ['empty feature drift', withModel((m) => (features(m)[0] = { name: 'amount', drift: {} })), 'models[0].data.features[0].drift', 'give a method, a threshold or a minEffect'],
    ['feature minEffect of 1', withModel((m) => (features(m)[0] = { name: 'amount', drift: { minEffect: 1 } })), 'models[0].data.features[0].drift.minEffect', 'must be < 1'],
    ['feature minEffect with its own method', withModel((m) => (features(m)[0] = { name: 'amount', drift: { method: 'psi', minEffect: 0.1 } })), 'models[0].data.features[0].drift.minEffect', 'minEffect applies only to a feature under the false-alarm budget (drift method auto, no threshold); this one is tested by psi'],
    ['feature minEffect under a model method', withModel((m) => { m.triggers = { drift: { method: 'wasserstein' } }; features(m)[0] = { name: 'amount', drift: { minEffect: 0.1 } }; features(m)[1] = { name: 'country', type: 'categorical', drift: { method: 'chisquare' } }; }), 'models[0].data.features[0].drift.minEffect', 'this one is tested by wasserstein'],
    ['feature minEffect without a budget', withModel((m) => { m.triggers = { drift: { windowsPerFalseAlarm: null } }; features(m)[0] = { name: 'amount', drift: { minEffect: 0.1 } }; }), 'models[0].data.features[0].drift.minEffect', 'triggers.drift.windowsPerFalseAlarm is null (no false-alarm budget), so minEffect is not used'],
    ['feature threshold with auto', withModel((m) => (features(m)[0] = { name: 'amount', drift: { threshold: 0.3 } })), 'models[0].data.features[0].drift.threshold', /concrete method/],
    ['feature threshold out of range', withModel((m) => (features(m)[0] = { name: 'amount', drift: { method: 'ks', threshold: 1.5 } })), 'models[0].data.features[0].drift.threshold', 'a ks threshold must be in (0, 1), got 1.5'],
    ['feature method for the wrong type', withModel((m) => (features(m)[1] = { name: 'country', type: 'categorical', drift: { method: 'ks' } })), 'models[0].data.features[1].drift.method', 'ks does not apply to categorical features'],
    ['model method for the wrong type', withModel((m) => (m.triggers = { drift: { method: 'wasserstein' } })), 'models[0].data.features[1].type', /wasserstein does not apply to categorical/],
    ['family without segmentField', withModel((m) => (m.family = { minMaturedLabels: 10 })), 'models[0].family.segmentField', 'required'],
    ['segment field is a feature', withModel((m) => (m.family = { segmentField: 'country' })), 'models[0].family.segmentField', /cannot also be a feature/],
    ['window type', withModel((m) => (m.triggers = { drift: { window: { type: 'sliding', size: 10 } } })), 'models[0].triggers.drift.window.type', /"time" or "count"/],
    ['count window with a duration', withModel((m) => (m.triggers = { drift: { window: { type: 'count', size: '1h' } } })), 'models[0].triggers.drift.window.size', 'expected number, got "1h"'],
    ['fractional count window', withModel((m) => (m.triggers = { drift: { window: { type: 'count', size: 10.5 }, minSamples: 5, bootstrapEvents: 5 } })), 'models[0].triggers.drift.window.size', 'must be a whole number'],
    ['lateness ≥ window', withModel((m) => (m.triggers = { drift: { window: { type: 'time', size: '5m', allowedLateness: '5m' } } })), 'models[0].triggers.drift.window.allowedLateness', /shorter than the window size/],
    ['time hop not dividing the window', withModel((m) => (m.triggers = { drift: { window: { type: 'time', size: '1h', hop: '7m' } } })), 'models[0].triggers.drift.window.hop', 'hop must divide the window size (3600000 ms), got 420000 ms'],
    ['time hop too fine', withModel((m) => (m.triggers = { drift: { window: { type: 'time', size: '1h', hop: '1m' } } })), 'models[0].triggers.drift.window.hop', /at most 20 per window .*got 60/],
    ['count hop above the window', withModel((m) => (m.triggers = { drift: { window: { type: 'count', size: 2000, hop: 3000 } } })), 'models[0].triggers.drift.window.hop', 'hop must not exceed the window size (2000), got 3000'],
    ['count hop too fine', withModel((m) => (m.triggers = { drift: { window: { type: 'count', size: 2000, hop: 50 } } })), 'models[0].triggers.drift.window.hop', /at least size \/ 20 \(100\)/],
    ['windowsPerFalseAlarm of 0', withModel((m) => (m.triggers = { drift: { windowsPerFalseAlarm: 0 } })), 'models[0].triggers.drift.windowsPerFalseAlarm', /./],
    ['minEffect of 1', withModel((m) => (m.triggers = { drift: { minEffect: 1 } })), 'models[0].triggers.drift.minEffect', 'must be < 1'],
    ['zero window', withModel((m) => (m.triggers = { drift: { window: { type: 'time', size: '0s' } } })), 'models[0].triggers.drift.window.size', 'must be longer than 0'],
    ['minSamples > count window', withModel((m) => (m.triggers = { drift: { window: { type: 'count', size: 500 } } })), 'models[0].triggers.drift.minSamples', /exceeds the count window size \(500\)/],
    ['refire cap below its backoff', withModel((m) => (m.triggers = { refire: { backoff: '2h', maxBackoff: '1h' } })), 'models[0].triggers.refire.maxBackoff', 'maxBackoff must be at least backoff'],
    ['refire backoff of zero', withModel((m) => (m.triggers = { refire: { backoff: '0s' } })), 'models[0].triggers.refire.backoff', 'must be longer than 0'],
    ['bootstrap < minSamples', withModel((m) => (m.triggers = { drift: { bootstrapEvents: 10 } })), 'models[0].triggers.drift.bootstrapEvents', 'bootstrapEvents (10) must be at least minSamples (1000)'],
    ['threshold with auto', withModel((m) => (m.triggers = { drift: { threshold: 0.2 } })), 'models[0].triggers.drift.threshold', /concrete method/],
    ['psi threshold 0', withModel((m) => (m.triggers = { drift: { method: 'psi', threshold: 0 } })), 'models[0].triggers.drift.threshold', 'a psi threshold must be > 0, got 0'],
    ['jensenshannon threshold ≥ 1', withModel((m) => (m.triggers = { drift: { method: 'jensenshannon', threshold: 1 } })), 'models[0].triggers.drift.threshold', 'a jensenshannon threshold must be in (0, 1), got 1'],
    ['z test on a numeric feature', withModel((m) => (features(m)[0] = { name: 'amount', type: 'numeric', drift: { method: 'z' } })), 'models[0].data.features[0].drift.method', 'z does not apply to numeric features'],
    ['chisquare threshold of 1', withModel((m) => (features(m)[1] = { name: 'country', drift: { method: 'chisquare', threshold: 1 } })), 'models[0].data.features[1].drift.threshold', 'a chisquare threshold must be in (0, 1), got 1'],
    ['unknown drift method', withModel((m) => (m.triggers = { drift: { method: 'jensen_shannon' } })), 'models[0].triggers.drift.method', /expected "auto" \| "psi" \| "ks" \| "jensenshannon"/],
    ['driftShare 0', withModel((m) => (m.triggers = { drift: { driftShare: 0 } })), 'models[0].triggers.drift.driftShare', /> 0/],
    ['FDR of 1', withModel((m) => (m.triggers = { drift: { falseDiscoveryRate: 1 } })), 'models[0].triggers.drift.falseDiscoveryRate', 'must be < 1'],
    ['score method chisquare', withModel((m) => (m.triggers = { score: { method: 'chisquare' } })), 'models[0].triggers.score.method', /expected "auto" \| "psi"/],
    ['score threshold negative', withModel((m) => (m.triggers = { score: { method: 'wasserstein', threshold: -1 } })), 'models[0].triggers.score.threshold', /wasserstein threshold must be > 0/],
    ['fraud rate change 0', withModel((m) => (m.triggers = { fraudRate: { maxRelativeChange: 0 } })), 'models[0].triggers.fraudRate.maxRelativeChange', /> 0/],
    ['performance metric unknown', withModel((m) => (m.triggers = { performance: { metric: 'rocAuc' } })), 'models[0].triggers.performance.metric', /expected "prAuc" \| "recallAt1PctFpr" \| "logLoss"/],
    ['performance minPositives > minRows', withModel((m) => (m.triggers = { performance: { minRows: 10, minPositives: 20 } })), 'models[0].triggers.performance.minPositives', 'minPositives (20) must not exceed minRows (10)'],
    ['performance maxDrop > 1 on prAuc', withModel((m) => (m.triggers = { performance: { maxDrop: 1.5 } })), 'models[0].triggers.performance.maxDrop', 'maxDrop must be at most 1 for prAuc (a metric in [0, 1]), got 1.5'],
    ['performance maxDrop negative', withModel((m) => (m.triggers = { performance: { metric: 'logLoss', maxDrop: -0.1 } })), 'models[0].triggers.performance.maxDrop', 'must be ≥ 0'],
    ['performance sampleRate 0', withModel((m) => (m.triggers = { performance: { sampleRate: 0 } })), 'models[0].triggers.performance.sampleRate', 'must be > 0'],
    ['performance sampleRate above 1', withModel((m) => (m.triggers = { performance: { sampleRate: 1.5 } })), 'models[0].triggers.performance.sampleRate', 'must be ≤ 1'],
    ['performance minRows > maxSampled', withModel((m) => (m.triggers = { performance: { minRows: 500, maxSampled: 100 } })), 'models[0].triggers.performance.minRows', 'minRows (500) exceeds maxSampled (100), so the metric would never be judged'],
    ['performance window 0', withModel((m) => (m.triggers = { performance: { window: '0s' } })), 'models[0].triggers.performance.window', 'must be longer than 0'],
    ['maxAge 0', withModel((m) => (m.triggers = { maxAge: '0d' })), 'models[0].triggers.maxAge', 'must be longer than 0'],
    ['memory in milli-bytes', withModel((m) => (m.training = { resources: { memory: '512m' } })), 'models[0].training.resources.memory', 'did you mean "512Mi"'],
    ['zero cpu', withModel((m) => (m.training = { resources: { cpu: '0' } })), 'models[0].training.resources.cpu', 'cpu must be greater than 0'],
    ['cpu as a number', withModel((m) => (m.training = { resources: { cpu: 2 } })), 'models[0].training.resources.cpu', /Kubernetes quantity string/],
    ['negative gpu', withModel((m) => (m.training = { resources: { gpu: -1 } })), 'models[0].training.resources.gpu', /≥ 0/],
    ['reserved env name', withModel((m) => (m.training = { env: { ROUNDHOUSE_MODEL_ID: 'x' } })), 'models[0].training.env.ROUNDHOUSE_MODEL_ID', /reserved/],
    ['env value as a map', withModel((m) => (m.training = { env: { A: { b: 1 } } })), 'models[0].training.env.A', /.+/],
    ['bad node selector key', withModel((m) => (m.training = { nodeSelector: { 'bad key': 'x' } })), 'models[0].training.nodeSelector["bad key"]', /label key/],
    ['toleration Exists with value', withModel((m) => (m.training = { tolerations: [{ key: 'gpu', operator: 'Exists', value: 'x' }] })), 'models[0].training.tolerations[0].value', 'operator Exists takes no value'],
    ['toleration Equal without key', withModel((m) => (m.training = { tolerations: [{ value: 'x' }] })), 'models[0].training.tolerations[0].key', 'operator Equal needs a key'],
    ['toleration effect', withModel((m) => (m.training = { tolerations: [{ key: 'k', effect: 'NoRun' }] })), 'models[0].training.tolerations[0].effect', /NoSchedule/],
    ['tolerationSeconds without NoExecute', withModel((m) => (m.training = { tolerations: [{ key: 'k', tolerationSeconds: 5 }] })), 'models[0].training.tolerations[0].tolerationSeconds', /NoExecute/],
    ['service account name', withModel((m) => (m.training = { serviceAccountName: 'Trainer' })), 'models[0].training.serviceAccountName', /Kubernetes object name/],
    ['deadline under a second', withModel((m) => (m.training = { deadline: '500ms' })), 'models[0].training.deadline', 'must be at least 1s, got 500ms'],
    ['retries negative', withModel((m) => (m.training = { retries: -1 })), 'models[0].training.retries', /≥ 0/],
    ['in-flight policy', withModel((m) => (m.training = { inFlightPolicy: 'drop' })), 'models[0].training.inFlightPolicy', /"queue" \| "supersede"/],
    ['holdout fraction 0', withModel((m) => (m.training = { holdout: { fraction: 0 } })), 'models[0].training.holdout.fraction', 'must be > 0'],
    ['holdout + validation ≥ 1', withModel((m) => (m.training = { holdout: { fraction: 0.6, validationFraction: 0.4 } })), 'models[0].training.holdout.validationFraction', /must be < 1 \(got 0.6 \+ 0.4\)/],
    ['lookback ≤ maturity', withModel((m) => (m.training = { lookback: '30d' })), 'models[0].training.lookback', /longer than data.labelMaturity/],
    ['command empty', withModel((m) => (m.training = { command: [] })), 'models[0].training.command', /at least 1/],
    ['gate without limit', withModel((m) => (m.evaluation = { gates: [{ metric: 'rocAuc' }] })), 'models[0].evaluation.gates[0]', 'a gate on rocAuc needs one limit: min, maxDrop, maxRelativeDrop'],
    ['gate with two limits', withModel((m) => (m.evaluation = { gates: [{ metric: 'rocAuc', min: 0.7, maxDrop: 0.01 }] })), 'models[0].evaluation.gates[0].maxDrop', /one limit per gate/],
    ['gate in the wrong direction', withModel((m) => (m.evaluation = { gates: [{ metric: 'logLoss', min: 0.1 }] })), 'models[0].evaluation.gates[0].min', 'logLoss is lower-is-better: use max, maxIncrease, maxRelativeIncrease'],
    ['gate above the metric range', withModel((m) => (m.evaluation = { gates: [{ metric: 'prAuc', min: 1.2 }] })), 'models[0].evaluation.gates[0].min', /≤ 1/],
    ['negative gate drop', withModel((m) => (m.evaluation = { gates: [{ metric: 'rocAuc', maxDrop: -0.01 }] })), 'models[0].evaluation.gates[0].maxDrop', /≥ 0/],
    ['duplicate gate', withModel((m) => (m.evaluation = { gates: [{ metric: 'brier', max: 0.2 }, { metric: 'brier', max: 0.1 }] })), 'models[0].evaluation.gates[1]', /already set by gates\[0\]/],
    ['unknown gate key', withModel((m) => (m.evaluation = { gates: [{ metric: 'brier', below: 0.2 }] })), 'models[0].evaluation.gates[0].below', 'unknown key "below"'],
    ['positives > rows', withModel((m) => (m.evaluation = { minHoldoutRows: 10 })), 'models[0].evaluation.minHoldoutPositives', /cannot exceed minHoldoutRows/],
    ['calibration error 0', withModel((m) => (m.evaluation = { maxCalibrationError: 0 })), 'models[0].evaluation.maxCalibrationError', 'must be > 0'],
    ['first-model policy', withModel((m) => (m.evaluation = { firstModel: 'ask' })), 'models[0].evaluation.firstModel', /"promote" \| "reject" \| "gates-only"/],
  ];

  it.each(cases)('%s', (_name, doc, path, message) => {
    const problems = problemsOf(catalogText(doc));
    expect(problems.map((p) => p.path)).toEqual([path]);
    expect(problems[0]?.message).toEqual(typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message));
    expect(problems[0]?.line).toEqual(expect.any(Number));
  });
});
