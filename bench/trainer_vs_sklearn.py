#!/usr/bin/env python3
"""scikit-learn's side of bench/trainer-vs-sklearn.ts (run by it; not on its own).

Reads the dataset the TypeScript side wrote (meta.json, X.f64 row-major float64,
y.u8, ours.f64 = our holdout scores), fits StandardScaler + LogisticRegression
(lbfgs, the same C) on the same training rows, scores the same holdout, and
prints one JSON object: both ROC-AUCs by sklearn's roc_auc_score, fit times,
iterations.
"""

import json
import os
import sys
import time

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def main(directory):
    with open(os.path.join(directory, 'meta.json')) as f:
        meta = json.load(f)
    rows, cols, train = meta['rows'], meta['cols'], meta['trainRows']
    x = np.fromfile(os.path.join(directory, 'X.f64'), dtype='<f8').reshape(rows, cols)
    y = np.fromfile(os.path.join(directory, 'y.u8'), dtype=np.uint8).astype(np.int64)
    ours = np.fromfile(os.path.join(directory, 'ours.f64'), dtype='<f8')
    x_train, y_train, x_hold, y_hold = x[:train], y[:train], x[train:], y[train:]

    def estimator():
        return LogisticRegression(C=meta['C'], solver='lbfgs', max_iter=meta['maxIter'], tol=meta['tol'])

    # Pipeline + fit, as a user would write it: scaler + estimator (the span the
    # TypeScript side calls 'pipeline + fit'; no reading or decoding on either side).
    pipeline = make_pipeline(StandardScaler(), estimator())
    t0 = time.perf_counter()
    pipeline.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - t0
    scores = pipeline.predict_proba(x_hold)[:, 1]

    # The estimator alone, on the already-scaled matrix.
    scaled = pipeline[0].transform(x_train)
    estimator_seconds = float('inf')
    for _ in range(meta.get('repeat', 1)):  # best of N: the machine may be shared
        alone = estimator()
        t0 = time.perf_counter()
        alone.fit(scaled, y_train)
        estimator_seconds = min(estimator_seconds, time.perf_counter() - t0)

    scores.astype('<f8').tofile(os.path.join(directory, 'sklearn.f64'))
    print(json.dumps({
        'sklearn': sklearn.__version__,
        'numpy': np.__version__,
        'aucSklearn': float(roc_auc_score(y_hold, scores)),
        'aucOurs': float(roc_auc_score(y_hold, ours)),
        'fitSeconds': fit_seconds,
        'estimatorSeconds': estimator_seconds,
        'iterations': int(pipeline[-1].n_iter_[0]),
        'threads': os.environ.get('OMP_NUM_THREADS', 'default'),
    }))


if __name__ == '__main__':
    main(sys.argv[1])
