#!/usr/bin/env python3
"""Reference ROC and precision-recall curves for `axon::metrics::{roc_curve,
precision_recall_curve}` (the `curves` integration test of the library).

scikit-learn's `roc_curve(drop_intermediate=False)` and `precision_recall_curve` on a few fixed
cases: tied scores, scores that are all distinct, a constant score, and the predicted
probabilities of a logit of `chd` on `age` (data/chd_age.csv, fitted by statsmodels), the
case `axon eval --plot` draws. The first ROC threshold (+inf) is stored as null.
Writes `crates/axon/tests/fixtures/curves.json` with the tool versions.

Run from the repository root or anywhere (needs scikit-learn, statsmodels, pandas):

    python3 scripts/reference/curve_fixtures.py

The output is deterministic; rerun it only when the cases change.
"""

import json
import math
import platform
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import statsmodels.api as sm
from sklearn import metrics

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "axon" / "tests" / "fixtures" / "curves.json"


def finite_or_none(values):
    return [None if not math.isfinite(v) else float(v) for v in values]


def case(name, y, scores):
    fpr, tpr, roc_thr = metrics.roc_curve(y, scores, drop_intermediate=False)
    precision, recall, pr_thr = metrics.precision_recall_curve(y, scores)
    return {
        "name": name,
        "y": [int(v) for v in y],
        "scores": [float(v) for v in scores],
        "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": finite_or_none(roc_thr)},
        "pr": {
            "precision": precision.tolist(),
            "recall": recall.tolist(),
            "thresholds": pr_thr.tolist(),
        },
        "auc": float(metrics.roc_auc_score(y, scores)),
    }


def main():
    rng = np.random.default_rng(7)
    cases = [
        case("ties", [0, 0, 1, 1, 0, 1, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.05]),
        case("constant", [0, 1, 1, 0, 1], [0.5] * 5),
    ]
    y = rng.integers(0, 2, 60)
    cases.append(case("random", y, rng.normal(size=60) + 0.8 * y))
    chd = pd.read_csv(ROOT / "data" / "chd_age.csv")
    fit = sm.Logit(chd["chd"], sm.add_constant(chd[["age"]])).fit(disp=0)
    cases.append(case("chd_age_logit", chd["chd"].to_numpy(), fit.predict().tolist()))
    out = {
        "generator": "scripts/reference/curve_fixtures.py",
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "cases": cases,
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
