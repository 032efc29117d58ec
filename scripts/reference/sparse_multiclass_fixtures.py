#!/usr/bin/env python3
"""Reference fits for axon's multi-class and L1 / elastic-net solvers on sparse designs
(`crates/axon/tests/sparse_multiclass.rs`, `crates/axon/tests/sparse_l1.rs`).

The text design: scikit-learn's `TfidfVectorizer(min_df=5, max_features=1500)`, values rounded to six digits, on the `text` column of
`data/spam_sample.csv.gz` (300 e-mails), labelled by the `group` column's sorted names as
0..4 (easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2; 3 and 4 are spam). It is written as
`crates/axon/tests/fixtures/spam_groups.svm.gz` (LibSVM, 1-based indices), and
every fit here is made on the matrix read back from that file, so axon and the references see
the same numbers. Fits (objectives in axon's units, `alpha = 1/C`, sum of losses + penalty;
intercepts never penalised):

- softmax: `LogisticRegression(C=10, solver="lbfgs", tol=1e-12)` (multinomial), with and
  without intercept: `sum log-loss + alpha/2 ||W||^2`;
- one-vs-rest: LIBLINEAR `-s 0 -c 10 -e 1e-10`, `-B -1` and `-B 1 -R` (bias not penalised);
- L1: LIBLINEAR `-s 6 -e 1e-10` (newGLMNET), `-B -1` and `-B 1 -R`, on `data/heart_scale`
  (C = 1) and on the text design's spam / ham labels (C = 100):
  `alpha ||w||_1 + sum log(1 + exp(-y (w.x + b)))`, and the number of non-zero weights;
- one-vs-rest L1: LIBLINEAR `-s 6 -c 10 -e 1e-10` on the text design's five groups, `-B -1`
  and `-B 1 -R`: the sum of the classes' L1 objectives and each class's non-zero weights;
- elastic net: `LogisticRegression(penalty="elasticnet", l1_ratio=0.5, C=1, solver="saga",
  tol=1e-12)` on heart_scale: `sum loss + alpha (r ||w||_1 + (1 - r)/2 ||w||^2)`.

Writes `crates/axon/tests/fixtures/sparse_multiclass.json` and the design file. Run from
anywhere (scikit-learn, scipy, pandas, liblinear-official):

    ~/sm-venv/bin/python scripts/reference/sparse_multiclass_fixtures.py
"""

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
from liblinear.liblinearutil import parameter, problem, train
from scipy.special import logsumexp
from sklearn.datasets import dump_svmlight_file, load_svmlight_file
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "crates" / "axon" / "tests" / "fixtures"
DESIGN = FIXTURES / "spam_groups.svm.gz"
OUT = FIXTURES / "sparse_multiclass.json"


def write_design():
    frame = pd.read_csv(ROOT / "data" / "spam_sample.csv.gz")
    groups = sorted(frame["group"].unique())
    labels = frame["group"].map({g: k for k, g in enumerate(groups)}).to_numpy()
    X = TfidfVectorizer(min_df=5, max_features=1500).fit_transform(frame["text"])
    # Six significant digits keep the file small; every fit reads the rounded values back.
    X.data = np.array([float(f"{v:.6g}") for v in X.data])
    with open(DESIGN, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        dump_svmlight_file(X, labels, f, zero_based=False)
    X, y = load_svmlight_file(str(DESIGN), zero_based=False)
    X.indices = X.indices.astype(np.int32)
    X.indptr = X.indptr.astype(np.int32)
    return X, y.astype(int), groups


def softmax_objective(X, y, W, b, alpha):
    Z = X @ W.T + b
    loss = (logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]).sum()
    return float(loss + 0.5 * alpha * (W * W).sum())


def binary_loss(X, s, w, b):
    return float(np.logaddexp(0.0, -s * (X @ w + b)).sum())


def liblinear(X, s, settings):
    """Weights and bias of a LIBLINEAR fit, oriented to the class +1 (or the per-class rows)."""
    m = train(problem(s.tolist(), X), parameter(settings + " -q"))
    labels = m.get_labels()
    n = X.shape[1]
    nr_w = 1 if len(labels) == 2 else len(labels)
    W = np.array([[m.get_decfun_coef(j + 1, k) for j in range(n)] for k in range(nr_w)])
    b = np.array([m.get_decfun_bias(k) for k in range(nr_w)])
    if len(labels) == 2:
        sign = 1.0 if labels[0] == 1 else -1.0
        return sign * W[0], sign * b[0]
    order = np.argsort(labels)
    return W[order], b[order]


