#!/usr/bin/env python3
"""Times binary logistic regression in axon (Newton, L-BFGS) against scikit-learn (lbfgs,
newton-cholesky) and statsmodels (`Logit.fit`, Newton) on the same data, and prints a table with
each fit's time, iterations, what stopped it, scikit-learn's objective `F/n` (mean loss plus
`alpha/(2n)|b|^2`) and the largest entry of its gradient at the fit's coefficients (both computed
here, the same way for every tool), the largest coefficient difference from scikit-learn's lbfgs at
the same tolerance and from the best fit, and peak memory (the peak resident set of the process
that ran the fit).

L-BFGS runs twice per tool: at scikit-learn's default `tol=1e-4` (axon's L-BFGS stops by the same
rule, `max|grad F/n| <= tol` or a relative decrease of `F/n` of at most 64 eps) and at `tol=1e-10`.
Newton, newton-cholesky and statsmodels run at 1e-10. Every fit gets 2 threads (`RAYON_NUM_THREADS`,
`OMP_NUM_THREADS`, `OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS`); axon reports the best of three fits,
the Python tools one fit after a warm-up fit in the same process.

Data sets:
- `breast_cancer`: `data/breast_cancer.csv`, standardised (569 x 31 with the intercept). It is
  separable, so it is fitted with L2, C = 1 (axon's alpha = 1) and statsmodels is left out.
- `adult`: `/work/shared/data/adult/adult.csv.gz`, numeric columns standardised, categorical
  columns one-hot (first level dropped, levels with fewer than 50 rows merged into `other`),
  rows with `?` kept as their own level; L2, C = 1 again (rare levels are quasi-separated).
- `synthetic`: 200 000 x 100 dense Gaussian design, `P(y=1) = sigmoid(x'b)`, seed 0; maximum
  likelihood (no penalty) for every tool.
- `logreg`: the same generator with 100 features (200 000 x 101 with the intercept), L2, C = 1:
  the in-memory half of `axon fit --data logreg.csv --target y --penalty l2 --alpha 1`.

Each fit runs in its own process (so peak memory is its own). The axon fits go through
`cargo run --release -p axon --example bench_fit`, built once before timing (the binary is looked
for under `$CARGO_TARGET_DIR`, else `target/`).

    python3 scripts/bench_linear.py [--only breast_cancer,adult,synthetic,logreg]
"""

import argparse
import json
import os
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


def gaussian(p):
    rng = np.random.default_rng(0)
    n = 200_000
    x = rng.standard_normal((n, p))
    beta = np.where(np.arange(p) % 2 == 0, 1.0, -1.0) / np.sqrt(p)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(x @ beta + 0.2)))).astype(float)
    return x, y


def synthetic():
    return (*gaussian(99), 0.0)


def logreg():
    return (*gaussian(100), 1.0)


DATASETS = {"breast_cancer": breast_cancer, "adult": adult, "synthetic": synthetic,
            "logreg": logreg}
