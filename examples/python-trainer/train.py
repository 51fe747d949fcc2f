#!/usr/bin/env python3
"""Example custom trainer: scikit-learn LogisticRegression behind the Roundhouse trainer contract.

Usage: train.py WORK_DIR   (run by run.sh between `toolkit fetch` and `toolkit publish`)

Reads (written by `toolkit fetch`, formats in docs/trainer-contract.md):
  WORK_DIR/context.json      run spec, feature list (name, numeric|categorical), split counts
  WORK_DIR/train.jsonl       {"eventId", "eventTime", "label": 0|1, "record": {...}} per line
  WORK_DIR/holdout.jsonl     the out-of-time holdout, same format
Writes:
  WORK_DIR/artifact/model.json    the fitted model (format example.sklearn-logistic/v1)
  WORK_DIR/artifact/metrics.json  ModelMetrics of the holdout (the TrainingCompleted record's shape)
  WORK_DIR/result.json            {"status": "SUCCEEDED", "modelFormat", "trainerVersion"}
                                  or {"status": "FAILED", "failure": {"code", "message", "retriable"}}
Exit codes: 0 success, 65 bad input (bad hyperparameters, one class), 75 retriable.
"""

import json
import math
import os
import sys

EX_OK, EX_DATAERR, EX_TEMPFAIL = 0, 65, 75
MODEL_FORMAT = "example.sklearn-logistic/v1"
MISSING = "__missing__"
# Hyperparameters this trainer understands (free JSON from the catalog, passed through by the platform).
KNOWN_HYPERPARAMETERS = {"C", "classWeight", "maxIter", "tol", "maxCategories"}


