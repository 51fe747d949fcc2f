#!/usr/bin/env python3
"""Reference values for lib/stats, computed independently with numpy and scipy.

Regenerate (from the repository root; numpy 2.x and scipy >= 1.11):

    pip install --user numpy scipy && python3 scripts/stats-fixtures.py

It writes lib/stats/fixtures/{special,numeric,categorical,fdr}.json, which the
jest tables in lib/stats/*.test.ts read. Output is deterministic (fixed seeds).

What is computed here, and how:
- special functions straight from scipy (chi2.sf, gammaincc, kolmogorov, norm.sf,
  erfc, gammaln) and kstwo.sf, the exact finite-n KS distribution, to show that
  the asymptotic p-value lib/stats uses is conservative;
- reference profiles with np.quantile (method='linear'), np.unique, np.nextafter,
  np.searchsorted(side='right'), np.bincount, np.mean and np.std;
- statistics on the bucket distributions that lib/stats/buckets.ts defines
  (bins + missing + NaN; categories + unseen + missing): PSI written out with
  numpy, scipy.spatial.distance.jensenshannon(base=2), scipy.stats.kstwobign.sf
  at sqrt(n*m/(n+m))*D, scipy.stats.wasserstein_distance with weights,
  scipy.stats.chi2_contingency (correction=False) after the documented
  pooling, norm.sf for the z-test;
- Benjamini-Hochberg with scipy.stats.false_discovery_control(method='bh').
Only the bucket layout and the pooling rule are restated here (they are
definitions, not computations); every number is numpy's or scipy's.
"""

import json
import math
import os
from collections import Counter

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib', 'stats', 'fixtures')
PSI_EPSILON = 1e-4
MIN_EXPECTED = 5
WASSERSTEIN_MIN_STD = 0.001
SMALL_REFERENCE = 1000
OTHER = '__other__'


def enc(v):
    """JSON has no NaN/Infinity: spell them as strings, None stays null."""
    if v is None:
        return None
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return 'NaN'
        if math.isinf(v):
            return 'Infinity' if v > 0 else '-Infinity'
        return float(v)
    return v


def floats(a):
    return [float(x) for x in a]


# ---------------------------------------------------------------- special

def special_fixtures():
    chi2 = []
    for df in [1, 2, 3, 4, 5, 7, 10, 19, 30, 50, 99, 200, 500, 1000]:
        for f in [0.001, 0.01, 0.1, 0.5, 0.9, 1.0, 1.1, 1.5, 2, 3, 5, 10]:
            x = df * f
            p = stats.chi2.sf(x, df)
            if p > 1e-290:
                chi2.append({'x': x, 'df': df, 'sf': float(p)})
        for x in [df + 10 * math.sqrt(2 * df), df + 30 * math.sqrt(2 * df) + 50]:
            p = stats.chi2.sf(x, df)
            if p > 1e-290:
                chi2.append({'x': x, 'df': df, 'sf': float(p)})
    gamma = []
    for a in [0.5, 1, 1.5, 2.5, 3.7, 10, 25.5, 100.5, 400]:
        for x in [1e-3, 0.1, 0.5, 1, 2, a * 0.8, a, a + 1, a * 1.2 + 1, a * 2 + 5, a * 4 + 30]:
            gamma.append({'a': a, 'x': x, 'q': float(special.gammaincc(a, x)), 'p': float(special.gammainc(a, x))})
    kolmogorov = [{'x': float(x), 'sf': float(special.kolmogorov(x))}
                  for x in list(np.round(np.linspace(0.02, 3.0, 150), 6)) + [0.999999, 1.0, 1.000001, 3.5, 4, 5, 6, 8]]
    kolmogorov = [k for k in kolmogorov if k['sf'] > 1e-290]
    normal = [{'z': z, 'sf': float(stats.norm.sf(z))} for z in
              [-8, -3, -1.96, -0.5, 0, 1e-8, 0.3, 1, 1.6448536269514722, 1.96, 2.5, 3, 5, 8, 12, 20, 30, 37]]
    erfc = [{'x': x, 'erfc': float(special.erfc(x))} for x in [-3, -0.5, 0, 0.1, 0.5, 1, 2, 3, 5, 10, 20, 26]]
    loggamma = [{'x': x, 'lgamma': float(special.gammaln(x))} for x in
                [1e-3, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 7.5, 10, 50.5, 100.5, 1000, 1e5]]
    # The asymptotic KS p-value against the exact one-sample distribution at n = round(en).
    ks_exact = []
    for n in [5, 10, 30, 100, 333, 1000]:
        for d in [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8]:
            ks_exact.append({'n': n, 'd': d, 'exactSf': float(stats.kstwo.sf(d, n)),
                             'asymptoticSf': float(stats.kstwobign.sf(math.sqrt(n) * d))})
    return {'chi2': chi2, 'gamma': gamma, 'kolmogorov': kolmogorov, 'normal': normal, 'erfc': erfc,
            'loggamma': loggamma, 'ksExact': ks_exact}


