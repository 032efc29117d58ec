#!/usr/bin/env python3
"""Reference numbers for the Python package's tests (`crates/axon-py/tests/`).

Fits statsmodels' `Logit` and `Probit` of `low` on `const, age, lwt, race_other, race_white,
smoke, ptl, ht, ui` (data/lbw.csv, race as two dummies against `black`, the first sorted level)
and `MNLogit` of `race` on `const, age, lwt, smoke, ptl, ht, ui`, by Newton's method with a
tight tolerance, and writes `crates/axon-py/tests/fixtures/statsmodels_lbw.json`: params, bse,
tvalues, pvalues, conf_int, llf, llnull, llr, llr_pvalue, prsquared, aic, bic, the HC0
standard errors, the textbook HC1 (HC0 times n / (n - p): statsmodels' discrete models apply no
factor for cov_type="HC1", axon does), and the average marginal effects.

The tests build the same design from data/lbw.csv with pandas, so they need neither statsmodels
nor this script. Run from anywhere (needs statsmodels, pandas, numpy):

    python3 scripts/reference/python_fixtures.py
"""

import json
import platform
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
import statsmodels.stats.sandwich_covariance as sw

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "lbw.csv"
OUT = ROOT / "crates" / "axon-py" / "tests" / "fixtures" / "statsmodels_lbw.json"
FIT_ARGS = {"method": "newton", "tol": 1e-13, "maxiter": 100, "disp": False}


def floats(a) -> list:
    return [float(v) for v in np.asarray(a, dtype=float).ravel()]


def design(df: pd.DataFrame) -> pd.DataFrame:
    """The binary models' exog, as the tests build it."""
    x = df[["age", "lwt"]].astype(float)
    x["race_other"] = (df["race"] == "other").astype(float)
    x["race_white"] = (df["race"] == "white").astype(float)
    for c in ["smoke", "ptl", "ht", "ui"]:
        x[c] = df[c].astype(float)
    return sm.add_constant(x)


def binary(df: pd.DataFrame, family) -> dict:
    x, y = design(df), df["low"].astype(float)
    model = family(y, x)
    res = model.fit(**FIT_ARGS)
    assert res.mle_retvals["converged"]
    hc0 = model.fit(cov_type="HC0", **FIT_ARGS)
    margeff = res.get_margeff(at="overall", method="dydx")
    return {
        "names": list(x.columns),
        "params": floats(res.params),
        "bse": floats(res.bse),
        "tvalues": floats(res.tvalues),
        "pvalues": floats(res.pvalues),
        "conf_int": floats(res.conf_int()),
        "llf": float(res.llf),
        "llnull": float(res.llnull),
        "llr": float(res.llr),
        "llr_pvalue": float(res.llr_pvalue),
        "prsquared": float(res.prsquared),
        "aic": float(res.aic),
        "bic": float(res.bic),
        "df_model": float(res.df_model),
        "df_resid": float(res.df_resid),
        "bse_hc0": floats(hc0.bse),
        "bse_hc1_textbook": floats(
            np.sqrt(np.diag(sw.cov_white_simple(res, use_correction=True)))
        ),
        "margeff": floats(margeff.margeff),
        "margeff_se": floats(margeff.margeff_se),
        "margeff_pvalues": floats(margeff.pvalues),
    }


def mnlogit(df: pd.DataFrame) -> dict:
    x = sm.add_constant(df[["age", "lwt", "smoke", "ptl", "ht", "ui"]].astype(float))
    classes = sorted(df["race"].unique())
    y = df["race"].map({c: i for i, c in enumerate(classes)})
    res = sm.MNLogit(y, x).fit(**FIT_ARGS)
    assert res.mle_retvals["converged"]
    return {
        "names": list(x.columns),
        "classes": classes,
        # (p, K - 1), class by class in columns, as statsmodels.
        "params": [floats(row) for row in np.asarray(res.params)],
        "bse": [floats(row) for row in np.asarray(res.bse)],
        "pvalues": [floats(row) for row in np.asarray(res.pvalues)],
        "llf": float(res.llf),
        "llnull": float(res.llnull),
        "llr_pvalue": float(res.llr_pvalue),
        "prsquared": float(res.prsquared),
        "aic": float(res.aic),
        "bic": float(res.bic),
    }


def main() -> None:
    df = pd.read_csv(DATA)
    out = {
        "tool": "statsmodels",
        "tool_version": statsmodels.__version__,
        "numpy_version": np.__version__,
        "pandas_version": pd.__version__,
        "python_version": platform.python_version(),
        "data": "data/lbw.csv",
        "fit": "method=newton, tol=1e-13",
        "logit": binary(df, sm.Logit),
        "probit": binary(df, sm.Probit),
        "mnlogit": mnlogit(df),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
