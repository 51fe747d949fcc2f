import { ErrorCodes, RoundhouseError } from '../errors';
import { bernoulli, exponential, logNormal, mixSeed, mulberry32, normal, pick, poisson, weightedIndex, type Random } from './random';
import { buildWorld, type Card, type Merchant, type World } from './world';

/**
 * A synthetic card-transaction stream in the shape of
 * schemas/examples/CardTransaction.avsc (field names exactly), with Chargeback
 * label events (schemas/examples/Chargeback.avsc) for the frauds.
 *
 * Fraud is drawn first (Bernoulli(fraudRate), exact in expectation), then the
 * transaction from the class's distribution. Fraud is more likely with a new
 * device, high velocity, an amount high for the card's usual spend, far from
 * home, on a young card, at risky merchant categories and in risky countries;
 * the classes overlap, and a fifth of frauds look genuine in every feature, so
 * a logistic model on these features reaches a holdout AUC around 0.85 (the
 * serving `model_score`, a noisier function of the same signals, about 0.8).
 *
 * Labels mature: a fraud gets a Chargeback (is_fraud true) `labelDelayMs` after
 * it happened; genuine transactions get none (the trainer counts matured
 * unlabelled events as negatives), except a `genuineLabelRate` share that gets
 * an is_fraud false outcome.
 *
 * Every event draws from its own seeded streams, one per feature, so that
 * (a) event i is the same whatever was generated before it, and (b) a drift
 * changes only the features it names (DRIFT_AFFECTS), from its `fromIndex` on.
 */
export interface CardTransaction {
  event_id: string;
  event_time: number;
  amount: number;
  currency: string;
  merchant_id: string;
  merchant_category: string;
  country: string;
  card_age_days: number;
  device_id: string | null;
  is_new_device: boolean;
  txn_count_1h: number;
  txn_count_24h: number;
  amount_sum_24h: number;
  distinct_merchants_24h: number;
  distance_from_home_km: number | null;
  model_score: number;
}

export interface Chargeback {
  event_id: string;
  label_time: number;
  is_fraud: boolean;
  reason_code: string | null;
  amount: number;
  merchant_id: string | null;
}

export interface CardEvent {
  readonly index: number;
  readonly transaction: CardTransaction;
  /** Ground truth (also true for frauds whose label has not matured yet). */
  readonly isFraud: boolean;
  /** The label event this transaction will get, or null (genuine and unlabelled). */
  readonly label: Chargeback | null;
}

/** A shift of chosen feature distributions from event `fromIndex` on. */
export interface CardDrift {
  readonly fromIndex: number;
  /** Multiplies amounts (amount, amount_sum_24h and the chargeback amount). */
  readonly amountScale?: number;
  /** Replaces the merchant-country mix with these weights (e.g. { US: 0.5, BR: 0.5 }). */
  readonly countryWeights?: Readonly<Record<string, number>>;
  /** Multiplies the card's transaction rates (txn_count_1h, txn_count_24h and what follows from them). */
  readonly velocityScale?: number;
}

/** What each drift option changes; every other field stays identical. model_score follows its inputs. */
export const DRIFT_AFFECTS: Readonly<Record<'amountScale' | 'countryWeights' | 'velocityScale', readonly (keyof CardTransaction)[]>> = {
  amountScale: ['amount', 'amount_sum_24h', 'model_score'],
  countryWeights: ['country', 'distance_from_home_km', 'model_score'],
  velocityScale: ['txn_count_1h', 'txn_count_24h', 'distinct_merchants_24h', 'amount_sum_24h', 'model_score'],
};

export interface CardStreamOptions {
  readonly seed?: number;
  /** Event time of event 0, epoch ms (default 2026-01-01T00:00:00Z). */
  readonly startTime?: number;
  /** Events per second of event time (default 50). */
  readonly eventsPerSecond?: number;
  /** Share of fraudulent transactions (default 0.01). */
  readonly fraudRate?: number;
  /** Chargeback delay after the transaction, uniform in [min, max] ms (default 2 s – 20 s: inside the demo's 30 s maturity). */
  readonly labelDelayMs?: { readonly min: number; readonly max: number };
  /** Share of genuine transactions that get an is_fraud false label (default 0). */
  readonly genuineLabelRate?: number;
  readonly cards?: number;
  readonly merchants?: number;
  readonly drift?: CardDrift | readonly CardDrift[] | null;
}

export const DEFAULT_START_TIME = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;
const FRAUD_REASON_CODES = ['10.4', '10.4', '10.4', '10.4', '10.1', '10.2', '10.3', '10.5'];

// One stream per feature (see the file comment).
const S = { fraud: 1, card: 2, age: 3, merchant: 4, country: 5, amount: 6, device: 7, velocity: 8, distance: 9, score: 10, label: 11, style: 12 } as const;

/** Share of frauds that look like genuine traffic in every feature (account takeover done well): why AUC stays below 1. */
const STEALTH_SHARE = 0.2;

