import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as avsc from 'avsc';
import { DRIFT_AFFECTS, createCardStream, generateCardEvents, labelEvents, type CardDrift, type CardEvent, type CardTransaction } from './cards';

const schema = (name: string): avsc.Type =>
  avsc.Type.forSchema(JSON.parse(readFileSync(join(__dirname, '..', '..', 'schemas', 'examples', `${name}.avsc`), 'utf8')) as avsc.Schema);
const transactionType = schema('CardTransaction');
const chargebackType = schema('Chargeback');

const N = 20_000;
const base = generateCardEvents(N, { seed: 42 });

describe('card stream', () => {
  it('produces valid CardTransaction and Chargeback records, field names exactly as the schemas', () => {
    const fields = (transactionType as avsc.types.RecordType).fields.map((f) => f.name);
    expect(Object.keys(base[0]!.transaction)).toEqual(fields);
    for (const e of base.slice(0, 2000)) {
      expect(transactionType.isValid(e.transaction)).toBe(true);
      if (e.label !== null) expect(chargebackType.isValid(e.label)).toBe(true);
    }
  });

  it('is deterministic for a seed, and event i does not depend on what came before', () => {
    expect(generateCardEvents(500, { seed: 42 })).toEqual(base.slice(0, 500));
    expect(createCardStream({ seed: 42 }).at(1234)).toEqual(base[1234]);
    const other = generateCardEvents(500, { seed: 43 });
    expect(other.map((e) => e.transaction.amount)).not.toEqual(base.slice(0, 500).map((e) => e.transaction.amount));
  });

  it('has about the requested fraud rate (1% by default)', () => {
    const rate = base.filter((e) => e.isFraud).length / N;
    expect(rate).toBeGreaterThan(0.008);
    expect(rate).toBeLessThan(0.012);
    const five = generateCardEvents(N, { seed: 42, fraudRate: 0.05 }).filter((e) => e.isFraud).length / N;
    expect(five).toBeGreaterThan(0.045);
    expect(five).toBeLessThan(0.055);
  });

  it('labels every fraud with a matured chargeback and leaves genuine transactions unlabelled', () => {
    for (const e of base) {
      if (e.isFraud) {
        expect(e.label).toMatchObject({ event_id: e.transaction.event_id, is_fraud: true, amount: e.transaction.amount });
        const delay = (e.label?.label_time ?? 0) - e.transaction.event_time;
        expect(delay >= 2000 && delay <= 20000).toBe(true);
      } else {
        expect(e.label).toBeNull();
      }
    }
    const withGenuine = generateCardEvents(2000, { seed: 42, genuineLabelRate: 0.5, labelDelayMs: { min: 1000, max: 1000 } });
    const genuineLabels = withGenuine.filter((e) => !e.isFraud && e.label !== null);
    expect(genuineLabels.length).toBeGreaterThan(800);
    expect(genuineLabels.every((e) => e.label?.is_fraud === false && e.label.reason_code === null)).toBe(true);
  });

  it('orders label events by the time they become known', () => {
    const labels = labelEvents(base);
    expect(labels).toHaveLength(base.filter((e) => e.label !== null).length);
    for (let i = 1; i < labels.length; i++) expect(labels[i]!.label_time).toBeGreaterThanOrEqual(labels[i - 1]!.label_time);
  });

  it('spaces events by eventsPerSecond from startTime and keeps event ids unique', () => {
    const es = generateCardEvents(3, { seed: 1, startTime: 1_000_000, eventsPerSecond: 4 });
    expect(es.map((e) => e.transaction.event_time)).toEqual([1_000_000, 1_000_250, 1_000_500]);
    expect(new Set(base.map((e) => e.transaction.event_id)).size).toBe(N);
  });

  it('makes fraud look like fraud: new devices, velocity, amounts, distance, young cards, risky places', () => {
    const mean = (events: CardEvent[], f: (t: CardTransaction) => number): number => events.reduce((s, e) => s + f(e.transaction), 0) / events.length;
    const fraud = base.filter((e) => e.isFraud);
    const genuine = base.filter((e) => !e.isFraud);
    const more = (f: (t: CardTransaction) => number): void => expect(mean(fraud, f)).toBeGreaterThan(mean(genuine, f) * 1.3);
    more((t) => (t.is_new_device ? 1 : 0));
    more((t) => t.txn_count_1h);
    more((t) => t.amount);
    more((t) => t.distance_from_home_km ?? 0);
    more((t) => (t.card_age_days < 30 ? 1 : 0));
    more((t) => (['5732', '5816', '4829', '7995', '5944', '5999'].includes(t.merchant_category) ? 1 : 0));
    more((t) => t.model_score);
  });

  describe('drift', () => {
    const FROM = 10_000;
    const compare = (drift: CardDrift): { changed: Set<string>; after: CardEvent[] } => {
      const drifted = generateCardEvents(N, { seed: 42, drift });
      expect(drifted.slice(0, FROM)).toEqual(base.slice(0, FROM));
      const changed = new Set<string>();
      drifted.slice(FROM).forEach((e, i) => {
        const before = base[FROM + i]!;
        expect(e.isFraud).toBe(before.isFraud);
        for (const key of Object.keys(e.transaction) as (keyof CardTransaction)[]) {
          if (e.transaction[key] !== before.transaction[key]) changed.add(key);
        }
      });
      return { changed, after: drifted.slice(FROM) };
    };

    it('amountScale changes the amounts only', () => {
      const { changed, after } = compare({ fromIndex: FROM, amountScale: 3 });
      expect([...changed].sort()).toEqual([...DRIFT_AFFECTS.amountScale].sort());
      const ratio = after.reduce((s, e) => s + e.transaction.amount, 0) / base.slice(FROM).reduce((s, e) => s + e.transaction.amount, 0);
      expect(ratio).toBeCloseTo(3, 2);
    });

    it('countryWeights changes the country mix (and the distance that follows) only', () => {
      const { changed, after } = compare({ fromIndex: FROM, countryWeights: { BR: 1, US: 1 } });
      expect([...changed].sort()).toEqual([...DRIFT_AFFECTS.countryWeights].sort());
      expect(new Set(after.map((e) => e.transaction.country))).toEqual(new Set(['BR', 'US']));
    });

    it('velocityScale changes the transaction counts only', () => {
      const { changed, after } = compare({ fromIndex: FROM, velocityScale: 4 });
      expect([...changed].sort()).toEqual([...DRIFT_AFFECTS.velocityScale].sort());
      const mean24h = (es: CardEvent[]): number => es.reduce((s, e) => s + e.transaction.txn_count_24h, 0) / es.length;
      expect(mean24h(after) / mean24h(base.slice(FROM))).toBeGreaterThan(3);
    });

    it('applies several drifts, each from its own index', () => {
      const es = generateCardEvents(300, { seed: 42, drift: [{ fromIndex: 100, amountScale: 2 }, { fromIndex: 200, amountScale: 5 }] });
      expect(es[50]!.transaction.amount).toBe(base[50]!.transaction.amount);
      expect(es[150]!.transaction.amount / base[150]!.transaction.amount).toBeCloseTo(2, 1);
      expect(es[250]!.transaction.amount / base[250]!.transaction.amount).toBeCloseTo(5, 1);
    });
  });

  it('refuses nonsense options', () => {
    expect(() => createCardStream({ fraudRate: 2 })).toThrow(/fraudRate/);
    expect(() => createCardStream({ eventsPerSecond: 0 })).toThrow(/eventsPerSecond/);
    expect(() => createCardStream({ drift: { fromIndex: -1, amountScale: 0 } })).toThrow(/fromIndex.*amountScale/);
  });
});
