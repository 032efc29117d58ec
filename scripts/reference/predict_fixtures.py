#!/usr/bin/env python3
"""Reference predictions for `crates/axon-cli/tests/models.rs` (`axon predict` on saved models).

Fits on `data/lbw.csv`, with statsmodels (Newton's method, tight tolerance, patsy treatment
coding):

- the logit `low ~ age + lwt + C(race) + smoke + ptl + ht + ui` (`Logit`), and
- the multinomial logit `race ~ age + lwt + smoke` (`MNLogit`, classes in sorted order
  black, other, white),

and writes each model's predicted class probabilities for the same 189 rows, in file order, to
`crates/axon-cli/tests/fixtures/lbw_predict.json`, with the multinomial model's coefficients and
standard errors (`softmax.params`, `softmax.bse`: one list per non-reference class, other then
white, in the order Intercept, age, lwt, smoke), which `axon fit --model softmax --json` must
report. The test fits the same models with `axon fit
--out`, runs `axon predict --proba` on the raw CSV and compares, so a wrong column order, a wrong
level coding, lost standardisation or a swapped class in the saved model or in `predict` shows.

Run from anywhere (needs `pip install statsmodels pandas numpy`):

    python3 scripts/reference/predict_fixtures.py

The output is deterministic; rerun it only when the data or the models change.
"""

import json
import platform
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.formula.api as smf

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "lbw.csv"
OUT = ROOT / "crates" / "axon-cli" / "tests" / "fixtures" / "lbw_predict.json"
FIT_ARGS = {"method": "newton", "tol": 1e-13, "maxiter": 100, "disp": False}


def main() -> None:
    df = pd.read_csv(DATA)
    logit = smf.logit("low ~ age + lwt + C(race) + smoke + ptl + ht + ui", df).fit(**FIT_ARGS)
    p1 = np.asarray(logit.predict(df), dtype=float)
    df["race_code"] = df["race"].map({"black": 0, "other": 1, "white": 2})
    mn = smf.mnlogit("race_code ~ age + lwt + smoke", df).fit(**FIT_ARGS)
    proba = np.asarray(mn.predict(df), dtype=float)
    assert proba.shape == (len(df), 3)
    out = {
        "tool": "statsmodels",
        "tool_version": statsmodels.__version__,
        "numpy_version": np.__version__,
        "pandas_version": pd.__version__,
        "python_version": platform.python_version(),
        "data": "data/lbw.csv",
        "n": len(df),
        "logit": {
            "formula": "low ~ age + lwt + C(race) + smoke + ptl + ht + ui",
            "converged": bool(logit.mle_retvals["converged"]),
            "classes": ["0", "1"],
            "proba": [[1.0 - float(p), float(p)] for p in p1],
        },
        "softmax": {
            "formula": "race ~ age + lwt + smoke",
            "converged": bool(mn.mle_retvals["converged"]),
            "classes": ["black", "other", "white"],
            "proba": [[float(v) for v in row] for row in proba],
            "names": list(mn.params.index),
            "params": [[float(v) for v in mn.params[k]] for k in mn.params.columns],
            "bse": [[float(v) for v in mn.bse[k]] for k in mn.bse.columns],
        },
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