# ---------------------------------------------------------------- numeric

MAX_MAGNITUDE = 1e100  # larger magnitudes count with NaN (lib/stats/numeric-histogram.ts)


def split_numeric(values):
    missing = sum(1 for v in values if v is None)
    finite = np.array([v for v in values if v is not None and abs(v) <= MAX_MAGNITUDE], dtype=float)
    nan = len(values) - missing - len(finite)
    return finite, missing, nan


def fallback_position(edges, i):
    k = len(edges)
    if k == 0:
        return 0.0
    if i <= 0:
        return float(edges[0])
    if i >= k:
        return float(edges[k - 1])
    return float((edges[i - 1] + edges[i]) / 2)


def numeric_reference(values, bins):
    finite, missing, nan = split_numeric(values)
    count = len(values)
    if len(finite) == 0:
        edges = np.array([], dtype=float)
    else:
        edges = np.unique(np.quantile(finite, np.arange(1, bins) / bins))
        top = finite.max()
        if edges[-1] == top and np.isfinite(np.nextafter(top, np.inf)):
            edges = np.append(edges, np.nextafter(top, np.inf))
    idx = np.searchsorted(edges, finite, side='right')
    counts = np.bincount(idx, minlength=len(edges) + 1).astype(float)
    sums = np.bincount(idx, weights=finite, minlength=len(edges) + 1) if len(finite) else np.zeros(len(edges) + 1)
    proportions = counts / len(finite) if len(finite) else np.zeros(len(edges) + 1)
    bin_means = [float(sums[i] / counts[i]) if counts[i] > 0 else fallback_position(edges, i) for i in range(len(counts))]
    return {
        'kind': 'numeric',
        'edges': floats(edges),
        'proportions': floats(proportions),
        'binMeans': bin_means,
        'count': count,
        'missingShare': missing / count if count else 0.0,
        'nanShare': nan / count if count else 0.0,
        'mean': float(finite.mean()) if len(finite) else 0.0,
        'std': float(finite.std()) if len(finite) else 0.0,
    }


def numeric_histogram(edges, values):
    finite, missing, nan = split_numeric(values)
    edges = np.array(edges, dtype=float)
    idx = np.searchsorted(edges, finite, side='right')
    counts = np.bincount(idx, minlength=len(edges) + 1).astype(float)
    sums = np.bincount(idx, weights=finite, minlength=len(edges) + 1) if len(finite) else np.zeros(len(edges) + 1)
    return {'counts': floats(counts), 'sums': floats(sums), 'missing': missing, 'nan': nan,
            'sum': float(finite.sum()), 'sumSq': float((finite * finite).sum())}


def psi_value(ref_shares, cur_counts):
    p = np.asarray(ref_shares, float) / np.sum(ref_shares)
    q = np.asarray(cur_counts, float) / np.sum(cur_counts)
    p = np.where(p == 0, PSI_EPSILON, p)
    q = np.where(q == 0, PSI_EPSILON, q)
    return float(np.sum((q - p) * np.log(q / p)))


def result(statistic, p_value, threshold, ref_n, cur_n, p_test):
    drifted = (p_value < threshold) if p_test else (statistic >= threshold)
    return {'status': 'ok', 'statistic': float(statistic), 'pValue': None if p_value is None else float(p_value),
            'threshold': threshold, 'drifted': bool(drifted), 'referenceCount': int(ref_n), 'currentCount': int(cur_n)}