THREADS = {k: "2" for k in ("RAYON_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                            "MKL_NUM_THREADS")}

# Run in a child process: fit (after a warm-up fit), write the coefficients (intercept first) to
# argv[6], print one JSON line with time, iterations, peak memory.
CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np
x = np.load(sys.argv[1]); y = np.load(sys.argv[2]); tool = sys.argv[3]; alpha = float(sys.argv[4])
tol = float(sys.argv[5])
warnings.simplefilter("ignore")
if tool.startswith("sklearn"):
    from sklearn.linear_model import LogisticRegression
    solver = tool.split()[1]
    kw = {"C": 1.0 / alpha} if alpha > 0 else {"penalty": None}
    def fit():
        m = LogisticRegression(solver=solver, tol=tol, max_iter=100000, **kw)
        t = time.perf_counter(); m.fit(x, y); sec = time.perf_counter() - t
        return sec, np.concatenate([m.intercept_, m.coef_[0]]), int(m.n_iter_[0])
else:
    import statsmodels.api as sm
    xc = sm.add_constant(x, has_constant="add")
    def fit():
        t = time.perf_counter()
        r = sm.Logit(y, xc).fit(method="newton", tol=tol, maxiter=100, disp=False)
        sec = time.perf_counter() - t
        return sec, np.asarray(r.params), int(r.mle_retvals["iterations"])
fit()
sec, beta, iters = fit()
beta.astype("<f8").tofile(sys.argv[6])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(json.dumps({"solver": tool, "seconds": sec, "iterations": iters, "stop": "",
                  "peak_rss_mb": peak}))
"""


def bench_exe() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "examples" / "bench_fit"


def run_axon(raw: Path, n: int, p: int, solver: str, alpha: float, tol: float,
             coef: Path) -> dict:
    args = [str(bench_exe()), str(raw), str(n), str(p), solver, str(alpha), str(tol), str(coef)]
    out = subprocess.run(args, capture_output=True, text=True, check=True,
                         env={**os.environ, **THREADS})
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_python(xf: Path, yf: Path, tool: str, alpha: float, tol: float, coef: Path) -> dict:
    args = [sys.executable, "-c", CHILD, str(xf), str(yf), tool, str(alpha), str(tol), str(coef)]
    out = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **THREADS})
    if out.returncode != 0:
        return {"solver": tool, "error": out.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def scaled(design, y, alpha, beta):
    """scikit-learn's objective F/n and the largest entry of its gradient at `beta`."""
    n = len(y)
    eta = design @ beta
    ridge = beta.copy()
    ridge[0] = 0.0
    value = float(np.mean(np.logaddexp(0.0, eta) - y * eta) + 0.5 * alpha / n * ridge @ ridge)
    grad = design.T @ (1.0 / (1.0 + np.exp(-eta)) - y) / n + alpha / n * ridge
    return value, float(np.max(np.abs(grad)))


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
    fits = [("axon lbfgs", 1e-4), ("sklearn lbfgs", 1e-4), ("axon lbfgs", 1e-10),
            ("sklearn lbfgs", 1e-10), ("axon newton", 1e-10), ("sklearn newton-cholesky", 1e-10)]
    if alpha == 0:
        fits.append(("statsmodels", 1e-10))
    rows = []
    for k, (tool, tol) in enumerate(fits):
        coef = tmp / f"{name}_coef{k}.bin"
        if tool.startswith("axon"):
            r = run_axon(raw, n, p, tool.split()[1], alpha, tol, coef)
        else:
            r = run_python(xf, yf, tool, alpha, tol, coef)
        r["solver"], r["tol"] = tool, tol
        if "error" not in r:
            r["beta"] = np.fromfile(coef, dtype="<f8")
            r["objective"], r["max_grad"] = scaled(design, y, alpha, r["beta"])
        rows.append(r)
    done = [r for r in rows if "beta" in r]
    best = min(done, key=lambda r: r["objective"])
    sklearn = {r["tol"]: r["beta"] for r in done if r["solver"] == "sklearn lbfgs"}
    for r in rows:
        r["dataset"], r["n"], r["p"] = name, n, p
        if "beta" in r:
            r["vs_best"] = float(np.max(np.abs(r["beta"] - best["beta"])))
            ref = sklearn.get(r["tol"])
            r["vs_sklearn"] = float(np.max(np.abs(r["beta"] - ref))) if ref is not None else None
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(DATASETS))
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "-p", "axon", "--example", "bench_fit"],
                   cwd=ROOT, check=True)
    print(f"python {platform.python_version()}, numpy {np.__version__}")
    header = f"{'data':<14}{'n x p':>14}  {'solver':<24}{'tol':>7}{'seconds':>9}{'iters':>6}" \
             f"  {'stop':<17}{'F/n':>20}{'max|grad|':>11}{'dβ sklearn':>11}{'dβ best':>10}" \
             f"{'peak MB':>9}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as d:
        for name in args.only.split(","):
            for r in bench(name, Path(d)):
                shape = f"{r['n']} x {r['p']}"
                lead = f"{name:<14}{shape:>14}  {r['solver']:<24}{r['tol']:>7.0e}"
                if "error" in r:
                    print(f"{lead} error: {r['error']}")
                    continue
                vs = "" if r["vs_sklearn"] is None else f"{r['vs_sklearn']:.1e}"
                print(f"{lead}{r['seconds']:>9.3f}{r['iterations']:>6}  {r['stop']:<17}"
                      f"{r['objective']:>20.15f}{r['max_grad']:>11.1e}{vs:>11}"
                      f"{r['vs_best']:>10.1e}{r['peak_rss_mb']:>9.0f}")


if __name__ == "__main__":
    main()