interface Resolved {
  readonly seed: number;
  readonly startTime: number;
  readonly eventsPerSecond: number;
  readonly fraudRate: number;
  readonly delayMin: number;
  readonly delayMax: number;
  readonly genuineLabelRate: number;
  readonly drifts: readonly CardDrift[];
}

export interface CardStream {
  /** The next event (the stream is endless). */
  next(): CardEvent;
  /** Event i, independent of the stream's position. */
  at(index: number): CardEvent;
}

export function createCardStream(options: CardStreamOptions = {}): CardStream {
  const o = resolve(options);
  const world = buildWorld(o.seed, options.cards ?? 5000, options.merchants ?? 200);
  let position = 0;
  const at = (index: number): CardEvent => makeEvent(o, world, index);
  return { at, next: () => at(position++) };
}

export function generateCardEvents(count: number, options: CardStreamOptions = {}): CardEvent[] {
  const stream = createCardStream(options);
  return Array.from({ length: count }, () => stream.next());
}

/** The label events of some transactions, in the order they become known (label_time, then event order). */
export function labelEvents(events: readonly CardEvent[]): Chargeback[] {
  return events
    .filter((e) => e.label !== null)
    .map((e) => ({ index: e.index, label: e.label as Chargeback }))
    .sort((a, b) => a.label.label_time - b.label.label_time || a.index - b.index)
    .map((e) => e.label);
}

function resolve(options: CardStreamOptions): Resolved {
  const fraudRate = options.fraudRate ?? 0.01;
  const eventsPerSecond = options.eventsPerSecond ?? 50;
  const delay = options.labelDelayMs ?? { min: 2_000, max: 20_000 };
  const genuineLabelRate = options.genuineLabelRate ?? 0;
  const raw = options.drift;
  const drifts: readonly CardDrift[] = raw === null || raw === undefined ? [] : isDriftList(raw) ? raw : [raw];
  const problems: string[] = [];
  if (!(fraudRate >= 0 && fraudRate <= 1)) problems.push(`fraudRate must be in [0, 1], got ${fraudRate}`);
  if (!(eventsPerSecond > 0)) problems.push(`eventsPerSecond must be > 0, got ${eventsPerSecond}`);
  if (!(delay.min >= 0 && delay.max >= delay.min)) problems.push('labelDelayMs needs 0 ≤ min ≤ max');
  if (!(genuineLabelRate >= 0 && genuineLabelRate <= 1)) problems.push(`genuineLabelRate must be in [0, 1], got ${genuineLabelRate}`);
  drifts.forEach((d, i) => {
    if (!(Number.isInteger(d.fromIndex) && d.fromIndex >= 0)) problems.push(`drift[${i}].fromIndex must be an integer ≥ 0`);
    if (d.amountScale !== undefined && !(d.amountScale > 0)) problems.push(`drift[${i}].amountScale must be > 0`);
    if (d.velocityScale !== undefined && !(d.velocityScale > 0)) problems.push(`drift[${i}].velocityScale must be > 0`);
    if (d.countryWeights !== undefined && !Object.values(d.countryWeights).some((w) => w > 0)) problems.push(`drift[${i}].countryWeights needs a positive weight`);
  });
  if (problems.length > 0) throw new RoundhouseError(ErrorCodes.VALIDATION, `card stream options: ${problems.join('; ')}`);
  return {
    seed: options.seed ?? 1,
    startTime: options.startTime ?? DEFAULT_START_TIME,
    eventsPerSecond,
    fraudRate,
    delayMin: delay.min,
    delayMax: delay.max,
    genuineLabelRate,
    drifts,
  };
}

function isDriftList(d: CardDrift | readonly CardDrift[]): d is readonly CardDrift[] {
  return Array.isArray(d);
}

/** The drift parameters in force at an event: later drifts override earlier ones, option by option. */
function driftAt(drifts: readonly CardDrift[], index: number): { amountScale: number; velocityScale: number; countryWeights: Readonly<Record<string, number>> | null } {
  let amountScale = 1;
  let velocityScale = 1;
  let countryWeights: Readonly<Record<string, number>> | null = null;
  for (const d of [...drifts].sort((a, b) => a.fromIndex - b.fromIndex)) {
    if (index < d.fromIndex) continue;
    amountScale = d.amountScale ?? amountScale;
    velocityScale = d.velocityScale ?? velocityScale;
    countryWeights = d.countryWeights ?? countryWeights;
  }
  return { amountScale, velocityScale, countryWeights };
}

