"""Shared test data: the repository's data files, the fixtures, the lbw design as the fixture
script builds it, and the `axon` binary when one has been built."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LEGACY = ROOT / "crates" / "axon" / "tests" / "fixtures" / "legacy"


@pytest.fixture(scope="session")
def statsmodels_lbw():
    return json.loads((FIXTURES / "statsmodels_lbw.json").read_text())


@pytest.fixture(scope="session")
def lbw():
    return pd.read_csv(DATA / "lbw.csv")


def lbw_design(df):
    """const, age, lwt, race_other, race_white, smoke, ptl, ht, ui (scripts/reference/
    python_fixtures.py builds the same)."""
    x = df[["age", "lwt"]].astype(float)
    x["race_other"] = (df["race"] == "other").astype(float)
    x["race_white"] = (df["race"] == "white").astype(float)
    for c in ["smoke", "ptl", "ht", "ui"]:
        x[c] = df[c].astype(float)
    x.insert(0, "const", 1.0)
    return x


def axon_binary():
    """The `axon` binary: $AXON_BIN, else $CARGO_TARGET_DIR/release/axon, else target/release/axon
    of the repository, else one on PATH; None when there is none."""
    candidates = [os.environ.get("AXON_BIN")]
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        candidates.append(str(Path(target) / "release" / "axon"))
    candidates += [str(ROOT / "target" / "release" / "axon"), shutil.which("axon")]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    return None


@pytest.fixture(scope="session")
def iris():
    from sklearn.datasets import load_iris

    data = load_iris()
    return data.data, data.target


@pytest.fixture
def rng():
    return np.random.default_rng(0)
