"""axon.load on model files the command line wrote: the committed files of the first formats
(crates/axon/tests/fixtures/legacy, with the predictions `axon predict` made of them), and, when
an axon binary is built, files of the current format."""

import csv
import subprocess

import numpy as np
import pandas as pd
import pytest

import axon
from conftest import DATA, LEGACY, axon_binary


def cli_proba(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    columns = [c for c in rows[0] if c.startswith("p_")]
    return np.array([[float(r[c]) for c in columns] for r in rows])


@pytest.mark.parametrize("name,data", [
    ("logit_lbw", DATA / "lbw.csv"),
    ("probit_lbw", DATA / "lbw.csv"),
    ("softmax_lbw", DATA / "lbw.csv"),
    ("ovr_lbw", DATA / "lbw.csv"),
    ("mlp_iris", LEGACY / "iris_header.csv"),
])
def test_legacy_files_predict_as_the_cli(name, data):
    model = axon.load(LEGACY / f"{name}.axon")
    expected = cli_proba(LEGACY / f"{name}.predict.csv")
    np.testing.assert_allclose(model.predict_proba(str(data)), expected, rtol=1e-12, atol=1e-12)
    frame = pd.read_csv(data)
    np.testing.assert_allclose(model.predict_proba(frame), expected, rtol=1e-12, atol=1e-12)
    assert len(model.predict(frame)) == len(expected)


def test_array_input_in_feature_order():
    model = axon.load(LEGACY / "mlp_iris.axon")
    frame = pd.read_csv(LEGACY / "iris_header.csv")
    x = frame[model.features].to_numpy()
    np.testing.assert_allclose(model.predict_proba(x), model.predict_proba(frame), atol=1e-12)
    with pytest.raises(ValueError, match="columns"):
        model.predict_proba(x[:, :2])
    with pytest.raises(ValueError, match="finite"):
        model.predict_proba(np.where(x > 5, np.nan, x))


def test_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="nothing.axon"):
        axon.load(tmp_path / "nothing.axon")
    bad = tmp_path / "bad.axon"
    bad.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="bad.axon"):
        axon.load(bad)


def test_current_cli_files(tmp_path):
    binary = axon_binary()
    if binary is None:
        pytest.skip("no axon binary built")
    lbw = DATA / "lbw.csv"
    out = tmp_path / "logit.axon"
    subprocess.run([binary, "fit", "--data", str(lbw), "--target", "low", "--features",
                    "age,lwt,race,smoke", "--out", str(out)], check=True, capture_output=True)
    pred = tmp_path / "pred.csv"
    printed = subprocess.run([binary, "predict", "--model", str(out), "--data", str(lbw),
                              "--proba"], check=True, capture_output=True, text=True)
    pred.write_text(printed.stdout)
    model = axon.load(out)
    assert model.kind == "logit"
    np.testing.assert_allclose(model.predict_proba(str(lbw)), cli_proba(pred), rtol=1e-12,
                               atol=1e-12)
