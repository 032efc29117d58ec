#!/usr/bin/env python3
"""Reference fits for `crates/axon/tests/multinomial.rs` (exact maximum-likelihood multinomial logit).

Fits statsmodels' `MNLogit` (class 0 the reference, Newton's method, tight tolerance) on two real
data sets whose maximum-likelihood estimate exists, and writes one fixture per data set:

- `iris_mnlogit.json`: `data/iris.csv`, intercept + sepal length (feature column 0). Every pair of
  iris features separates setosa (at least quasi-completely), so statsmodels does not converge on
  any two-feature model; sepal length alone gives a converged, finite fit.
- `wine_mnlogit.json`: `data/wine_data.csv`, intercept + alcohol, malic_acid, ash,
  alcalinity_of_ash (feature columns 0-3).

Each holds the design matrix (row-major, intercept first, so the Rust tests do not depend on axon's
readers), `y`, the column names and the feature columns used, statsmodels' `params`, `bse`,
`tvalues`, `pvalues` and confidence intervals (one list per non-reference class k = 1..K-1, each
with one value per column), `llf`, `llnull`, `llr`, `llr_pvalue`, `prsquared`, `aic`, `bic`,
`df_model`, `df_resid`, and scikit-learn's unpenalised multinomial `LogisticRegression` (C = inf,
newton-cg, tol 1e-12) predicted probabilities (row-major n x K) and labels on the training data.
scikit-learn's symmetric parametrisation has other coefficients but the same probabilities.

`iris_sepal_separated_mnlogit.json`: intercept + sepal length + sepal width, on which setosa is
(quasi-)separated from the other species and the MLE does not exist; axon must refuse it. What
statsmodels does with it is recorded in words.

Run from anywhere (needs `pip install statsmodels scikit-learn numpy`):

    python3 scripts/reference/multinomial_fixtures.py
"""

import json
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
import statsmodels
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "crates" / "axon" / "tests" / "fixtures"
FIT_ARGS = {"method": "newton", "tol": 1e-13, "maxiter": 200, "disp": False}
IRIS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
WINE = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash"]


def versions() -> dict:
    return {
        "tool": "statsmodels",
        "tool_version": statsmodels.__version__,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "python_version": platform.python_version(),
    }


def floats(a) -> list:
    return [float(v) for v in np.asarray(a).ravel()]


def by_class(a) -> list:
    """A p x (K-1) table as K-1 lists of p values (class 1 first)."""
    return [floats(col) for col in np.asarray(a).T]


def read_sklearn_csv(path: Path):
    lines = path.read_text().strip().split("\n")
    head = lines[0].split(",")
    rows = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    return rows[:, :-1], rows[:, -1].astype(int), head[2:]


def design(data: str, columns: list, feature_names: list):
    x, y, classes = read_sklearn_csv(ROOT / "data" / data)
    features = x[:, columns]
    names = ["Intercept"] + [feature_names[c] for c in columns]
    return sm.add_constant(features, has_constant="add"), y, names, classes, features


def base(data, columns, names, classes, x, y) -> dict:
    return {
        **versions(),
        "data": f"data/{data}",
        "feature_columns": columns,
        "names": names,
        "classes": classes,
        "intercept_index": 0,
        "n": int(x.shape[0]),
        "p": int(x.shape[1]),
        "k": len(classes),
        "x": floats(x),
        "y": [int(v) for v in y],
    }


def fit(data: str, columns: list, feature_names: list) -> dict:
    x, y, names, classes, features = design(data, columns, feature_names)
    res = sm.MNLogit(y, x).fit(**FIT_ARGS)
    if not res.mle_retvals["converged"]:
        raise SystemExit(f"statsmodels MNLogit did not converge on {data} {columns}")
    ci = np.asarray(res.conf_int()).reshape(len(classes) - 1, x.shape[1], 2)
    sk = LogisticRegression(C=np.inf, solver="newton-cg", max_iter=10000, tol=1e-12)
    sk.fit(features, y)
    sk_prob = sk.predict_proba(features)
    sm_prob = res.predict(x)
    gap = float(np.max(np.abs(sk_prob - sm_prob)))
    if gap > 1e-6:
        raise SystemExit(f"{data}: scikit-learn and statsmodels probabilities differ by {gap}")
    return {
        **base(data, columns, names, classes, x, y),
        "model": f"MNLogit, method=newton, tol=1e-13, columns {names}",
        "iterations": int(res.mle_retvals["iterations"]),
        "params": by_class(res.params),
        "bse": by_class(res.bse),
        "tvalues": by_class(res.tvalues),
        "pvalues": by_class(res.pvalues),
        "ci_low": [floats(c[:, 0]) for c in ci],
        "ci_high": [floats(c[:, 1]) for c in ci],
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
        "statsmodels_proba": floats(sm_prob),
        "sklearn_model": "LogisticRegression(C=inf, solver='newton-cg', max_iter=10000, tol=1e-12)",
        "sklearn_proba": floats(sk_prob),
        "sklearn_labels": [int(v) for v in sk.predict(features)],
        "sklearn_statsmodels_max_proba_diff": gap,
    }


def separated() -> dict:
    columns = [0, 1]
    x, y, names, classes, _ = design("iris.csv", columns, IRIS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sm.MNLogit(y, x).fit(**FIT_ARGS)
    kinds = sorted({type(w.message).__name__ for w in caught})
    outcome = (
        f"converged = {res.mle_retvals['converged']} after {res.mle_retvals['iterations']} "
        f"iterations, warnings {kinds}, max |param| = {float(np.max(np.abs(res.params))):.3g}, "
        f"max bse = {float(np.max(np.asarray(res.bse))):.3g}"
    )
    return {
        **base("iris.csv", columns, names, classes, x, y),
        "statsmodels_mnlogit": outcome,
    }


def main() -> int:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for stem, data, columns, names in [
        ("iris", "iris.csv", [0], IRIS),
        ("wine", "wine_data.csv", [0, 1, 2, 3], WINE),
    ]:
        out = fit(data, columns, names)
        path = FIXTURES / f"{stem}_mnlogit.json"
        path.write_text(json.dumps(out, indent=1) + "\n")
        print(
            f"wrote {path.relative_to(ROOT)}: llf {out['llf']!r}, {out['iterations']} iterations, "
            f"sklearn vs statsmodels {out['sklearn_statsmodels_max_proba_diff']:.2e}"
        )
    sep = separated()
    path = FIXTURES / "iris_sepal_separated_mnlogit.json"
    path.write_text(json.dumps(sep, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}: statsmodels {sep['statsmodels_mnlogit']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