class BadInput(Exception):
    """Input retrying cannot fix: reported as a non-retriable failure, exit 65."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def write_json(path, value):
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)


def read_rows(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def hyperparameters(raw):
    unknown = sorted(set(raw) - KNOWN_HYPERPARAMETERS)
    if unknown:
        raise BadInput("VALIDATION", f"invalid hyperparameters: unknown {', '.join(unknown)} (known: {', '.join(sorted(KNOWN_HYPERPARAMETERS))})")
    c = raw.get("C", 1.0)
    if not isinstance(c, (int, float)) or c <= 0:
        raise BadInput("VALIDATION", f"invalid hyperparameters: C must be a number > 0, got {c!r}")
    weight = raw.get("classWeight")
    if weight not in (None, "balanced"):
        raise BadInput("VALIDATION", "invalid hyperparameters: classWeight must be 'balanced' or null")
    return {"C": float(c), "class_weight": weight, "max_iter": int(raw.get("maxIter", 1000)), "tol": float(raw.get("tol", 1e-4)), "max_categories": int(raw.get("maxCategories", 50))}


def numeric(v):
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)) and math.isfinite(v):
        return float(v)
    return math.nan


def category(v):
    if v is None:
        return MISSING
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else json.dumps(v)


def columns(rows, features):
    """Split records into a numeric matrix and a categorical matrix (object dtype)."""
    import numpy as np

    num = [f["name"] for f in features if f["type"] == "numeric"]
    cat = [f["name"] for f in features if f["type"] != "numeric"]
    x_num = np.array([[numeric(r["record"].get(n)) for n in num] for r in rows], dtype=float).reshape(len(rows), len(num))
    x_cat = np.array([[category(r["record"].get(n)) for n in cat] for r in rows], dtype=object).reshape(len(rows), len(cat))
    return num, cat, x_num, x_cat


def holdout_metrics(y, p):
    """ModelMetrics with the same definitions as lib/model/metrics.ts."""
    import numpy as np
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve

    n = len(y)
    positives = int(y.sum())
    eps = np.finfo(float).eps
    pc = np.clip(p, eps, 1 - eps)
    log_loss = float(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc)))
    fpr, tpr, _ = roc_curve(y, p)
    recall_at_fpr = float(tpr[fpr <= 0.01].max()) if np.any(fpr <= 0.01) else 0.0
    k = max(1, int(round(0.01 * n)))
    # Precision among the k highest scores; rows tied at the cut count by expectation.
    order = np.argsort(-p, kind="stable")
    cut = p[order[k - 1]]
    above = p > cut
    at = p == cut
    precision_at_k = float((y[above].sum() + (k - above.sum()) * y[at].mean()) / k)
    # ECE over 10 equal-width bins closed on the right ([0, .1], (.1, .2], ...).
    bins = np.clip(np.ceil(p * 10).astype(int) - 1, 0, 9)
    ece = sum(abs(y[bins == b].mean() - p[bins == b].mean()) * (bins == b).sum() / n for b in range(10) if (bins == b).any())
    return {
        "rocAuc": float(roc_auc_score(y, p)),
        "prAuc": float(average_precision_score(y, p)),
        "logLoss": log_loss,
        "brier": float(brier_score_loss(y, p)),
        "recallAt1PctFpr": recall_at_fpr,
        "precisionAtK": precision_at_k,
        "k": k,
        "expectedCalibrationError": float(ece),
        "rows": n,
        "positives": positives,
        "extra": {},
    }


def train(work):
    import numpy as np
    import sklearn
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    with open(os.path.join(work, "context.json"), encoding="utf-8") as f:
        context = json.load(f)
    spec = context["spec"]
    hp = hyperparameters(spec["hyperparameters"])
    features = [{"name": f["name"], "type": f["type"] or "numeric"} for f in context["features"]]
    train_rows = read_rows(os.path.join(work, "train.jsonl"))
    holdout_rows = read_rows(os.path.join(work, "holdout.jsonl"))
    y_train = np.array([r["label"] for r in train_rows], dtype=int)
    y_holdout = np.array([r["label"] for r in holdout_rows], dtype=int)
    if len(set(y_train.tolist())) < 2 or len(set(y_holdout.tolist())) < 2:
        raise BadInput("NO_DATA", f"training needs both classes in train ({int(y_train.sum())}/{len(y_train)} positive) and holdout ({int(y_holdout.sum())}/{len(y_holdout)})")

    num, cat, x_num, x_cat = columns(train_rows, features)
    pre = ColumnTransformer(
        [
            ("num", Pipeline([("impute", SimpleImputer(strategy="mean", add_indicator=True, keep_empty_features=True)), ("scale", StandardScaler())]), list(range(len(num)))),
            ("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=hp["max_categories"], sparse_output=False), list(range(len(num), len(num) + len(cat)))),
        ]
    )
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(C=hp["C"], class_weight=hp["class_weight"], max_iter=hp["max_iter"], tol=hp["tol"]))])
    model.fit(np.hstack([x_num, x_cat]).astype(object), y_train)

    _, _, h_num, h_cat = columns(holdout_rows, features)
    scores = model.predict_proba(np.hstack([h_num, h_cat]).astype(object))[:, 1]
    metrics = holdout_metrics(y_holdout, scores)

    imputer = model.named_steps["pre"].named_transformers_["num"].named_steps["impute"]
    scaler = model.named_steps["pre"].named_transformers_["num"].named_steps["scale"]
    encoder = model.named_steps["pre"].named_transformers_["cat"]
    clf = model.named_steps["clf"]
    artifact = os.path.join(work, "artifact")
    os.makedirs(artifact, exist_ok=True)
    write_json(
        os.path.join(artifact, "model.json"),
        {
            "format": MODEL_FORMAT,
            "sklearnVersion": sklearn.__version__,
            "numeric": num,
            "categorical": cat,
            "imputerMeans": [float(v) if math.isfinite(v) else None for v in imputer.statistics_],
            "scalerMean": scaler.mean_.tolist(),
            "scalerScale": scaler.scale_.tolist(),
            "categories": [[str(c) for c in cats] for cats in encoder.categories_],
            "featureNames": [str(n) for n in model.named_steps["pre"].get_feature_names_out()],
            "coefficients": clf.coef_[0].tolist(),
            "intercept": float(clf.intercept_[0]),
            "hyperparameters": spec["hyperparameters"],
            "trainRows": len(train_rows),
        },
    )
    write_json(os.path.join(artifact, "metrics.json"), metrics)
    return {"status": "SUCCEEDED", "modelFormat": MODEL_FORMAT, "trainerVersion": f"example-python-trainer 0.1.0 (scikit-learn {sklearn.__version__})"}


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return EX_DATAERR
    work = argv[1]
    try:
        result, code = train(work), EX_OK
    except BadInput as e:
        result, code = {"status": "FAILED", "failure": {"code": e.code, "message": str(e), "retriable": False}}, EX_DATAERR
    except (OSError, MemoryError) as e:
        result, code = {"status": "FAILED", "failure": {"code": "INTERNAL", "message": f"{type(e).__name__}: {e}", "retriable": True}}, EX_TEMPFAIL
    write_json(os.path.join(work, "result.json"), result)
    if code != EX_OK:
        print(f"train.py: [{result['failure']['code']}] {result['failure']['message']}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
