#!/usr/bin/env python3
"""Reference fits for `crates/axon/tests/penalised.rs` (penalised logistic regression, the L-BFGS
and coordinate-descent solvers, one-vs-rest and class weights) from scikit-learn.

Writes `crates/axon/tests/fixtures/penalised_sklearn.json` with:

- `breast_cancer`: `data/breast_cancer.csv` standardised with the population sd (as
  `StandardScaler`), stored row-major with `y` so the Rust tests need neither Python nor axon's CSV
  reader, and on it
  - `l2`: `LogisticRegression(C=1, solver="newton-cholesky")` coefficients and intercept, and the
    same with `class_weight="balanced"` (`l2_balanced`);
  - `l1_path`: for C in 0.01, 0.05, 0.1, 0.5, 1, `solver="saga"` (which, unlike liblinear, leaves
    the intercept unpenalised, so it solves axon's problem) coefficients, intercept and zero
    pattern, plus liblinear's zero pattern (`intercept_scaling=1000`, so its penalty on the
    intercept is negligible) for comparison;
  - `elastic_net`: `solver="saga", l1_ratio=0.5` at C = 0.1 and 1.
  Every saga result records its KKT residual (for a zero coefficient `max(0, |g_j| − λ₁)`, for a
  nonzero one `|g_j + λ₁ sign(w_j) + λ₂ w_j|`, with `g` the gradient of `Σ loss` and
  `λ₁ = l1_ratio / C`, `λ₂ = (1 − l1_ratio) / C`), the evidence that the reference is converged.
- `iris_multinomial`: iris standardised, multinomial `LogisticRegression(C=1, solver="lbfgs")`
  (scikit-learn's symmetric parameterisation, one coefficient row per class, all penalised).
- `wine_ovr`: wine standardised, `OneVsRestClassifier(LogisticRegression(C=1))` coefficients,
  intercepts and `predict_proba` (rows normalised by scikit-learn), with and without
  `class_weight="balanced"`; and the multinomial `LogisticRegression(C=1,
  class_weight="balanced")` on the same data (`multinomial_balanced`).

Every fit uses `tol=1e-12` and a large `max_iter` so the reference is the optimum, not an early
stop. Run from anywhere (needs `pip install scikit-learn==1.7.2 numpy`):

    python3 scripts/reference/penalised_fixtures.py
"""

import json
import platform
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "crates" / "axon" / "tests" / "fixtures" / "penalised_sklearn.json"
L1_PATH = [0.01, 0.05, 0.1, 0.5, 1.0]
EN_PATH = [0.1, 1.0]
SAGA = {"solver": "saga", "tol": 1e-12, "max_iter": 1_000_000, "random_state": 0}


def floats(a) -> list:
    return [float(v) for v in np.asarray(a).ravel()]


def read_sklearn_csv(name: str):
    lines = (ROOT / "data" / name).read_text().strip().split("\n")
    rows = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    x, y = rows[:, :-1], rows[:, -1].astype(int)
    return (x - x.mean(axis=0)) / x.std(axis=0), y


def kkt_residual(x, y, coef, intercept, c, l1_ratio) -> float:
    """Largest violation of the optimality conditions of C Σ loss + penalty, divided by C."""
    p = 1.0 / (1.0 + np.exp(-(x @ coef + intercept)))
    g = x.T @ (p - y)
    lam1, lam2 = l1_ratio / c, (1.0 - l1_ratio) / c
    res = [abs(float(np.sum(p - y)))]
    for gj, wj in zip(g, coef):
        if wj == 0.0:
            res.append(max(0.0, abs(gj) - lam1))
        else:
            res.append(abs(gj + lam1 * np.sign(wj) + lam2 * wj))
    return max(res)


def saga(x, y, c, l1_ratio) -> dict:
    penalty = "l1" if l1_ratio == 1.0 else "elasticnet"
    extra = {} if l1_ratio == 1.0 else {"l1_ratio": l1_ratio}
    m = LogisticRegression(C=c, penalty=penalty, **extra, **SAGA).fit(x, y)
    coef, b = m.coef_[0], float(m.intercept_[0])
    return {
        "C": c,
        "l1_ratio": l1_ratio,
        "coef": floats(coef),
        "intercept": b,
        "nonzero": [bool(v != 0.0) for v in coef],
        "n_iter": int(m.n_iter_[0]),
        "kkt_residual": kkt_residual(x, y, coef, b, c, l1_ratio),
    }


