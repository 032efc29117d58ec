#!/usr/bin/env python3
"""Reference fits for `crates/axon/tests/linear.rs` (exact maximum-likelihood logit and probit).

Fits `low ~ age + lwt + C(race) + smoke + ptl + ht + ui` on `data/lbw.csv` with statsmodels'
`Logit` and `Probit` (Newton's method, tight tolerance; patsy treatment coding, reference level
`black`, the first sorted level) and writes `crates/axon/tests/fixtures/lbw_logit.json` and
`lbw_probit.json` with everything the Rust tests compare against: the design matrix itself
(row-major, so the tests do not depend on axon's CSV and design-matrix code), `y`, the column
names, `params`, `bse`, `tvalues`, `pvalues`, `conf_int`, `llf`, `llnull`, `llr`, `llr_pvalue`,
`prsquared`, `aic`, `bic`, the HC0 and HC1 robust standard errors (`cov_type="HC0"/"HC1"`, and
HC1 with the n / (n - p) factor) and the average marginal effects
(`get_margeff(at="overall", method="dydx")`) with their delta-method standard errors.

It also writes `crates/axon/tests/fixtures/separation.json`: three small data sets on which the
maximum-likelihood estimate does not exist (perfect separation by one column, quasi-complete
separation by a dummy, quasi-complete separation by a combination of two columns), each with the
variable names axon must report and what statsmodels does with it.

Run from anywhere (needs `pip install statsmodels pandas numpy`):

    python3 scripts/reference/linear_fixtures.py

The output is deterministic; rerun it only when the data or the models change.
"""

import json
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import statsmodels
import statsmodels.formula.api as smf
import statsmodels.stats.sandwich_covariance as sw

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "lbw.csv"
FIXTURES = ROOT / "crates" / "axon" / "tests" / "fixtures"
FORMULA = "low ~ age + lwt + C(race) + smoke + ptl + ht + ui"
FIT_ARGS = {"method": "newton", "tol": 1e-13, "maxiter": 100, "disp": False}


def versions() -> dict:
    return {
        "tool": "statsmodels",
        "tool_version": statsmodels.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "pandas_version": pd.__version__,
        "python_version": platform.python_version(),
    }


def floats(a) -> list:
    return [float(v) for v in np.asarray(a).ravel()]


def fit_lbw(df: pd.DataFrame, family: str) -> dict:
    make = smf.logit if family == "logit" else smf.probit
    model = make(FORMULA, data=df)
    res = model.fit(**FIT_ARGS)
    if not res.mle_retvals["converged"]:
        raise SystemExit(f"statsmodels {family} did not converge")
    hc0 = model.fit(cov_type="HC0", **FIT_ARGS)
    hc1 = model.fit(cov_type="HC1", **FIT_ARGS)
    margeff = res.get_margeff(at="overall", method="dydx")
    names = list(model.exog_names)
    x = np.asarray(model.exog, dtype=float)
    y = np.asarray(model.endog, dtype=float)
    score = model.score(res.params.to_numpy())
    return {
        **versions(),
        "model": f"{family.capitalize()} {FORMULA}, method=newton, tol=1e-13",
        "data": "data/lbw.csv",
        "link": family,
        "names": names,
        "intercept_index": names.index("Intercept"),
        "n": int(x.shape[0]),
        "p": int(x.shape[1]),
        "x": floats(x),
        "y": floats(y),
        "iterations": int(res.mle_retvals["iterations"]),
        "score_norm_at_fit": float(np.linalg.norm(score)),
        "params": floats(res.params),
        "bse": floats(res.bse),
        "tvalues": floats(res.tvalues),
        "pvalues": floats(res.pvalues),
        "conf_int": [floats(row) for row in np.asarray(res.conf_int())],
        "cov_params": [floats(row) for row in np.asarray(res.cov_params())],
        "nobs": float(res.nobs),
        "df_model": float(res.df_model),
        "df_resid": float(res.df_resid),
        "llf": float(res.llf),
        "llnull": float(res.llnull),
        "llr": float(res.llr),
        "llr_pvalue": float(res.llr_pvalue),
        "prsquared": float(res.prsquared),
        "aic": float(res.aic),
        "bic": float(res.bic),
        "bse_hc0": floats(hc0.bse),
        # statsmodels' discrete models apply no small-sample factor for cov_type="HC1" (it
        # equals HC0 there); `bse_hc1_scaled` is the textbook HC1, HC0 times n / (n - p), from
        # statsmodels' own `cov_white_simple(use_correction=True)`.
        "bse_hc1": floats(hc1.bse),
        "bse_hc1_scaled": floats(np.sqrt(np.diag(sw.cov_white_simple(res, use_correction=True)))),
        "margeff_names": [n for n in names if n != "Intercept"],
        "margeff": floats(margeff.margeff),
        "margeff_se": floats(margeff.margeff_se),
        "margeff_pvalues": floats(margeff.pvalues),
    }


