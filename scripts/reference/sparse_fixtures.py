#!/usr/bin/env python3
"""Reference fits of L2 logistic regression on `data/heart_scale` (LibSVM format, 270 rows, 13
features) for `crates/axon/tests/sparse_logit.rs`, so that axon's sparse solvers are checked
against the tools users compare them with:

- LIBLINEAR itself (pip `liblinear-official`), `-s 0 -c 1 -B -1 -e 1e-10`: no intercept, the
  objective `0.5 ||w||^2 + C sum log(1 + exp(-y w.x))`;
- scikit-learn's `LogisticRegression(C=1, solver="lbfgs")` with an unpenalised intercept, to a
  tight tolerance, the objective `C sum log(1 + exp(-y (w.x + b))) + 0.5 ||w||^2`.

Objectives are computed here in float64 from the returned coefficients. Writes
`crates/axon/tests/fixtures/sparse_logit.json`. Run from anywhere:

    pip install scikit-learn liblinear-official
    python3 scripts/reference/sparse_fixtures.py
"""

import json
from pathlib import Path

import numpy as np
from liblinear.liblinearutil import parameter, problem, train
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "axon" / "tests" / "fixtures" / "sparse_logit.json"


def objective(X, y, w, b, C):
    margins = y * (X @ w + b)
    return float(C * np.logaddexp(0.0, -margins).sum() + 0.5 * w @ w)


def main():
    X, labels = load_svmlight_file(str(ROOT / "data" / "heart_scale"))
    y = np.where(labels > 0, 1.0, -1.0)
    C = 1.0

    model = train(problem(y.tolist(), X), parameter(f"-s 0 -c {C} -B -1 -e 1e-10 -q"))
    w_ll = np.array([model.w[j] for j in range(X.shape[1])])
    # LIBLINEAR orders its weights by its first label; make them the weights of class +1.
    if model.get_labels()[0] != 1:
        w_ll = -w_ll

    sk = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=100000)
    sk.fit(X, (y > 0).astype(int))
    w_sk, b_sk = sk.coef_[0], float(sk.intercept_[0])

    fixture = {
        "data": "data/heart_scale",
        "C": C,
        "liblinear": {
            "settings": "-s 0 -c 1 -B -1 -e 1e-10",
            "coef": w_ll.tolist(),
            "objective": objective(X, y, w_ll, 0.0, C),
        },
        "sklearn": {
            "settings": "LogisticRegression(C=1, solver='lbfgs', tol=1e-12, max_iter=100000)",
            "coef": w_sk.tolist(),
            "intercept": b_sk,
            "objective": objective(X, y, w_sk, b_sk, C),
        },
    }
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