def every_97th(W):
    """Every 97th column of the text design's weights (the full lists would be ~1 MB)."""
    return np.atleast_2d(W)[:, ::97].tolist()


def softmax_fits(X, y, C):
    out = {}
    for fit_intercept in [True, False]:
        m = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=100000,
                               fit_intercept=fit_intercept).fit(X, y)
        W, b = m.coef_, m.intercept_
        out["intercept" if fit_intercept else "no_intercept"] = {
            "objective": softmax_objective(X, y, W, b, 1.0 / C),
            "coef_every_97th": every_97th(W),
            "intercept": b.tolist(),
            "proba": m.predict_proba(X[:10]).tolist(),
        }
    return out


def ovr_fits(X, y, C):
    out = {}
    for name, settings in [("no_intercept", "-B -1"), ("intercept", "-B 1 -R")]:
        W, b = liblinear(X, y.astype(float), f"-s 0 -c {C} -e 1e-10 {settings}")
        objective = sum(
            binary_loss(X, np.where(y == k, 1.0, -1.0), W[k], b[k]) + 0.5 / C * W[k] @ W[k]
            for k in range(W.shape[0]))
        out[name] = {"objective": float(objective), "coef_every_97th": every_97th(W),
                     "intercept": b.tolist()}
    return out


def l1_fits(X, s, C):
    out = {}
    for name, settings in [("no_intercept", "-B -1"), ("intercept", "-B 1 -R")]:
        w, b = liblinear(X, s, f"-s 6 -c {C} -e 1e-10 {settings}")
        out[name] = {
            "objective": binary_loss(X, s, w, b) + float(np.abs(w).sum()) / C,
            "nnz": int((w != 0).sum()),
            "coef_every_97th": every_97th(w)[0],
            "intercept": float(b),
        }
    return out


def l1_ovr_fits(X, y, C):
    out = {}
    for name, settings in [("no_intercept", "-B -1"), ("intercept", "-B 1 -R")]:
        W, b = liblinear(X, y.astype(float), f"-s 6 -c {C} -e 1e-10 {settings}")
        objective = sum(
            binary_loss(X, np.where(y == k, 1.0, -1.0), W[k], b[k]) + np.abs(W[k]).sum() / C
            for k in range(W.shape[0]))
        out[name] = {"objective": float(objective), "nnz": [int((w != 0).sum()) for w in W],
                     "coef_every_97th": every_97th(W), "intercept": b.tolist()}
    return out


def main():
    X, y, groups = write_design()
    heart, labels = load_svmlight_file(str(ROOT / "data" / "heart_scale"))
    heart.indices = heart.indices.astype(np.int32)
    heart.indptr = heart.indptr.astype(np.int32)
    heart_sign = np.where(labels > 0, 1.0, -1.0)
    spam_sign = np.where(y >= 3, 1.0, -1.0)
    r, C = 0.5, 1.0
    net = LogisticRegression(penalty="elasticnet", l1_ratio=r, C=C, solver="saga", tol=1e-12,
                             max_iter=1000000).fit(heart, heart_sign)
    w, b = net.coef_[0], float(net.intercept_[0])
    fixture = {
        "design": "crates/axon/tests/fixtures/spam_groups.svm.gz",
        "groups": groups,
        "shape": list(X.shape),
        "softmax": {"C": 10.0, **softmax_fits(X, y, 10.0)},
        "ovr": {"C": 10.0, **ovr_fits(X, y, 10.0)},
        "l1_heart": {"C": 1.0, **l1_fits(heart, heart_sign, 1.0)},
        "l1_spam": {"C": 100.0, **l1_fits(X, spam_sign, 100.0)},
        "l1_ovr": {"C": 10.0, **l1_ovr_fits(X, y, 10.0)},
        "elasticnet_heart": {
            "C": C,
            "l1_ratio": r,
            "objective": binary_loss(heart, heart_sign, w, b)
            + (r * np.abs(w).sum() + 0.5 * (1 - r) * w @ w) / C,
            "nnz": int((w != 0).sum()),
            "coef": w.tolist(),
            "intercept": b,
        },
    }
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT} and {DESIGN} ({X.shape[0]} x {X.shape[1]}, {X.nnz} non-zeros)")
    for key in ["l1_heart", "l1_spam"]:
        print(key, {k: (v["objective"], v["nnz"]) for k, v in fixture[key].items() if k != "C"})


if __name__ == "__main__":
    main()
