#!/usr/bin/env python3
"""Reference fit for the `logistic_chd` example and the `lectures` test.

Fits the lectures' logistic regression P(chd = 1 | age) = sigma(theta0 + theta1 * age) by
maximum likelihood with statsmodels' `Logit` (Newton's method, tight tolerance) on
`data/chd_age.csv`, and writes `crates/axon/tests/fixtures/chd_logit.json` with the tool versions,
the coefficients (`params`), their standard errors (`bse`), the log-likelihood of the fit (`llf`)
and of the intercept-only model (`llnull`), and the grouped prevalence table by age decade
(20-29, ..., 80-89: n, number with CHD, observed proportion, mean fitted probability), and the
fitted probability of CHD at the middle age of each group (25, 35, ..., 85: `predicted_at_age`),
the curve the lecture draws through the table's percentages.

Run from anywhere (needs `pip install statsmodels`):

    python3 scripts/reference/chd_logit.py

The output is deterministic; rerun it only when the data or the fitted model changes.
"""

import json
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.formula.api as smf

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "chd_age.csv"
OUT = ROOT / "crates" / "axon" / "tests" / "fixtures" / "chd_logit.json"


def main() -> int:
    df = pd.read_csv(DATA)
    if list(df.columns) != ["age", "chd"]:
        raise SystemExit(f"{DATA}: expected header age,chd, got {list(df.columns)}")

    model = smf.logit("chd ~ age", data=df)
    res = model.fit(method="newton", tol=1e-14, maxiter=100, disp=False)
    if not res.mle_retvals["converged"]:
        raise SystemExit("statsmodels Logit did not converge")

    fitted = np.asarray(res.predict(df))
    groups = []
    for lo in range(20, 90, 10):
        hi = lo + 9
        mask = ((df["age"] >= lo) & (df["age"] <= hi)).to_numpy()
        n = int(mask.sum())
        cases = int(df["chd"].to_numpy()[mask].sum())
        groups.append(
            {
                "age_lo": lo,
                "age_hi": hi,
                "n": n,
                "chd": cases,
                "observed": cases / n if n else None,
                "mean_fitted": float(fitted[mask].mean()) if n else None,
            }
        )

    ages = list(range(25, 90, 10))
    at_age = np.asarray(res.predict(pd.DataFrame({"age": ages})))
    gradient = model.score(res.params.to_numpy())
    out = {
        "tool": "statsmodels",
        "tool_version": statsmodels.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "model": "Logit chd ~ age (intercept + age), method=newton, tol=1e-14",
        "data": "data/chd_age.csv",
        "nobs": int(res.nobs),
        "iterations": int(res.mle_retvals["iterations"]),
        "score_norm_at_fit": float(np.linalg.norm(gradient)),
        "param_names": ["Intercept", "age"],
        "params": [float(res.params["Intercept"]), float(res.params["age"])],
        "bse": [float(res.bse["Intercept"]), float(res.bse["age"])],
        "llf": float(res.llf),
        "llnull": float(res.llnull),
        "groups": groups,
        "predicted_at_age": [{"age": a, "p": float(p)} for a, p in zip(ages, at_age)],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: params {out['params']}, llf {out['llf']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