def not_enough(threshold, ref_n, cur_n):
    return {'status': 'not_enough_data', 'statistic': 0.0, 'pValue': None, 'threshold': threshold,
            'drifted': False, 'referenceCount': int(ref_n), 'currentCount': int(cur_n)}


def numeric_tests(ref, hist):
    valid_share = max(0.0, 1 - ref['missingShare'] - ref['nanShare'])
    ref_shares = list(np.array(ref['proportions']) * valid_share) + [ref['missingShare'], ref['nanShare']]
    cur_counts = hist['counts'] + [hist['missing'], hist['nan']]
    n = ref['count']
    m = int(sum(cur_counts))
    out = {}
    if n == 0 or m == 0:
        out['psi'] = not_enough(0.2, n, m)
        out['jensenshannon'] = not_enough(0.1, n, m)
        out['ks'] = not_enough(0.05, n, m)
    else:
        out['psi'] = result(psi_value(ref_shares, cur_counts), None, 0.2, n, m, False)
        out['jensenshannon'] = result(distance.jensenshannon(ref_shares, cur_counts, base=2), None, 0.1, n, m, False)
        p = np.array(ref_shares) / np.sum(ref_shares)
        q = np.array(cur_counts) / np.sum(cur_counts)
        d = float(np.max(np.abs(np.cumsum(p) - np.cumsum(q))))
        en = n * m / (n + m)
        out['ks'] = result(d, stats.kstwobign.sf(math.sqrt(en) * d), 0.05, n, m, True)
        out['ks']['exactPValue'] = float(stats.kstwo.sf(d, max(1, round(en))))
    n_valid = round(n * valid_share)
    m_valid = int(sum(hist['counts']))
    if n_valid == 0 or m_valid == 0:
        out['wasserstein'] = not_enough(0.1, n_valid, m_valid)
    else:
        cur_pos = [hist['sums'][i] / c if c > 0 else fallback_position(ref['edges'], i) for i, c in enumerate(hist['counts'])]
        w = stats.wasserstein_distance(ref['binMeans'], cur_pos, ref['proportions'], hist['counts'])
        out['wasserstein'] = result(w / max(ref['std'], WASSERSTEIN_MIN_STD), None, 0.1, n_valid, m_valid, False)
    auto = 'ks' if n <= SMALL_REFERENCE else 'wasserstein'
    return out, auto


def numeric_case(name, ref_values, cur_values, bins=20, note=''):
    ref_values = [None if v is None else (float(round(v, 6)) if math.isfinite(v) else float(v)) for v in ref_values]
    cur_values = [None if v is None else (float(round(v, 6)) if math.isfinite(v) else float(v)) for v in cur_values]
    ref = numeric_reference(ref_values, bins)
    hist = numeric_histogram(ref['edges'], cur_values)
    tests, auto = numeric_tests(ref, hist)
    raw = {}
    rf, _, _ = split_numeric(ref_values)
    cf, _, _ = split_numeric(cur_values)
    if len(rf) and len(cf):
        # For the reader: the unbinned statistics the binned ones approximate.
        raw = {'ks': float(stats.ks_2samp(rf, cf).statistic),
               'wassersteinNormed': float(stats.wasserstein_distance(rf, cf) / max(rf.std(), WASSERSTEIN_MIN_STD))}
    return {'name': name, 'note': note, 'bins': bins, 'reference': [enc(v) for v in ref_values],
            'current': [enc(v) for v in cur_values], 'expected': {'reference': ref, 'histogram': hist, 'tests': tests,
                                                                  'auto': auto, 'unbinned': raw}}


