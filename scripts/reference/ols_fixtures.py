#!/usr/bin/env python3
"""Reference values for `axon::linear::fit_ols` (the linear probability model) and `axon fit
--model ols`: statsmodels' `OLS(y, X).fit(cov_type="HC1")` of `chd ~ age` on data/chd_age.csv
and of `low ~ age + lwt + smoke + ht + ui` on data/lbw.csv, each with an intercept (first
column). Stores the coefficients, HC1 standard errors, z statistics and normal p-values
(statsmodels' default `use_t=False` for a robust covariance, recorded as `use_t`), 95%
intervals, the covariance, R², adjusted R², SSR and how many fitted values fall below 0 and
above 1. Writes `crates/axon/tests/fixtures/ols_hc1.json` with the tool versions.

Run from anywhere (needs statsmodels and pandas):

    python3 scripts/reference/ols_fixtures.py

The output is deterministic; rerun it only when the cases change.
"""

import json
import platform
from pathlib import Path

import pandas as pd
import statsmodels
import statsmodels.api as sm

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "axon" / "tests" / "fixtures" / "ols_hc1.json"


def case(file, target, features):
    data = pd.read_csv(ROOT / "data" / file)
    x = sm.add_constant(data[features].astype(float))
    res = sm.OLS(data[target].astype(float), x).fit(cov_type="HC1")
    ci = res.conf_int(alpha=0.05)
    fitted = res.fittedvalues
    return {
        "data": file,
        "target": target,
        "features": features,
        "names": ["Intercept"] + features,
        "params": res.params.tolist(),
        "bse": res.bse.tolist(),
        "zvalues": res.tvalues.tolist(),
        "pvalues": res.pvalues.tolist(),
        "ci_low": ci[0].tolist(),
        "ci_high": ci[1].tolist(),
        "cov": res.cov_params().to_numpy().tolist(),
        "rsquared": float(res.rsquared),
        "rsquared_adj": float(res.rsquared_adj),
        "ssr": float(res.ssr),
        "nobs": int(res.nobs),
        "df_resid": int(res.df_resid),
        "use_t": bool(res.use_t),
        "below_zero": int((fitted < 0).sum()),
        "above_one": int((fitted > 1).sum()),
        "fitted_head": fitted.iloc[:5].tolist(),
    }


def main():
    out = {
        "generator": "scripts/reference/ols_fixtures.py",
        "python": platform.python_version(),
        "statsmodels": statsmodels.__version__,
        "cases": [
            case("chd_age.csv", "chd", ["age"]),
            case("lbw.csv", "low", ["age", "lwt", "smoke", "ht", "ui"]),
        ],
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
