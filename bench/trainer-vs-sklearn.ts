/**
 * The built-in estimator against scikit-learn on the same rows, in one run.
 *
 *   npx tsx bench/trainer-vs-sklearn.ts [--rows 1000000] [--cols 30] [--rate 0.01] [--seed 1] [--C 1] [--python python3]
 *
 * Generates the synthetic dataset (lib/synthetic/tabular: n × d, ~1% positives,
 * known logistic truth, columns on scales 1e-2 … 1e3), writes it once under
 * os.tmpdir(), splits it out-of-time (row i happened at time i; the latest 20%
 * is the holdout), fits ours (fitModel: pipeline + Newton/L-BFGS) and
 * scikit-learn's StandardScaler + LogisticRegression(lbfgs, same C, same tol)
 * on the training rows, and compares holdout ROC-AUC (must agree within 0.002)
 * and fit time. Prints a markdown row for BENCHMARKS.md. Exits 1 if the AUCs
 * disagree. Needs python3 with the versions in examples/python-trainer/requirements.txt.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { computeMetrics, fitLogistic, fitModel, outOfTimeSplit, parseHyperparameters, scoreRows, transformRows } from '../lib/model';
import { generateTabular } from '../lib/synthetic';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    cols: { type: 'string', default: '30' },
    rate: { type: 'string', default: '0.01' },
    seed: { type: 'string', default: '1' },
    C: { type: 'string', default: '1' },
    solver: { type: 'string', default: 'auto' },
    python: { type: 'string', default: 'python3' },
    repeat: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});
const ROWS = Number(args.rows);
const COLS = Number(args.cols);
const HOLDOUT = 0.2;
const TOLERANCE = 0.002;
const REPEAT = Math.max(1, Number(args.repeat));
const hp = parseHyperparameters({ C: Number(args.C), solver: args.solver });

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

function main(): void {
  let t0 = process.hrtime.bigint();
  const ds = generateTabular({ rows: ROWS, cols: COLS, positiveRate: Number(args.rate), seed: Number(args.seed) });
  log(`generated ${ROWS} × ${COLS}, ${ds.positives} positives, in ${seconds(t0).toFixed(1)} s`);

  const split = outOfTimeSplit(Float64Array.from({ length: ROWS }, (_, i) => i), { holdoutFraction: HOLDOUT });
  const trainRows = split.train.length;
  // Times are the row order, so the split is a prefix/suffix; the Python side relies on it.
  if (split.train[trainRows - 1] !== trainRows - 1) throw new Error('expected a prefix split');

  const dir = join(tmpdir(), `roundhouse-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'X.f64'), Buffer.from(ds.x.buffer, ds.x.byteOffset, ds.x.byteLength));
  writeFileSync(join(dir, 'y.u8'), ds.y);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ rows: ROWS, cols: COLS, trainRows, C: hp.C, tol: hp.tol, maxIter: 1000, repeat: REPEAT }));

  // Ours, pipeline + estimator as the trainer runs them, from rows already built as JS records.
  // The span starts after the records exist: no Kafka read, decode, label join or holdout export.
  const rows = Array.from({ length: ROWS }, (_, i) => {
    const row: Record<string, number> = {};
    for (let j = 0; j < COLS; j++) row[ds.columns[j] as string] = ds.x[i * COLS + j] as number;
    return row;
  });
  const features = ds.columns.map((name) => ({ name, type: 'numeric' as const }));
  const train = rows.slice(0, trainRows);
  const holdout = rows.slice(trainRows);
  const yTrain = ds.y.subarray(0, trainRows);
  const yHold = ds.y.subarray(trainRows);
  t0 = process.hrtime.bigint();
  const model = fitModel(train, yTrain, features, hp);
  const fitSeconds = seconds(t0);
  log(`ours: ${model.training.solver}, ${model.training.iterations} iterations, ${fitSeconds.toFixed(2)} s pipeline + fit`);
  // The estimator alone, on the already-standardised matrix; best of REPEAT (the machine may be shared).
  const x = transformRows(model.pipeline, train);
  let estimatorSeconds = Infinity;
  let iterations = 0;
  for (let r = 0; r < REPEAT; r++) {
    t0 = process.hrtime.bigint();
    iterations = fitLogistic(x, yTrain, hp).iterations;
    estimatorSeconds = Math.min(estimatorSeconds, seconds(t0));
  }
  log(`ours: estimator alone ${estimatorSeconds.toFixed(2)} s (${iterations} iterations, best of ${REPEAT})`);
  const ours = scoreRows(model, holdout);
  writeFileSync(join(dir, 'ours.f64'), Buffer.from(ours.buffer));

  log(`scikit-learn: fitting (${args.python} bench/trainer_vs_sklearn.py)`);
  const py = JSON.parse(
    execFileSync(args.python, [join(__dirname, 'trainer_vs_sklearn.py'), dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
  ) as { sklearn: string; numpy: string; aucSklearn: number; aucOurs: number; fitSeconds: number; estimatorSeconds: number; iterations: number };
  const sk = readFileSync(join(dir, 'sklearn.f64'));
  const skScores = new Float64Array(sk.buffer, sk.byteOffset, sk.byteLength / 8);

  const aucOurs = computeMetrics(yHold, ours).rocAuc as number;
  const aucSklearn = computeMetrics(yHold, skScores).rocAuc as number;
  const diff = Math.abs(aucOurs - aucSklearn);
  const ratio = fitSeconds / py.fitSeconds;
  const estimatorRatio = estimatorSeconds / py.estimatorSeconds;
  if (!args.keep) rmSync(dir, { recursive: true, force: true });

  const holdoutPositives = yHold.reduce((a, b) => a + b, 0);
  console.log(`rows ${ROWS} × ${COLS}, train ${trainRows}, holdout ${ROWS - trainRows} (${holdoutPositives} positives), C ${hp.C}, tol ${hp.tol}`);
  console.log(`holdout ROC-AUC  ours ${aucOurs.toFixed(6)}  scikit-learn ${aucSklearn.toFixed(6)}  |diff| ${diff.toExponential(2)} (limit ${TOLERANCE})`);
  console.log(`  (by sklearn's roc_auc_score: ours ${py.aucOurs.toFixed(6)}, scikit-learn ${py.aucSklearn.toFixed(6)})`);
  console.log(`fit, estimator   ours ${estimatorSeconds.toFixed(2)} s  scikit-learn ${py.estimatorSeconds.toFixed(2)} s  ratio ${estimatorRatio.toFixed(2)}  (standardised matrix, best of ${REPEAT})`);
  console.log(`pipeline + fit   ours ${fitSeconds.toFixed(2)} s  scikit-learn ${py.fitSeconds.toFixed(2)} s  ratio ${ratio.toFixed(2)}  (ours: standardise + estimator from JS records; sklearn: StandardScaler + estimator from a numpy matrix; neither reads, decodes, joins or exports)`);
  console.log('');
  console.log('| date | data | ROC-AUC ours | ROC-AUC scikit-learn | abs diff | estimator fit ours / sklearn (s) | ratio | pipeline + fit ours / sklearn (s) | ratio | setup |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${new Date().toISOString().slice(0, 10)} | ${ROWS / 1e6}M × ${COLS}, ${(Number(args.rate) * 100).toFixed(0)}% pos, seed ${args.seed}, holdout last ${HOLDOUT * 100}% | ${aucOurs.toFixed(4)} | ${aucSklearn.toFixed(4)} | ${diff.toExponential(1)} | ${estimatorSeconds.toFixed(2)} / ${py.estimatorSeconds.toFixed(2)} | ${estimatorRatio.toFixed(2)} | ${fitSeconds.toFixed(2)} / ${py.fitSeconds.toFixed(2)} | ${ratio.toFixed(2)} | ours ${model.training.solver} (${model.training.iterations} it), Node ${process.versions.node}; sklearn ${py.sklearn} lbfgs (${py.iterations} it), numpy ${py.numpy}; C ${hp.C}, tol ${hp.tol}; ${cpus().length} cores |`,
  );
  if (diff > TOLERANCE) {
    console.error(`FAIL: holdout ROC-AUC differs by ${diff} > ${TOLERANCE}`);
    process.exitCode = 1;
  }
}

main();