def numeric_fixtures():
    rng = np.random.default_rng(20240607)
    N = rng.normal
    cases = [
        numeric_case('normal-small-shift', N(0, 1, 400), N(0.4, 1, 300), bins=10),
        numeric_case('normal-small-same', N(0, 1, 500), N(0, 1, 500)),
        numeric_case('normal-large-shift', N(10, 2, 3000), N(10.3, 2.2, 2000)),
        numeric_case('lognormal-large-same', rng.lognormal(0, 1, 2500), rng.lognormal(0, 1, 1500)),
        numeric_case('large-n-small-effect', N(0, 1, 5000), N(0.05, 1, 5000), bins=30),
    ]
    ref = list(N(50, 5, 800))
    for i in range(0, 800, 20):
        ref[i] = None
    for i in range(3, 800, 50):
        ref[i] = float('nan')
    ref[7] = float('inf')
    ref[11] = float('-inf')
    ref[13] = 1e120
    cur = list(N(50, 5, 600))
    for i in range(0, 600, 5):
        cur[i] = None
    for i in range(1, 600, 20):
        cur[i] = float('nan')
    cases.append(numeric_case('missing-and-nan', ref, cur, note='5% null, 2% NaN, ±Infinity and 1e120 in the reference; 20% null, 5% NaN now'))
    cases.append(numeric_case('constant-reference', [5.0] * 200, [5.0] * 50 + [6.0] * 25 + [4.0] * 25,
                              note='one edge at 5 plus nextafter(5): below, at, above'))
    cases.append(numeric_case('all-mass-one-bin', rng.uniform(0, 1, 500), [0.55] * 300))
    cases.append(numeric_case('empty-current', N(0, 1, 300), []))
    cases.append(numeric_case('empty-reference', [], N(0, 1, 100)))
    cases.append(numeric_case('current-all-missing', N(0, 1, 300), [None] * 50))
    cases.append(numeric_case('reference-all-missing', [None] * 100, N(0, 1, 100)))
    cases.append(numeric_case('ties-poisson', rng.poisson(2, 1500).astype(float), rng.poisson(2.5, 1200).astype(float),
                              note='integer data: quantile edges collapse'))
    cases.append(numeric_case('beyond-range', rng.uniform(0, 1, 500), rng.uniform(2, 3, 200)))
    cases.append(numeric_case('tiny', [1.0, 2.0, 3.0], [2.5, 10.0], bins=4))
    cases.append(numeric_case('zero-counts-in-bins', N(0, 1, 1000), rng.uniform(-0.2, 0.2, 50),
                              note='most current bins empty'))
    cases.append(numeric_case('binary-numeric', rng.binomial(1, 0.3, 900).astype(float),
                              rng.binomial(1, 0.45, 700).astype(float)))
    return cases


# ---------------------------------------------------------------- categorical

def categorical_reference(values, max_categories):
    present = [v for v in values if v is not None]
    missing = len(values) - len(present)
    counts = Counter(present)
    entries = list(counts.items())
    if len(entries) > max_categories:
        entries.sort(key=lambda e: (-e[1], e[0]))
        kept, rest = entries[:max_categories], entries[max_categories:]
        pooled = sum(c for _, c in rest) + sum(c for n, c in kept if n == OTHER)
        entries = [e for e in kept if e[0] != OTHER] + [(OTHER, pooled)]
    entries.sort(key=lambda e: e[0])
    return {'kind': 'categorical', 'categories': {n: c / len(present) for n, c in entries},
            'count': len(values), 'missingShare': missing / len(values) if values else 0.0}


def categorical_histogram(reference_categories, values, max_unseen):
    slots = {c: 0 for c in reference_categories}
    unseen = {}
    overflow = missing = 0
    for v in values:
        if v is None:
            missing += 1
        elif v in slots:
            slots[v] += 1
        elif v in unseen:
            unseen[v] += 1
        elif len(unseen) < max_unseen:
            unseen[v] = 1
        else:
            overflow += 1
    return {'slots': slots, 'unseen': unseen, 'overflow': overflow, 'missing': missing}


def categorical_buckets(ref, hist):
    present = 1 - ref['missingShare']
    cats = ref['categories']
    named = sorted(c for c in cats if c != OTHER)
    labels, r, c = [], [], []
    for name in named:
        labels.append(name)
        r.append(cats[name] * present)
        c.append(hist['slots'].get(name, 0))
    unseen_total = sum(hist['unseen'].values()) + hist['overflow']
    if OTHER in cats:
        labels.append(OTHER)
        r.append(cats[OTHER] * present)
        c.append(hist['slots'].get(OTHER, 0) + unseen_total)
    else:
        for name in sorted(hist['unseen']):
            labels.append(name)
            r.append(0.0)
            c.append(hist['unseen'][name])
        if hist['overflow'] > 0:
            labels.append('__overflow__')
            r.append(0.0)
            c.append(hist['overflow'])
    labels.append('__missing__')
    r.append(ref['missingShare'])
    c.append(hist['missing'])
    return labels, np.array(r, float), np.array(c, float)


