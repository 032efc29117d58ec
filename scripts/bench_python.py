#!/usr/bin/env python3
"""axon's Python package against scikit-learn, and the cost of its Python layer.

Two problems, as issue 13 asks: the dense 200 000 x 100 logistic regression (L2, C = 1), and
breast cancer in GridSearchCV over 10 values of C with 5 folds (many small fits). For the dense
problem it times `axon.LogisticRegression.fit` (validation, label encoding, the native call),
the native call alone (`axon._axon.fit_logistic` on the prepared arrays: the Rust library's own
fit plus the FFI), and scikit-learn's `LogisticRegression` (lbfgs, tol 1e-4 as axon's default);
the Python layer's overhead is the first over the second, as the median of paired runs (one of
each, back to back), which keeps a busy machine's drift out of the difference. Medians of
--repeat runs.

    ~/py-venv/bin/python scripts/bench_python.py [--rows 200000] [--cols 100] [--repeat 3]
        [--solver auto]
"""

import argparse
import statistics
import time

import numpy as np
from sklearn import linear_model
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import axon
from axon import _axon


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def dense(rows, cols, repeat, solver):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, cols))
    beta = rng.standard_normal(cols) / np.sqrt(cols)
    y = (rng.random(rows) < 1 / (1 + np.exp(-(x @ beta)))).astype(np.int64)
    est = axon.LogisticRegression(C=1.0, solver=solver)
    args = dict(penalty="l2", c=1.0, l1_ratio=0.0, solver=solver, fit_intercept=True,
                class_weight="none", multi_class="auto", max_iter=100, tol=1e-4)
    pairs = [(median_time(lambda: est.fit(x, y), 1),
              median_time(lambda: _axon.fit_logistic(x, y, 2, **args), 1)) for _ in range(repeat)]
    t_est = statistics.median(p[0] for p in pairs)
    t_native = statistics.median(p[1] for p in pairs)
    overhead = statistics.median((a - b) / b for a, b in pairs)
    sk = linear_model.LogisticRegression(C=1.0)
    t_sk = median_time(lambda: sk.fit(x, y), repeat)
    gap = np.abs(est.coef_ - sk.coef_).max()
    print(f"dense {rows} x {cols}, L2 C=1, axon solver {solver!r}:")
    print(f"  axon.LogisticRegression.fit  {t_est:8.3f} s")
    print(f"  _axon.fit_logistic (native)  {t_native:8.3f} s")
    print(f"  Python layer overhead        {100 * overhead:8.1f} %")
    print(f"  sklearn LogisticRegression   {t_sk:8.3f} s   (max |coef gap| {gap:.1e})")


def grid(repeat):
    x, y = load_breast_cancer(return_X_y=True)
    cs = {"logisticregression__C": list(np.logspace(-3, 3, 10))}
    for name, est in [("axon", axon.LogisticRegression()),
                      ("sklearn", linear_model.LogisticRegression())]:
        search = GridSearchCV(make_pipeline(StandardScaler(), est), cs, cv=5)
        t = median_time(lambda: search.fit(x, y), repeat)
        print(f"breast cancer GridSearchCV (10 C x 5 folds), {name:8s} {t:8.3f} s   "
              f"best C {search.best_params_['logisticregression__C']:.3g}, "
              f"score {search.best_score_:.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--cols", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--solver", default="auto",
                    help="axon's solver on the dense problem ('newton' was 'auto' before L-BFGS "
                         "took over large problems)")
    a = ap.parse_args()
    dense(a.rows, a.cols, a.repeat, a.solver)
    grid(a.repeat)


if __name__ == "__main__":
    main()
