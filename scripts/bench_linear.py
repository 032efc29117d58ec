#!/usr/bin/env python3
"""Times binary logistic regression in axon (Newton, L-BFGS) against scikit-learn (lbfgs,
newton-cholesky) and statsmodels (`Logit.fit`, Newton) on the same data, to the same optimum, and
prints a table with each fit's time, log-likelihood, relative gap to the best objective and peak
memory (the peak resident set of the process that ran the fit).

Data sets:
- `breast_cancer`: `data/breast_cancer.csv`, standardised (569 x 31 with the intercept). It is
  separable, so it is fitted with L2, C = 1 (axon's alpha = 1) and statsmodels is left out.
- `adult`: `/work/shared/data/adult/adult.csv.gz`, numeric columns standardised, categorical
  columns one-hot (first level dropped, levels with fewer than 50 rows merged into `other`),
  rows with `?` kept as their own level; L2, C = 1 again (rare levels are quasi-separated).
- `synthetic`: 200 000 x 100 dense Gaussian design, `P(y=1) = sigmoid(x'b)`, seed 0; maximum
  likelihood (no penalty) for every tool.

Each fit runs in its own process (so peak memory is its own), with tolerances pinned tight
(sklearn tol=1e-12, statsmodels tol=1e-12, axon tol=1e-12). The axon fits go through
`cargo run --release -p axon --example bench_fit`, built once before timing.

    python3 scripts/bench_linear.py [--only breast_cancer,adult,synthetic]
"""

import argparse
import gzip
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT.parent / "shared" / "data" / "adult" / "adult.csv.gz"


def breast_cancer():
    lines = (ROOT / "data" / "breast_cancer.csv").read_text().strip().split("\n")
    rows = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    x, y = rows[:, :-1], rows[:, -1]
    return (x - x.mean(0)) / x.std(0), y, 1.0


def adult():
    import pandas as pd

    df = pd.read_csv(ADULT)
    y = (df.pop("income").str.strip() == ">50K").astype(float).to_numpy()
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    parts = [(df[numeric] - df[numeric].mean()) / df[numeric].std(ddof=0)]
    for c in df.columns:
        if c in numeric:
            continue
        col = df[c].astype(str).str.strip()
        counts = col.value_counts()
        col = col.where(col.map(counts) >= 50, "other")
        parts.append(pd.get_dummies(col, prefix=c, drop_first=True, dtype=float))
    x = pd.concat(parts, axis=1).to_numpy(dtype=float)
    return x, y, 1.0


def synthetic():
    rng = np.random.default_rng(0)
    n, p = 200_000, 99
    x = rng.standard_normal((n, p))
    beta = np.where(np.arange(p) % 2 == 0, 1.0, -1.0) / np.sqrt(p)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(x @ beta + 0.2)))).astype(float)
    return x, y, 0.0


DATASETS = {"breast_cancer": breast_cancer, "adult": adult, "synthetic": synthetic}

# Run in a child process: fit, then print one JSON line with time, log-likelihood, peak memory.
CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np
x = np.load(sys.argv[1]); y = np.load(sys.argv[2]); tool = sys.argv[3]; alpha = float(sys.argv[4])
def ll(eta):
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))
warnings.simplefilter("ignore")
if tool.startswith("sklearn"):
    from sklearn.linear_model import LogisticRegression
    solver = tool.split()[1]
    kw = {"C": 1.0 / alpha} if alpha > 0 else {"penalty": None}
    m = LogisticRegression(solver=solver, tol=1e-12, max_iter=100000, **kw)
    t = time.perf_counter(); m.fit(x, y); sec = time.perf_counter() - t
    coef, b = m.coef_[0], float(m.intercept_[0]); iters = int(m.n_iter_[0])
else:
    import statsmodels.api as sm
    xc = sm.add_constant(x, has_constant="add")
    t = time.perf_counter()
    r = sm.Logit(y, xc).fit(method="newton", tol=1e-12, maxiter=100, disp=False)
    sec = time.perf_counter() - t
    coef, b = r.params[1:], float(r.params[0]); iters = int(r.mle_retvals["iterations"])
eta = x @ coef + b
obj = -ll(eta) + 0.5 * alpha * float(coef @ coef)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(json.dumps({"solver": tool, "seconds": sec, "log_likelihood": ll(eta), "objective": obj,
                  "iterations": iters, "peak_rss_mb": peak}))
"""


def run_axon(raw: Path, n: int, p: int, solver: str, alpha: float) -> dict:
    exe = ROOT / "target" / "release" / "examples" / "bench_fit"
    out = subprocess.run([str(exe), str(raw), str(n), str(p), solver, str(alpha)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_python(xf: Path, yf: Path, tool: str, alpha: float) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(xf), str(yf), tool, str(alpha)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return {"solver": tool, "error": out.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(name: str, tmp: Path) -> list:
    x, y, alpha = DATASETS[name]()
    n, p = x.shape[0], x.shape[1] + 1
    raw = tmp / f"{name}.bin"
    design = np.hstack([np.ones((n, 1)), x])
    with open(raw, "wb") as f:
        f.write(np.ascontiguousarray(design, dtype="<f8").tobytes())
        f.write(np.ascontiguousarray(y, dtype="<f8").tobytes())
    xf, yf = tmp / f"{name}_x.npy", tmp / f"{name}_y.npy"
    np.save(xf, x)
    np.save(yf, y)
    rows = [run_axon(raw, n, p, s, alpha) for s in ("newton", "lbfgs")]
    tools = ["sklearn lbfgs", "sklearn newton-cholesky"] + (["statsmodels"] if alpha == 0 else [])
    rows += [run_python(xf, yf, t, alpha) for t in tools]
    best = min(r["objective"] for r in rows if "objective" in r)
    for r in rows:
        r["dataset"], r["n"], r["p"] = name, n, p
        if "objective" in r:
            r["rel_gap"] = (r["objective"] - best) / abs(best)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(DATASETS))
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "-p", "axon", "--example", "bench_fit"],
                   cwd=ROOT, check=True)
    print(f"python {platform.python_version()}, numpy {np.__version__}")
    header = f"{'data':<14}{'n x p':>14}  {'solver':<26}{'seconds':>9}{'iters':>7}" \
             f"{'log-likelihood':>22}{'rel gap':>10}{'peak MB':>9}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as d:
        for name in args.only.split(","):
            for r in bench(name, Path(d)):
                shape = f"{r['n']} x {r['p']}"
                if "error" in r:
                    print(f"{name:<14}{shape:>14}  {r['solver']:<26} error: {r['error']}")
                    continue
                print(f"{name:<14}{shape:>14}  {r['solver']:<26}{r['seconds']:>9.3f}"
                      f"{r['iterations']:>7}{r['log_likelihood']:>22.10f}{r['rel_gap']:>10.1e}"
                      f"{r['peak_rss_mb']:>9.0f}")


if __name__ == "__main__":
    main()
