"""statsmodels-style Logit, Probit and MNLogit against statsmodels' numbers (fixture written by
scripts/reference/python_fixtures.py) and against the Rust CLI."""

import json
import subprocess

import numpy as np
import pandas as pd
import pytest

import axon
from conftest import DATA, FIXTURES, axon_binary, lbw_design

TOL = 1e-6


def close(a, b, tol=TOL):
    np.testing.assert_allclose(np.asarray(a, dtype=float).ravel(), np.asarray(b).ravel(),
                               rtol=tol, atol=tol)


@pytest.mark.parametrize("family", ["logit", "probit"])
def test_binary_equals_statsmodels(lbw, statsmodels_lbw, family):
    ref = statsmodels_lbw[family]
    model = (axon.Logit if family == "logit" else axon.Probit)(lbw["low"], lbw_design(lbw))
    res = model.fit()
    assert res.converged
    assert list(res.params.index) == ref["names"]
    for key in ["params", "bse", "tvalues", "pvalues"]:
        close(getattr(res, key), ref[key])
    close(res.conf_int(), ref["conf_int"])
    for key in ["llf", "llnull", "llr", "llr_pvalue", "prsquared", "aic", "bic", "df_model",
                "df_resid"]:
        close(getattr(res, key), ref[key])
    me = res.get_margeff()
    assert me.names == ref["names"][1:]
    close(me.margeff, ref["margeff"])
    close(me.margeff_se, ref["margeff_se"])
    close(me.pvalues, ref["margeff_pvalues"])


@pytest.mark.parametrize("family", ["logit", "probit"])
def test_robust_covariances(lbw, statsmodels_lbw, family):
    ref = statsmodels_lbw[family]
    model = (axon.Logit if family == "logit" else axon.Probit)(lbw["low"], lbw_design(lbw))
    close(model.fit(cov_type="HC0").bse, ref["bse_hc0"])
    hc1 = model.fit(cov_type="HC1")
    assert hc1.cov_type == "HC1"
    close(hc1.bse, ref["bse_hc1_textbook"])
    with pytest.raises(ValueError, match="cov_type"):
        model.fit(cov_type="HC3")


def test_arrays_give_arrays_and_statsmodels_names(lbw, statsmodels_lbw):
    x = lbw_design(lbw).to_numpy()
    res = axon.Logit(lbw["low"].to_numpy(), x).fit()
    assert isinstance(res.params, np.ndarray)
    assert res.model.exog_names == ["const"] + [f"x{i}" for i in range(1, 9)]
    close(res.params, statsmodels_lbw["logit"]["params"])
    close(res.predict()[:3], 1 / (1 + np.exp(-(x[:3] @ res.params))), 1e-12)


def test_summary_is_the_cli_table(lbw):
    res = axon.Logit(lbw["low"], lbw_design(lbw)).fit()
    text = str(res.summary())
    assert text.startswith("logit regression, maximum likelihood (NonRobust covariance)")
    for name in ["race_white", "smoke", "odds ratio", "Average marginal effects"]:
        assert name in text
    line = next(line for line in text.splitlines() if line.startswith("smoke "))
    assert f"{res.params['smoke']:.4f}" in line


def test_mnlogit_equals_statsmodels(lbw, statsmodels_lbw):
    ref = statsmodels_lbw["mnlogit"]
    x = lbw[["age", "lwt", "smoke", "ptl", "ht", "ui"]].astype(float)
    x.insert(0, "const", 1.0)
    res = axon.MNLogit(lbw["race"], x).fit()
    assert list(res.params.columns) == ref["classes"][1:]
    assert list(res.params.index) == ref["names"]
    close(res.params, ref["params"])
    close(res.bse, ref["bse"])
    close(res.pvalues, ref["pvalues"])
    for key in ["llf", "llnull", "llr_pvalue", "prsquared", "aic", "bic"]:
        close(getattr(res, key), ref[key])
    assert "multinomial logit" in str(res.summary())


def test_separation_is_a_value_error():
    x = np.column_stack([np.ones(6), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    y = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="separat"):
        axon.Logit(y, x).fit()


def test_bad_endog_and_exog():
    x = np.column_stack([np.ones(4), [1.0, 2.0, 3.0, 4.0]])
    with pytest.raises(ValueError, match="0 or 1"):
        axon.Logit(np.array([0.0, 2.0, 1.0, 0.0]), x).fit()
    with pytest.raises(ValueError, match="numbers"):
        axon.Logit(np.array([0.0, 1.0, 1.0, 0.0]), np.array([["a", "b"]] * 4)).fit()
    with pytest.raises(ValueError, match="not finite"):
        axon.Logit(np.array([0.0, 1.0, 1.0, 0.0]), np.where(x == 2.0, np.nan, x)).fit()


CLI_FEATURES = "age,lwt,race,smoke,ptl,ht,ui"


def _cli_coefficients(report):
    return {c["name"]: c["estimate"] for c in report["coefficients"]}


def _python_coefficients(lbw):
    res = axon.Logit(lbw["low"], lbw_design(lbw)).fit()
    rename = {"const": "Intercept", "race_other": "race[T.other]", "race_white": "race[T.white]"}
    return {rename.get(k, k): v for k, v in res.params.items()}


def _assert_same(cli, py):
    assert set(cli) == set(py)
    for name, b in cli.items():
        assert abs(py[name] - b) <= 1e-12 * max(1.0, abs(b)), (name, py[name], b)


def test_coefficients_equal_the_cli_fixture(lbw):
    """The committed report of `axon fit --data data/lbw.csv --target low --features ...
    --json` (crates/axon-py/tests/fixtures/cli_lbw_logit.json)."""
    report = json.loads((FIXTURES / "cli_lbw_logit.json").read_text())
    _assert_same(_cli_coefficients(report), _python_coefficients(lbw))


def test_coefficients_equal_the_built_cli(lbw):
    binary = axon_binary()
    if binary is None:
        pytest.skip("no axon binary built (set AXON_BIN or build with cargo build --release)")
    out = subprocess.run(
        [binary, "fit", "--data", str(DATA / "lbw.csv"), "--target", "low", "--features",
         CLI_FEATURES, "--json"],
        check=True, capture_output=True, text=True,
    )
    _assert_same(_cli_coefficients(json.loads(out.stdout)), _python_coefficients(lbw))