def pooled_homogeneity(ref_counts, cur_counts):
    """The pooling rule of lib/stats/distances.ts, then scipy's chi2_contingency (no Yates)."""
    n, m = float(np.sum(ref_counts)), float(np.sum(cur_counts))
    if n <= 0 or m <= 0:
        return None
    small = lambda t: min(n, m) * t / (n + m) < MIN_EXPECTED
    kept, pool, pooled = [], [0.0, 0.0], False
    for r, c in zip(ref_counts, cur_counts):
        if r + c == 0:
            continue
        if small(r + c):
            pool[0] += r
            pool[1] += c
            pooled = True
        else:
            kept.append([r, c])
    if pooled:
        while small(pool[0] + pool[1]) and kept:
            j = min(range(len(kept)), key=lambda i: (kept[i][0] + kept[i][1], i))
            r, c = kept.pop(j)
            pool[0] += r
            pool[1] += c
        kept.append(pool)
    if len(kept) < 2:
        return None
    table = np.array(kept, dtype=float).T
    res = stats.chi2_contingency(table, correction=False)
    return float(res.statistic), float(res.pvalue), len(kept)


def categorical_tests(ref, hist):
    labels, r, c = categorical_buckets(ref, hist)
    n = ref['count']
    m = int(c.sum())
    out = {}
    if n == 0 or m == 0:
        for t, th in [('psi', 0.2), ('jensenshannon', 0.1), ('chisquare', 0.05), ('z', 0.05)]:
            out[t] = not_enough(th, n, m)
    else:
        out['psi'] = result(psi_value(r, c), None, 0.2, n, m, False)
        out['jensenshannon'] = result(distance.jensenshannon(r, c, base=2), None, 0.1, n, m, False)
        chi = pooled_homogeneity(r * n, c)
        if chi is None:
            out['chisquare'] = not_enough(0.05, n, m)
        else:
            out['chisquare'] = result(chi[0], chi[1], 0.05, n, m, True)
            out['chisquare']['pooledBuckets'] = chi[2]
        p1, p2 = r[0], c[0] / m
        pooled = (p1 * n + p2 * m) / (n + m)
        if not (0 < pooled < 1):
            z, pz = 0.0, 1.0
        else:
            z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m))
            pz = 2 * stats.norm.sf(abs(z))
        out['z'] = result(z, pz, 0.05, n, m, True)
    occupied = int(np.sum((r > 0) | (c > 0)))
    auto = ('z' if occupied <= 2 else 'chisquare') if n <= SMALL_REFERENCE else 'jensenshannon'
    return out, auto, labels


def categorical_case(name, ref_values, cur_values, max_categories=100, max_unseen=64, note=''):
    ref_values = [None if v is None else str(v) for v in ref_values]
    cur_values = [None if v is None else str(v) for v in cur_values]
    ref = categorical_reference(ref_values, max_categories)
    hist = categorical_histogram(list(ref['categories'].keys()), cur_values, max_unseen)
    tests, auto, labels = categorical_tests(ref, hist)
    return {'name': name, 'note': note, 'maxCategories': max_categories, 'maxUnseen': max_unseen,
            'reference': ref_values, 'current': cur_values,
            'expected': {'reference': ref, 'labels': labels, 'unseen': sorted(hist['unseen'].items()),
                         'overflow': hist['overflow'], 'tests': tests, 'auto': auto}}


