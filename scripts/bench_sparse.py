#!/usr/bin/env python3
"""Times an L2-penalised logistic regression on a wide sparse design: `axon fit` (trust-region
Newton and L-BFGS, on the LibSVM file) against LIBLINEAR (`-s 0`, the python package
`liblinear-official`, its C code) and scikit-learn's `LogisticRegression(solver="liblinear")`
(with `--penalty l1`: axon's newGLMNET against LIBLINEAR `-s 6` and liblinear's L1),
each in a process of its own, and prints one table of seconds and final objectives. It exists to
keep "never densify a sparse design" measured rather than asserted.

The data are made here, in a temporary folder removed afterwards, by a seeded numpy generator:
ROWS rows, 2^BITS columns, about NNZ non-zeros per row with Zipf-distributed column indices (as
hashed words or click features), values 1, and labels from a sparse logistic ground truth.
Every tool stops by LIBLINEAR's rule, `||grad F|| <= eps * min(#pos, #neg) / n * ||grad F(0)||`
with eps = EPS, no intercept, C = 1, so the objectives agree and the times compare like with
like.

    python3 -m venv ~/bench-venv
    ~/bench-venv/bin/pip install numpy scikit-learn liblinear-official
    ~/bench-venv/bin/python scripts/bench_sparse.py [--rows 200000] [--bits 20] [--nnz 40]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

LIBLINEAR = """
import json, sys, time
import numpy as np
from liblinear.liblinearutil import parameter, problem, train
from sklearn.datasets import load_svmlight_file
X, y = load_svmlight_file(sys.argv[1], n_features=int(sys.argv[3]))
t = time.perf_counter()
l1 = sys.argv[4] == "l1"
m = train(problem(y, X), parameter(f"-s {6 if l1 else 0} -c 1 -B -1 -e {sys.argv[2]} -q"))
seconds = time.perf_counter() - t
w = np.array([m.w[j] for j in range(X.shape[1])])
if m.get_labels()[0] != 1:
    w = -w
penalty = np.abs(w).sum() if l1 else 0.5 * w @ w
obj = penalty + np.logaddexp(0, -y * (X @ w)).sum()
print(json.dumps({"seconds": seconds, "objective": float(obj)}))
"""

SKLEARN = """
import json, sys, time
import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression
X, y = load_svmlight_file(sys.argv[1], n_features=int(sys.argv[3]))
X.indices = X.indices.astype(np.int32)
X.indptr = X.indptr.astype(np.int32)
t = time.perf_counter()
l1 = sys.argv[4] == "l1"
m = LogisticRegression(C=1.0, solver="liblinear", fit_intercept=False, tol=float(sys.argv[2]),
                       penalty=sys.argv[4]).fit(X, y)
seconds = time.perf_counter() - t
w = m.coef_[0]
penalty = np.abs(w).sum() if l1 else 0.5 * w @ w
obj = penalty + np.logaddexp(0, -y * (X @ w)).sum()
print(json.dumps({"seconds": seconds, "objective": float(obj)}))
"""


def make_data(path, rows, bits, nnz, seed):
    rng = np.random.default_rng(seed)
    cols = 1 << bits
    truth = rng.standard_normal(cols) * (rng.random(cols) < 0.05)
    with open(path, "w") as f:
        for start in range(0, rows, 10000):
            n = min(10000, rows - start)
            lines = []
            for _ in range(n):
                k = max(1, rng.poisson(nnz))
                idx = np.unique(np.minimum(rng.zipf(1.3, k) - 1, cols - 1))
                z = truth[idx].sum() - 0.5
                label = 1 if rng.random() < 1 / (1 + np.exp(-z)) else -1
                lines.append(f"{label} " + " ".join(f"{j + 1}:1" for j in idx))
            f.write("\n".join(lines) + "\n")
    return cols


def run_json(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"{cmd[:3]} failed:\n{out.stderr}")
    return out.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--bits", type=int, default=20)
    p.add_argument("--nnz", type=int, default=40)
    p.add_argument("--eps", type=float, default=0.01, help="LIBLINEAR's -e (its default)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--penalty", choices=["l2", "l1"], default="l2",
                   help="l1: axon's newGLMNET against LIBLINEAR -s 6 (its default -e is 0.01 too)")
    args = p.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "axon-cli"], cwd=ROOT, check=True)
    axon = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "axon"
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "wide.svm"
        cols = make_data(data, args.rows, args.bits, args.nnz, args.seed)
        labels = [line.split(" ", 1)[0] for line in data.read_text().splitlines()]
        pos = sum(1 for l in labels if l == "1")
        tol = args.eps * min(pos, len(labels) - pos) / len(labels)
        size = data.stat().st_size / 1e6
        print(f"{args.rows} rows x 2^{args.bits} columns, {size:.0f} MB LibSVM, "
              f"{pos / len(labels):.1%} positive; stop at ||g|| <= {tol:.2e} ||g0||")
        rows = []
        axon_runs = [("axon fit (TRON)", "auto"), ("axon fit (L-BFGS)", "lbfgs")]
        if args.penalty == "l1":
            axon_runs = [("axon fit (newGLMNET)", "auto")]
        for name, solver in axon_runs:
            cmd = [str(axon), "fit", "--data", str(data), "--target", "label", "--format", "libsvm", "--no-intercept",
                   "--penalty", args.penalty, "--alpha", "1", "--solver", solver, "--tol", str(tol),
                   "--max-iter", "1000", "--json"]
            report = json.loads(run_json(cmd, env))
            rows.append((name, report["fit_seconds"], report["objective"], "fit only"))
        liblinear = "LIBLINEAR -s 6" if args.penalty == "l1" else "LIBLINEAR -s 0"
        for name, script in [(liblinear, LIBLINEAR), ("sklearn liblinear", SKLEARN)]:
            cmd = [sys.executable, "-c", script, str(data), str(args.eps), str(cols), args.penalty]
            out = json.loads(run_json(cmd, env))
            rows.append((name, out["seconds"], out["objective"], "fit only"))
        print(f"\n{'tool':<20} {'seconds':>9} {'objective':>18}  timed")
        for name, seconds, objective, what in rows:
            print(f"{name:<20} {seconds:>9.3f} {objective:>18.6f}  {what}")


if __name__ == "__main__":
    main()
