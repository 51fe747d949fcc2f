/**
 * Microbenchmark of the hot loop: one event = 16 numeric + 4 categorical
 * features added to their window histograms. Not a test (no timing asserts).
 *
 *   npx tsx lib/stats/bench-histogram.ts [events=500000] [rounds=5]
 *
 * Events are decoded-record-like objects read by field name, as the trigger will
 * read them after Avro decoding; a columnar variant shows the ceiling.
 */
import { CategoricalHistogram } from './categorical-histogram';
import { NumericHistogram } from './numeric-histogram';
import { buildCategoricalReference, buildNumericReference } from './reference';
import { choice, normal, rng } from './testing/random';

const EVENTS = Number(process.argv[2] ?? 500_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const NUMERIC = Array.from({ length: 16 }, (_, i) => `n${i}`);
const CATEGORICAL = Array.from({ length: 4 }, (_, i) => `c${i}`);
const CATS = ['card', 'bank', 'wallet', 'crypto', 'voucher', 'gift', 'loan', 'other'];
const WEIGHTS = [40, 20, 15, 10, 6, 4, 3, 2];

const random = rng(1);
type Event = Record<string, number | string | null>;
const events: Event[] = Array.from({ length: EVENTS }, () => {
  const e: Event = {};
  for (const f of NUMERIC) e[f] = random() < 0.01 ? null : normal(random, 100, 30);
  for (const f of CATEGORICAL) e[f] = choice(random, CATS, WEIGHTS);
  return e;
});
// Categories come from the decoded bytes: give each event its own string
// objects, as a decoder would, rather than shared literals.
for (const e of events) for (const f of CATEGORICAL) e[f] = ` ${e[f] as string}`.slice(1);

const numRefs = NUMERIC.map((f) => buildNumericReference(events.slice(0, 5000).map((e) => e[f] as number | null)));
const catRefs = CATEGORICAL.map((f) => buildCategoricalReference(events.slice(0, 5000).map((e) => e[f] as string)));
const numHists = numRefs.map((r) => new NumericHistogram(r.edges));
const catHists = catRefs.map((r) => new CategoricalHistogram(Object.keys(r.categories)));

function byRecord(): void {
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as Event;
    for (let f = 0; f < NUMERIC.length; f++) (numHists[f] as NumericHistogram).add(e[NUMERIC[f] as string] as number | null);
    for (let f = 0; f < CATEGORICAL.length; f++) (catHists[f] as CategoricalHistogram).add(e[CATEGORICAL[f] as string] as string);
  }
}

const columns = NUMERIC.map((f) => Float64Array.from(events, (e) => (e[f] === null ? NaN : (e[f] as number))));
function columnar(): void {
  for (let f = 0; f < NUMERIC.length; f++) {
    const h = numHists[f] as NumericHistogram;
    const col = columns[f] as Float64Array;
    for (let i = 0; i < col.length; i++) h.add(col[i]);
  }
}

function measure(name: string, run: () => void, featuresPerEvent: number): void {
  run(); // warm-up: let V8 optimise the loop first
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    numHists.forEach((h) => h.reset());
    catHists.forEach((h) => h.reset());
    const start = process.hrtime.bigint();
    run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(EVENTS / seconds);
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)] as number;
  console.log(
    `${name}: ${(median / 1e6).toFixed(2)}M events/s, ${((median * featuresPerEvent) / 1e6).toFixed(1)}M adds/s ` +
      `(median of ${ROUNDS}, ${EVENTS} events, ${featuresPerEvent} features/event)`,
  );
}

measure('records, 16 numeric + 4 categorical', byRecord, 20);
measure('columnar Float64Array, 16 numeric only', columnar, 16);