def categorical_fixtures():
    rng = np.random.default_rng(7)

    def draw(cats, p, n):
        return list(rng.choice(cats, size=n, p=p))

    abc = ['A', 'B', 'C']
    many = [f'm{i:02d}' for i in range(30)]
    zipf = np.array([1 / (i + 1) for i in range(30)])
    zipf /= zipf.sum()
    zipf2 = np.roll(zipf, 1)
    twelve = [f'k{i:02d}' for i in range(12)]
    p12 = np.array([12 - i for i in range(12)], float)
    p12 /= p12.sum()
    ten = [f't{i}' for i in range(10)]
    rare = ['common', 'mid', 'rare1', 'rare2', 'rare3']
    prare = [0.7, 0.27, 0.01, 0.01, 0.01]
    cases = [
        categorical_case('three-small-shift', draw(abc, [.5, .3, .2], 600), draw(abc, [.4, .3, .3], 400)),
        categorical_case('three-small-same', draw(abc, [.5, .3, .2], 600), draw(abc, [.5, .3, .2], 400)),
        categorical_case('many-large', draw(many, zipf, 5000), draw(many, zipf2, 3000)),
        categorical_case('many-large-same', draw(many, zipf, 5000), draw(many, zipf, 3000)),
        categorical_case('unseen', draw(abc, [.5, .3, .2], 500), draw(abc + ['D', 'E'], [.45, .25, .2, .05, .05], 300)),
        categorical_case('single-category-same', ['A'] * 200, ['A'] * 100),
        categorical_case('single-category-changed', ['A'] * 200, ['B'] * 100),
        categorical_case('binary-small', draw(['no', 'yes'], [.9, .1], 700), draw(['no', 'yes'], [.85, .15], 500)),
        categorical_case('binary-with-missing', draw(['no', 'yes'], [.9, .1], 665) + [None] * 35,
                         draw(['no', 'yes'], [.9, .1], 425) + [None] * 75),
        categorical_case('capped-reference-other', draw(twelve, p12, 900),
                         draw(twelve, p12, 300) + ['new1'] * 20 + ['new2'] * 5, max_categories=5,
                         note='reference keeps 5 names + __other__; tail and new names fold into __other__'),
        categorical_case('unseen-overflow', draw(abc, [.5, .3, .2], 400),
                         draw(abc, [.5, .3, .2], 200) + [f'x{i}' for i in range(8) for _ in range(i + 1)],
                         max_unseen=3, note='8 new names, 3 tracked, the rest overflow'),
        categorical_case('zero-counts', draw(ten, [.1] * 10, 1000), draw(['t1', 't2'], [.5, .5], 60),
                         note='8 of 10 reference categories absent now; expected counts pooled'),
        categorical_case('rare-pooling', draw(rare, prare, 800), draw(rare, [.6, .3, .04, .03, .03], 200)),
        categorical_case('empty-current', draw(abc, [.5, .3, .2], 100), []),
        categorical_case('empty-reference', [], draw(abc, [.5, .3, .2], 100)),
        categorical_case('tiny-current', draw(abc, [.5, .3, .2], 300), ['A', 'B', 'A'],
                         note='every expected count < 5: pooled to one bucket, not enough data'),
        categorical_case('all-missing-current', draw(abc, [.5, .3, .2], 300), [None] * 40),
    ]
    return cases


# ---------------------------------------------------------------- BH

def fdr_fixtures():
    rng = np.random.default_rng(11)
    vectors = [
        [0.01, 0.02, 0.03, 0.04, 0.05],
        [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216],
        [0.5, 0.5, 0.01, 0.01, 0.2],
        [0.0, 1.0, 0.3, 0.0001],
        [0.049],
        list(rng.uniform(0, 1, 20)),
        list(np.concatenate([rng.uniform(0, 0.001, 3), rng.uniform(0, 1, 17)])),
    ]
    out = []
    for ps in vectors:
        ps = [float(p) for p in ps]
        adj = stats.false_discovery_control(ps, method='bh')
        for q in [0.05, 0.1]:
            out.append({'pValues': ps, 'q': q, 'adjusted': floats(adj), 'rejected': [bool(a <= q) for a in adj]})
    return out


def write(name, data):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, 'w') as f:
        json.dump({'generatedBy': 'scripts/stats-fixtures.py', 'numpy': np.__version__,
                   'scipy': __import__('scipy').__version__, 'cases': data}, f, allow_nan=False,
                  separators=(',', ':'))
        f.write('\n')
    print(f'wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)')


if __name__ == '__main__':
    write('special.json', special_fixtures())
    write('numeric.json', numeric_fixtures())
    write('categorical.json', categorical_fixtures())
    write('fdr.json', fdr_fixtures())