def statsmodels_outcome(x: np.ndarray, y: np.ndarray) -> str:
    """What statsmodels' Logit does with a separated data set, in words."""
    import statsmodels.api as sm

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.Logit(y, x).fit(method="newton", maxiter=100, disp=False)
        except Exception as err:  # noqa: BLE001 - any failure is the answer here
            return f"raises {type(err).__name__}: {err}"
    kinds = sorted({type(w.message).__name__ for w in caught})
    biggest = float(np.max(np.abs(res.params)))
    return f"warnings {kinds}; max |param| = {biggest:.3g}"


def separated_sets() -> list:
    rng = np.random.default_rng(20240611)

    # Perfect separation by x alone (y = 1 exactly when x > 5.5); z is noise.
    x = np.arange(1.0, 13.0)
    z = np.round(rng.normal(size=12), 2)
    perfect = (np.column_stack([np.ones(12), x, z]), (x > 6.5).astype(float))

    # Quasi-complete separation by a dummy: every d = 1 has y = 1, d = 0 is mixed.
    n = 40
    age = np.round(rng.uniform(20, 60, size=n), 1)
    d = (np.arange(n) % 4 == 0).astype(float)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(age - 40) / 8))).astype(float)
    y[d == 1] = 1.0
    quasi = (np.column_stack([np.ones(n), age, d]), y)

    # Quasi-complete separation by x1 + x2: y = 1 when x1 + x2 > 0, y = 0 when < 0, and a few
    # points exactly on x1 + x2 = 0 with both outcomes. Neither column separates alone.
    m = 60
    x1 = np.round(rng.normal(size=m), 2)
    x2 = np.round(rng.normal(size=m), 2)
    x3 = np.round(rng.normal(size=m), 2)
    s = x1 + x2
    keep = np.abs(s) > 0.05
    x1, x2, x3, s = x1[keep], x2[keep], x3[keep], s[keep]
    yc = (s > 0).astype(float)
    ties = np.round(rng.normal(size=8), 2)
    x1 = np.concatenate([x1, ties])
    x2 = np.concatenate([x2, -ties])
    x3 = np.concatenate([x3, np.round(rng.normal(size=8), 2)])
    yc = np.concatenate([yc, np.array([0, 1, 0, 1, 1, 0, 1, 0], dtype=float)])
    combo = (np.column_stack([np.ones(len(yc)), x1, x2, x3]), yc)

    sets = [
        ("perfect_single", "perfect", ["Intercept", "x", "z"], perfect, ["x"]),
        ("quasi_dummy", "quasi-complete", ["Intercept", "age", "d"], quasi, ["d"]),
        ("quasi_combination", "quasi-complete", ["Intercept", "x1", "x2", "x3"], combo,
         ["x1", "x2"]),
    ]
    out = []
    for name, kind, names, (xm, yv), expected in sets:
        for j in range(1, xm.shape[1]):
            col = xm[:, j]
            lo1, hi1 = col[yv == 1].min(), col[yv == 1].max()
            lo0, hi0 = col[yv == 0].min(), col[yv == 0].max()
            alone = lo1 >= hi0 or hi1 <= lo0
            if alone != (names[j] in expected and name != "quasi_combination"):
                raise SystemExit(f"{name}: column {names[j]} separates alone = {alone}")
        out.append(
            {
                "name": name,
                "kind": kind,
                "names": names,
                "intercept_index": 0,
                "n": int(xm.shape[0]),
                "p": int(xm.shape[1]),
                "x": floats(xm),
                "y": floats(yv),
                "expected_variables": expected,
                "statsmodels_logit": statsmodels_outcome(xm, yv),
            }
        )
    return out


def main() -> int:
    df = pd.read_csv(DATA)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for family in ("logit", "probit"):
        out = fit_lbw(df, family)
        path = FIXTURES / f"lbw_{family}.json"
        path.write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {path.relative_to(ROOT)}: llf {out['llf']!r}, {out['iterations']} iterations")
    sep = {**versions(), "data_sets": separated_sets()}
    path = FIXTURES / "separation.json"
    path.write_text(json.dumps(sep, indent=1) + "\n")
    for s in sep["data_sets"]:
        outcome = s["statsmodels_logit"]
        print(f"{s['name']}: expected {s['expected_variables']}; statsmodels {outcome}")
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