function makeEvent(o: Resolved, world: World, index: number): CardEvent {
  const r = (stream: number): Random => mulberry32(mixSeed(o.seed, index, stream));
  const drift = driftAt(o.drifts, index);
  const eventTime = o.startTime + Math.floor((index * 1000) / o.eventsPerSecond);
  const isFraud = bernoulli(r(S.fraud), o.fraudRate);
  // Features follow the fraud pattern unless this fraud is a stealthy one.
  const fraud = isFraud && !bernoulli(r(S.style), STEALTH_SHARE);
  const card: Card = pick(r(S.card), world.cards);

  const ageR = r(S.age);
  const youngCard = bernoulli(ageR, fraud ? 0.3 : 0.04);
  const cardAgeDays = youngCard ? Math.floor(ageR() * 30) : card.issuedDaysBeforeStart + Math.floor((eventTime - o.startTime) / DAY_MS);

  const merchantR = r(S.merchant);
  const risky = bernoulli(merchantR, fraud ? 0.4 : 0.1);
  const pool = risky ? world.riskyMerchants : world.merchants;
  const merchant: Merchant = pool[weightedIndex(merchantR, risky ? world.riskyWeights : world.merchantWeights)] as Merchant;

  const countryR = r(S.country);
  let country: string;
  if (drift.countryWeights !== null) {
    const names = Object.keys(drift.countryWeights).sort();
    country = names[weightedIndex(countryR, names.map((n) => drift.countryWeights?.[n] ?? 0))] as string;
  } else if (bernoulli(countryR, fraud ? 0.6 : 0.88)) {
    country = card.homeCountry;
  } else {
    const table = fraud ? world.fraudForeign : world.foreign;
    country = table.names[weightedIndex(countryR, table.weights)] as string;
  }
  const abroad = country !== card.homeCountry;

  const amountR = r(S.amount);
  const amount = round2(card.typicalAmount * logNormal(amountR, fraud ? 0.8 : 0, fraud ? 0.9 : 0.6) * drift.amountScale);

  const deviceR = r(S.device);
  const cardPresent = bernoulli(deviceR, fraud ? 0.15 : 0.35);
  const newDevice = !cardPresent && bernoulli(deviceR, fraud ? 0.5 : 0.06);
  const deviceTag = Math.floor(deviceR() * 0xffffffff).toString(16).padStart(8, '0');
  const deviceId = cardPresent ? null : newDevice ? `dev_${deviceTag}` : card.deviceId;

  const velocityR = r(S.velocity);
  const count1h = poisson(velocityR, (fraud ? 1.2 : 0.3) * drift.velocityScale);
  const count24h = count1h + poisson(velocityR, (fraud ? 3.5 : 2.5) * drift.velocityScale);
  const spread = velocityR();
  const distinct = count24h === 0 ? 0 : Math.min(count24h, 1 + Math.floor(spread * count24h * (fraud ? 0.9 : 0.5)));
  const sumFactor = logNormal(velocityR, fraud ? 0.5 : 0, 0.4);
  const amountSum24h = count24h === 0 ? 0 : round2(card.typicalAmount * count24h * sumFactor * drift.amountScale);

  const distanceR = r(S.distance);
  const unknownDistance = bernoulli(distanceR, 0.04);
  const km = abroad ? 300 + exponential(distanceR, fraud ? 3000 : 1500) : exponential(distanceR, fraud ? 30 : 10);
  const distance = unknownDistance ? null : Math.round(km * 10) / 10;

  const logit =
    -6.2 +
    0.45 * Math.log1p(amount) +
    1.6 * (newDevice ? 1 : 0) +
    0.5 * Math.min(count1h, 6) +
    0.5 * Math.log1p((distance ?? 0) / 100) +
    0.9 * (world.riskyCategories.has(merchant.category) ? 1 : 0) +
    0.8 * (world.riskyCountries.has(country) ? 1 : 0) -
    0.01 * Math.min(cardAgeDays, 100) +
    normal(r(S.score), 0, 1);
  const modelScore = Math.round(1e4 / (1 + Math.exp(-logit))) / 1e4;

  const eventId = `txn_${o.seed.toString(36)}_${index.toString(36).padStart(7, '0')}`;
  const transaction: CardTransaction = {
    event_id: eventId,
    event_time: eventTime,
    amount,
    currency: card.currency,
    merchant_id: merchant.id,
    merchant_category: merchant.category,
    country,
    card_age_days: cardAgeDays,
    device_id: deviceId,
    is_new_device: newDevice,
    txn_count_1h: count1h,
    txn_count_24h: count24h,
    amount_sum_24h: amountSum24h,
    distinct_merchants_24h: distinct,
    distance_from_home_km: distance,
    model_score: modelScore,
  };

  const labelR = r(S.label);
  const delay = Math.round(o.delayMin + labelR() * (o.delayMax - o.delayMin));
  const reason = pick(labelR, FRAUD_REASON_CODES);
  let label: Chargeback | null = null;
  if (isFraud) label = { event_id: eventId, label_time: eventTime + delay, is_fraud: true, reason_code: reason, amount, merchant_id: merchant.id };
  else if (bernoulli(labelR, o.genuineLabelRate)) label = { event_id: eventId, label_time: eventTime + delay, is_fraud: false, reason_code: null, amount, merchant_id: merchant.id };
  return { index, transaction, isFraud, label };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
