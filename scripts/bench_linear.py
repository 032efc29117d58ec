#!/usr/bin/env python3
"""Time to fit a binary logit: axon against scikit-learn and statsmodels, on this machine, in one run.

    python3 scripts/bench_linear.py            # all three data sets
    python3 scripts/bench_linear.py adult      # only these
    THREADS=2 REPEATS=3 python3 scripts/bench_linear.py

Data sets (prepared here, written once to target/bench_linear/ as raw f64 files that every tool
reads in its own process):
  breast_cancer  data/breast_cancer.csv, 30 features standardised (population sd), L2 penalty
                 alpha = 1 (scikit-learn C = 1): the unpenalised MLE does not exist (separation).
  adult          UCI Adult (../shared/data/adult/adult.csv.gz), rows with `?` dropped, 6 numeric
                 columns standardised + one-hot categoricals (first level dropped, levels with
                 fewer than 30 rows merged into `rare` so the MLE exists), unpenalised.
  synthetic      200 000 x 100 dense N(0,1) features, logistic outcome from fixed coefficients
                 (numpy seed 0), unpenalised.

Every tool fits the same design (intercept column included, not penalised) to a tight tolerance;
the table shows the best time of REPEATS fits (data loading excluded), the objective reached
(-loglik + alpha/2 |beta|^2) relative to the best of all tools, and the peak resident memory of
the tool's process (data included). Threads are pinned to THREADS (default 2) for every tool.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench_linear")
THREADS = os.environ.get("THREADS", "2")
REPEATS = os.environ.get("REPEATS", "3")
ADULT = os.path.join(ROOT, "..", "shared", "data", "adult", "adult.csv.gz")


def write(name, x, y, alpha):
    os.makedirs(OUT, exist_ok=True)
    x = np.ascontiguousarray(np.column_stack([np.ones(len(y)), x]), dtype="<f8")
    x.tofile(os.path.join(OUT, f"{name}.x"))
    np.asarray(y, dtype="<f8").tofile(os.path.join(OUT, f"{name}.y"))
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump({"n": int(x.shape[0]), "p": int(x.shape[1]), "alpha": alpha}, f)


def prepare(name):
    if os.path.exists(os.path.join(OUT, f"{name}.json")):
        return
    if name == "breast_cancer":
        raw = np.loadtxt(os.path.join(ROOT, "data", "breast_cancer.csv"), delimiter=",", skiprows=1)
        x, y = raw[:, :-1], raw[:, -1]
        write(name, (x - x.mean(0)) / x.std(0), y, 1.0)
    elif name == "adult":
        import pandas as pd

        df = pd.read_csv(ADULT, na_values="?").dropna()
        y = (df.pop("income").str.strip().str.startswith(">")).astype(float).to_numpy()
        df = df.drop(columns=["fnlwgt", "educational-num"])
        numeric = df.select_dtypes("number").columns
        df[numeric] = (df[numeric] - df[numeric].mean()) / df[numeric].std(ddof=0)
        for col in df.columns.difference(numeric):
            counts = df[col].value_counts()
            df[col] = df[col].where(~df[col].isin(counts[counts < 30].index), "rare")
        x = pd.get_dummies(df, drop_first=True, dtype=float).to_numpy()
        write(name, x, y, 0.0)
    elif name == "synthetic":
        rng = np.random.default_rng(0)
        x = rng.standard_normal((200_000, 100))
        beta = rng.normal(0, 0.3, 100)
        y = (rng.random(200_000) < 1 / (1 + np.exp(-(x @ beta - 0.5)))).astype(float)
        write(name, x, y, 0.0)
    else:
        sys.exit(f"unknown data set {name}")


# Each Python tool runs in a fresh interpreter so that its peak memory is its own.
PY_TOOL = textwrap.dedent(
    """
    import json, resource, sys, time, warnings
    import numpy as np
    warnings.filterwarnings("ignore")
    out, name, tool, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    meta = json.load(open(f"{out}/{name}.json"))
    n, p, alpha = meta["n"], meta["p"], meta["alpha"]
    x = np.fromfile(f"{out}/{name}.x", dtype="<f8").reshape(n, p)
    y = np.fromfile(f"{out}/{name}.y", dtype="<f8")

    def fit():
        if tool.startswith("sklearn"):
            from sklearn.linear_model import LogisticRegression
            solver = tool.split()[1]
            penalty = "l2" if alpha > 0 else None
            # scikit-learn's own intercept is not penalised; column 0 is the constant.
            m = LogisticRegression(penalty=penalty, C=1 / alpha if alpha > 0 else 1.0,
                                   solver=solver, tol=1e-10, max_iter=10_000)
            m.fit(x[:, 1:], y)
            return np.concatenate([m.intercept_, m.coef_.ravel()]), int(np.max(m.n_iter_))
        import statsmodels.api as sm
        r = sm.Logit(y, x).fit(method="newton", disp=0, tol=1e-10, maxiter=100)
        return r.params, int(r.mle_retvals["iterations"])

    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        beta, iters = fit()
        best = min(best, time.perf_counter() - t)
    eta = x @ beta
    ll = float(np.sum(y * eta - np.logaddexp(0, eta)))
    obj = -ll + alpha / 2 * float(np.sum(beta[1:] ** 2))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tool": tool, "data": name, "seconds": best, "log_likelihood": ll,
                      "objective": obj, "iterations": iters, "peak_mib": peak}))
    """
)


def run(cmd, env):
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    names = sys.argv[1:] or ["breast_cancer", "adult", "synthetic"]
    env = dict(os.environ, OMP_NUM_THREADS=THREADS, OPENBLAS_NUM_THREADS=THREADS,
               MKL_NUM_THREADS=THREADS, RAYON_NUM_THREADS=THREADS)
    subprocess.run(["cargo", "bench", "-p", "axon", "--bench", "fit_linear", "--no-run", "-q"],
                   cwd=ROOT, check=True, env=env)
    rows = []
    for name in names:
        prepare(name)
        tools = ["sklearn lbfgs", "sklearn newton-cholesky"]
        meta = json.load(open(os.path.join(OUT, f"{name}.json")))
        if meta["alpha"] == 0:
            tools.append("statsmodels newton")
        results = [run(["cargo", "bench", "-q", "-p", "axon", "--bench", "fit_linear", "--",
                        OUT, name, REPEATS], env)]
        results += [run([sys.executable, "-c", PY_TOOL, OUT, name, t, REPEATS], env) for t in tools]
        best_obj = min(r["objective"] for r in results)
        fastest_peer = min(r["seconds"] for r in results[1:])
        for r in results:
            r["rel_objective"] = (r["objective"] - best_obj) / abs(best_obj)
            r["vs_fastest_peer"] = fastest_peer / r["seconds"]
            r["shape"] = f'{meta["n"]}x{meta["p"]}'
        rows += results
    print(f"\nbinary logit fit, {THREADS} threads, best of {REPEATS}")
    print(f'{"data":<14}{"shape":>11} {"tool":<24}{"seconds":>10}{"speed-up":>10}'
          f'{"iters":>7}{"rel. objective":>16}{"peak MiB":>10}')
    for r in rows:
        print(f'{r["data"]:<14}{r["shape"]:>11} {r["tool"]:<24}{r["seconds"]:>10.4f}'
              f'{r["vs_fastest_peer"]:>9.2f}x{r["iterations"]:>7}{r["rel_objective"]:>16.2e}'
              f'{r["peak_mib"]:>10.0f}')
    print("speed-up: the fastest peer's time over this tool's time (above 1: faster than all peers)")


if __name__ == "__main__":
    main()
