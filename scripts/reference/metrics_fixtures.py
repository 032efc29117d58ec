#!/usr/bin/env python3
"""Reference values for `axon::metrics` (the `metrics` integration test).

Computes accuracy, log loss, Brier score, ROC AUC, per-class and averaged precision / recall /
F1 and confusion matrices with scikit-learn on a few fixed arrays, chosen to reach the edge
cases: tied scores (ROC AUC), probabilities of exactly 0 and 1 (log-loss clipping), a
three-class problem with a class that is never predicted, and a four-class problem with a class
that is neither present nor predicted (zero division, scikit-learn's default
`zero_division="warn"`, which sets the value to 0). Sample weights where scikit-learn takes them.
Writes `crates/axon/tests/fixtures/metrics.json` with the tool versions.

Run from anywhere (needs `pip install scikit-learn`):

    python3 scripts/reference/metrics_fixtures.py

The output is deterministic; rerun it only when the cases change.
"""

import json
import platform
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn import metrics

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "axon" / "tests" / "fixtures" / "metrics.json"


def quiet(fn, *args, **kwargs):
    """Calls fn, returning (value, whether scikit-learn warned)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn(*args, **kwargs)
    return value, len(caught) > 0


def prf(y_true, y_pred, n_classes):
    labels = list(range(n_classes))
    out = {}
    (p, r, f, s), warned = quiet(
        metrics.precision_recall_fscore_support, y_true, y_pred, labels=labels
    )
    out.update(
        precision=p.tolist(),
        recall=r.tolist(),
        f1=f.tolist(),
        support=[int(v) for v in s],
        sklearn_warned=warned,
    )
    for avg in ("macro", "weighted"):
        (p, r, f, _), _ = quiet(
            metrics.precision_recall_fscore_support, y_true, y_pred, labels=labels, average=avg
        )
        out[avg] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    out["confusion"] = metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist()
    out["accuracy"] = float(metrics.accuracy_score(y_true, y_pred))
    return out


def probabilistic(y_true, proba, weights, n_classes):
    labels = list(range(n_classes))
    out = {}
    for suffix, w in (("", None), ("_weighted", weights)):
        out["log_loss" + suffix] = float(
            metrics.log_loss(y_true, proba, sample_weight=w, labels=labels)
        )
        out["brier" + suffix] = float(
            metrics.brier_score_loss(y_true, proba, sample_weight=w, labels=labels)
        )
    return out


def binary_case():
    y_true = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0]
    proba = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.0, 1.0, 0.65, 0.7, 0.5, 0.5]
    weights = [1.0, 2.0, 0.5, 1.0, 1.0, 3.0, 1.0, 0.25, 1.0, 2.0, 1.0, 1.0]
    y_pred = [int(p > 0.5) for p in proba]
    case = {"y_true": y_true, "proba": proba, "weights": weights, "y_pred": y_pred}
    case.update(prf(y_true, y_pred, 2))
    case.update(probabilistic(y_true, np.array(proba), weights, 2))
    case["accuracy_weighted"] = float(
        metrics.accuracy_score(y_true, y_pred, sample_weight=weights)
    )
    case["roc_auc"] = float(metrics.roc_auc_score(y_true, proba))
    case["roc_auc_weighted"] = float(metrics.roc_auc_score(y_true, proba, sample_weight=weights))
    return case


def ties_case():
    # Decision values, heavily tied across the two classes.
    y_true = [0, 1, 0, 1, 1, 0, 0, 1, 1, 0]
    scores = [2.0, 2.0, 1.0, 1.0, 3.0, 3.0, -0.5, -0.5, 2.0, 1.0]
    weights = [0.5, 1.0, 2.0, 1.0, 1.0, 1.5, 1.0, 3.0, 0.25, 1.0]
    return {
        "y_true": y_true,
        "scores": scores,
        "weights": weights,
        "roc_auc": float(metrics.roc_auc_score(y_true, scores)),
        "roc_auc_weighted": float(metrics.roc_auc_score(y_true, scores, sample_weight=weights)),
    }


def clipping_case():
    y_true = [1, 0, 1]
    proba = [0.0, 1.0, 1.0]
    return {
        "y_true": y_true,
        "proba": proba,
        "log_loss": float(metrics.log_loss(y_true, proba, labels=[0, 1])),
    }


def multiclass_case():
    y_true = [0, 1, 2, 2, 1, 0, 2, 1, 0, 2]
    rows = [
        [0.7, 0.2, 0.1],
        [0.2, 0.5, 0.3],
        [0.4, 0.25, 0.35],
        [0.3, 0.45, 0.25],
        [0.1, 0.8, 0.1],
        [0.6, 0.3, 0.1],
        [0.34, 0.33, 0.33],
        [0.5, 0.4, 0.1],
        [1.0, 0.0, 0.0],
        [0.2, 0.4, 0.4],
    ]
    weights = [1.0, 0.5, 2.0, 1.0, 1.0, 3.0, 1.0, 0.5, 1.0, 2.0]
    proba = np.array(rows)
    y_pred = [int(v) for v in proba.argmax(axis=1)]
    assert 2 not in y_pred, "class 2 must never be predicted"
    case = {
        "n_classes": 3,
        "y_true": y_true,
        "proba": [v for row in rows for v in row],
        "weights": weights,
        "y_pred": y_pred,
    }
    case.update(prf(y_true, y_pred, 3))
    case.update(probabilistic(y_true, proba, weights, 3))
    case["accuracy_weighted"] = float(
        metrics.accuracy_score(y_true, y_pred, sample_weight=weights)
    )
    return case


def predictions_case():
    # Class 2 is never predicted, class 3 is neither present nor predicted.
    y_true = [0, 0, 1, 1, 1, 2, 2, 0, 1, 2]
    y_pred = [0, 1, 1, 1, 0, 0, 1, 0, 1, 1]
    case = {"n_classes": 4, "y_true": y_true, "y_pred": y_pred}
    case.update(prf(y_true, y_pred, 4))
    return case


def main() -> int:
    fixture = {
        "tool": "scikit-learn",
        "version": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "script": "scripts/reference/metrics_fixtures.py",
        "binary": binary_case(),
        "ties": ties_case(),
        "clipping": clipping_case(),
        "multiclass": multiclass_case(),
        "predictions": predictions_case(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
