import { exponential, logNormal, mixSeed, mulberry32, pick, weightedIndex } from './random';

/**
 * The fixed population behind the card stream: cardholders (home country,
 * currency, usual spend, card age, usual device) and merchants (category,
 * popularity). Built once per seed; events draw from it.
 */
export interface Card {
  readonly homeCountry: string;
  readonly currency: string;
  readonly typicalAmount: number;
  readonly issuedDaysBeforeStart: number;
  readonly deviceId: string;
}

export interface Merchant {
  readonly id: string;
  readonly category: string;
}

export interface CountryTable {
  readonly names: readonly string[];
  readonly weights: readonly number[];
}

export interface World {
  readonly cards: readonly Card[];
  /** By popularity rank; weights are Zipf(1.1), so the top merchants have enough labels for per-merchant models. */
  readonly merchants: readonly Merchant[];
  readonly merchantWeights: readonly number[];
  readonly riskyMerchants: readonly Merchant[];
  readonly riskyWeights: readonly number[];
  readonly foreign: CountryTable;
  readonly fraudForeign: CountryTable;
  readonly riskyCategories: ReadonlySet<string>;
  readonly riskyCountries: ReadonlySet<string>;
}

const HOME: readonly (readonly [string, string, number])[] = [
  ['NL', 'EUR', 0.3],
  ['DE', 'EUR', 0.25],
  ['FR', 'EUR', 0.2],
  ['GB', 'GBP', 0.15],
  ['ES', 'EUR', 0.1],
];
// MCCs: grocery, restaurants, fuel, department stores, drug stores, airlines, hotels, …
const SAFE_CATEGORIES = ['5411', '5812', '5541', '5311', '5912', '4511', '7011', '5814', '5651', '4121'];
// … and the usual suspects: electronics, digital goods, money transfer, gambling, jewellery, misc. retail.
const RISKY_CATEGORIES = ['5732', '5816', '4829', '7995', '5944', '5999'];
const FOREIGN: CountryTable = { names: ['US', 'GB', 'DE', 'FR', 'ES', 'NL', 'IT', 'BE', 'CH', 'TR'], weights: [3, 2, 2, 2, 2, 1, 2, 1, 1, 1] };
const FRAUD_FOREIGN: CountryTable = { names: ['US', 'NG', 'RU', 'BR', 'ID', 'UA', 'RO', 'GB'], weights: [3, 2, 2, 2, 1, 1, 1, 1] };
const RISKY_COUNTRIES = ['NG', 'RU', 'BR', 'ID', 'UA', 'RO'];

export function buildWorld(seed: number, cardCount: number, merchantCount: number): World {
  const r = mulberry32(mixSeed(seed, 0x77071d));
  const cards: Card[] = Array.from({ length: Math.max(1, cardCount) }, (_, i) => {
    const [homeCountry, currency] = HOME[weightedIndex(r, HOME.map((h) => h[2]))] as readonly [string, string, number];
    return {
      homeCountry,
      currency,
      typicalAmount: Math.max(1, logNormal(r, 3.3, 0.7)),
      issuedDaysBeforeStart: 30 + Math.floor(exponential(r, 700)),
      deviceId: `dev_${(mixSeed(seed, i, 0xde71ce) >>> 0).toString(16).padStart(8, '0')}`,
    };
  });
  const merchants: Merchant[] = Array.from({ length: Math.max(1, merchantCount) }, (_, i) => ({
    id: `mrc_${String(10000 + i)}`,
    category: r() < 0.15 ? pick(r, RISKY_CATEGORIES) : pick(r, SAFE_CATEGORIES),
  }));
  const merchantWeights = merchants.map((_, rank) => 1 / Math.pow(rank + 1, 1.1));
  let riskyMerchants = merchants.filter((m) => RISKY_CATEGORIES.includes(m.category));
  if (riskyMerchants.length === 0) riskyMerchants = merchants;
  const riskyWeights = riskyMerchants.map((_, rank) => 1 / Math.pow(rank + 1, 1.1));
  return {
    cards,
    merchants,
    merchantWeights,
    riskyMerchants,
    riskyWeights,
    foreign: FOREIGN,
    fraudForeign: FRAUD_FOREIGN,
    riskyCategories: new Set(RISKY_CATEGORIES),
    riskyCountries: new Set(RISKY_COUNTRIES),
  };
}
