#!/usr/bin/env python3
"""River's side of bench/drift-vs-river.ts (run by it, once per stream file).

Usage: drift_river.py STREAM.json [--detectors adwin,kswin,pagehinkley]
                                  [--kswin-span N] [--standardise]

Reads the stream bench/drift-streams.ts wrote (STREAM.json: layout and column
names; STREAM.f64: float64 little-endian, row-major, events x columns, the last
column the categorical feature's category index) and runs River's unsupervised
drift detectors on the events after the reference, with River's defaults:

- one detector per numeric feature, fed its raw values;
- one detector per category of the categorical feature, fed its 0/1 indicator;
- "any feature fires" is the stream-level alarm (the driver takes the union).

After an alarm the detector is simply updated again: in River 0.26 ADWIN,
KSWIN and PageHinkley all reset themselves on the update after a detection
(`if self.drift_detected: self._reset()` at the top of `update`), which is
what their docs' examples rely on. KSWIN is seeded (seed = 1000 + feature
column) so runs repeat.

KSWIN runs a two-sample KS test on every update (~0.3 ms each), so with
--kswin-span N it only sees events [changeAt - N, changeAt + N) (N = 0: the
whole monitored range, like the others).

--standardise feeds each numeric detector (x - mean) / sd with the reference's
moments (not River's default; off unless asked).

Prints one JSON object: per detector, the span it saw, per feature the event
indices (0-based, in the whole stream) at which it signalled drift, the number
of feature-updates and the CPU seconds (time.process_time) spent in the update
loops, and ns per feature-update.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import river
from river import drift

DETECTORS = {
    'adwin': lambda column: drift.ADWIN(),
    'kswin': lambda column: drift.KSWIN(seed=1000 + column),
    'pagehinkley': lambda column: drift.PageHinkley(),
}
NAMES = {'adwin': 'ADWIN', 'kswin': 'KSWIN', 'pagehinkley': 'PageHinkley'}


def feature_streams(meta, data, start, end, standardise):
    """(name, column index for seeding, values as a Python list) per detector input."""
    numeric = meta['numeric']
    out = []
    for j in range(numeric):
        values = data[start:end, j]
        if standardise:
            m = meta['referenceMoments'][j]
            values = (values - m['mean']) / (m['sd'] if m['sd'] > 0 else 1.0)
        out.append((meta['columns'][j], j, values.tolist()))
    categories = data[start:end, numeric]
    for k, name in enumerate(meta['categories']):
        out.append((f"{meta['categorical']}={name}", numeric + k, (categories == k).astype(np.float64).tolist()))
    return out


def run(kind, meta, data, start, end, standardise):
    alarms = {}
    updates = 0
    cpu = 0.0
    for name, column, values in feature_streams(meta, data, start, end, standardise):
        detector = DETECTORS[kind](column)
        hits = []
        t0 = time.process_time()
        for i, x in enumerate(values):
            detector.update(x)
            if detector.drift_detected:
                hits.append(i)
        cpu += time.process_time() - t0
        updates += len(values)
        alarms[name] = [start + i for i in hits]
    return {
        'detector': NAMES[kind],
        'span': [start, end],
        'alarms': alarms,
        'updates': updates,
        'cpuSeconds': cpu,
        'nsPerUpdate': cpu / updates * 1e9 if updates else None,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('meta')
    parser.add_argument('--detectors', default='adwin,kswin,pagehinkley')
    parser.add_argument('--kswin-span', type=int, default=0)
    parser.add_argument('--standardise', action='store_true')
    args = parser.parse_args()
    with open(args.meta) as f:
        meta = json.load(f)
    base = os.path.splitext(args.meta)[0]
    width = len(meta['columns'])
    data = np.fromfile(base + '.f64', dtype='<f8').reshape(meta['events'], width)
    out = {'river': river.__version__, 'numpy': np.__version__, 'python': sys.version.split()[0], 'standardised': args.standardise, 'detectors': []}
    for kind in [d for d in args.detectors.split(',') if d]:
        start, end = meta['reference'], meta['events']
        if kind == 'kswin' and args.kswin_span > 0:
            start = max(start, meta['changeAt'] - args.kswin_span)
            end = min(end, meta['changeAt'] + args.kswin_span)
        out['detectors'].append(run(kind, meta, data, start, end, args.standardise))
    json.dump(out, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