def breast_cancer() -> dict:
    x, y = read_sklearn_csv("breast_cancer.csv")
    l2 = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(x, y)
    bal = LogisticRegression(
        C=1.0, solver="newton-cholesky", tol=1e-12, max_iter=1000, class_weight="balanced"
    ).fit(x, y)
    path = []
    for c in L1_PATH:
        r = saga(x, y, c, 1.0)
        # liblinear is only compared (zero pattern), so its convergence is recorded, not required.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            lib = LogisticRegression(
                C=c, penalty="l1", solver="liblinear", tol=1e-12, max_iter=100_000,
                intercept_scaling=1000.0, random_state=0,
            ).fit(x, y)
        r["liblinear_n_iter"] = int(lib.n_iter_[0])
        r["liblinear_nonzero"] = [bool(v != 0.0) for v in lib.coef_[0]]
        r["liblinear_coef"] = floats(lib.coef_[0])
        path.append(r)
    return {
        "data": "data/breast_cancer.csv, columns standardised with the population sd",
        "n": int(x.shape[0]),
        "p": int(x.shape[1]),
        "x": floats(x),
        "y": [int(v) for v in y],
        "l2": {"C": 1.0, "coef": floats(l2.coef_[0]), "intercept": float(l2.intercept_[0])},
        "l2_balanced": {
            "C": 1.0,
            "coef": floats(bal.coef_[0]),
            "intercept": float(bal.intercept_[0]),
        },
        "l1_path": path,
        "elastic_net": [saga(x, y, c, 0.5) for c in EN_PATH],
    }


def iris_multinomial() -> dict:
    x, y = read_sklearn_csv("iris.csv")
    m = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-12, max_iter=100_000).fit(x, y)
    return {
        "data": "data/iris.csv, columns standardised with the population sd",
        "n": int(x.shape[0]),
        "p": int(x.shape[1]),
        "x": floats(x),
        "y": [int(v) for v in y],
        "C": 1.0,
        "coef": [floats(row) for row in m.coef_],
        "intercept": floats(m.intercept_),
        "proba": floats(m.predict_proba(x)),
    }


def wine_ovr() -> dict:
    x, y = read_sklearn_csv("wine_data.csv")
    out = {
        "data": "data/wine_data.csv, columns standardised with the population sd",
        "n": int(x.shape[0]),
        "p": int(x.shape[1]),
        "x": floats(x),
        "y": [int(v) for v in y],
    }
    m = LogisticRegression(
        C=1.0, solver="lbfgs", tol=1e-12, max_iter=100_000, class_weight="balanced"
    ).fit(x, y)
    out["multinomial_balanced"] = {
        "C": 1.0,
        "coef": [floats(row) for row in m.coef_],
        "intercept": floats(m.intercept_),
    }
    for key, cw in [("plain", None), ("balanced", "balanced")]:
        base = LogisticRegression(
            C=1.0, solver="newton-cholesky", tol=1e-12, max_iter=1000, class_weight=cw
        )
        m = OneVsRestClassifier(base).fit(x, y)
        out[key] = {
            "C": 1.0,
            "class_weight": cw,
            "coef": [floats(e.coef_[0]) for e in m.estimators_],
            "intercept": [float(e.intercept_[0]) for e in m.estimators_],
            "proba": floats(m.predict_proba(x)),
        }
    return out


def main() -> None:
    warnings.simplefilter("error", ConvergenceWarning)
    fixture = {
        "tool": "scikit-learn",
        "tool_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "python_version": platform.python_version(),
        "objective": "C * sum(sample_weight * log_loss) + penalty(coef), intercept unpenalised",
        "breast_cancer": breast_cancer(),
        "iris_multinomial": iris_multinomial(),
        "wine_ovr": wine_ovr(),
    }
    FIXTURE.write_text(json.dumps(fixture, indent=1) + "\n")
    for r in fixture["breast_cancer"]["l1_path"] + fixture["breast_cancer"]["elastic_net"]:
        print(
            f"C={r['C']:<5} l1_ratio={r['l1_ratio']} nonzero={sum(r['nonzero'])} "
            f"n_iter={r['n_iter']} kkt={r['kkt_residual']:.2e}"
        )
    print(f"wrote {FIXTURE}")


if __name__ == "__main__":
    main()
