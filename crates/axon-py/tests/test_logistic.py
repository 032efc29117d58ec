"""axon.LogisticRegression: agreement with scikit-learn and statsmodels, layouts and dtypes,
scikit-learn's tools (Pipeline, GridSearchCV, clone, cross_val_score), pickling, bad input."""

import pickle

import numpy as np
import pytest
from sklearn import linear_model
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import axon
from axon import _axon
from conftest import lbw_design


@pytest.fixture(scope="module")
def lbw_xy(lbw):
    x = lbw_design(lbw).drop(columns="const")
    return StandardScaler().fit_transform(x.to_numpy()), lbw["low"].to_numpy()


def test_unpenalised_equals_statsmodels(lbw, statsmodels_lbw):
    x = lbw_design(lbw).drop(columns="const")
    clf = axon.LogisticRegression(penalty=None, tol=1e-10).fit(x, lbw["low"])
    ref = statsmodels_lbw["logit"]["params"]
    np.testing.assert_allclose(clf.intercept_, ref[:1], rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(clf.coef_.ravel(), ref[1:], rtol=1e-8, atol=1e-8)
    assert list(clf.feature_names_in_) == list(x.columns)
    assert clf.n_features_in_ == 8


@pytest.mark.parametrize("penalty,solver,extra", [
    ("l2", "newton", {}),
    ("l2", "lbfgs", {}),
    ("l1", "coordinate_descent", {}),
    ("elasticnet", "coordinate_descent", {"l1_ratio": 0.5}),
])
def test_penalised_equals_sklearn(lbw_xy, penalty, solver, extra):
    x, y = lbw_xy
    ours = axon.LogisticRegression(penalty, C=0.5, solver=solver, tol=1e-10, max_iter=1000,
                                   **extra).fit(x, y)
    sk_solver = "lbfgs" if penalty == "l2" else "saga"
    ratio = extra.get("l1_ratio", 1.0 if penalty == "l1" else 0.0)
    ref = linear_model.LogisticRegression(C=0.5, l1_ratio=ratio, solver=sk_solver, tol=1e-12,
                                          max_iter=100000).fit(x, y)
    tol = 1e-6 if penalty == "l2" else 1e-4
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=tol)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=tol)
    np.testing.assert_allclose(ours.predict_proba(x), ref.predict_proba(x), atol=tol)


def test_multinomial_and_ovr_on_iris(iris):
    x, y = iris
    x = StandardScaler().fit_transform(x)
    ours = axon.LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(x, y)
    ref = linear_model.LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit(x, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(x), ref.predict_proba(x), atol=1e-6)
    assert ours.coef_.shape == (3, 4) and ours.intercept_.shape == (3,)
    ovr = axon.LogisticRegression(multi_class="ovr", tol=1e-10).fit(x, y)
    assert ovr.coef_.shape == (3, 4) and ovr.n_iter_.shape == (3,)
    np.testing.assert_allclose(ovr.predict_proba(x).sum(axis=1), 1.0, atol=1e-12)
    assert ovr.score(x, y) > 0.9


def test_layouts_and_dtypes_agree(lbw_xy):
    x, y = lbw_xy
    base = axon.LogisticRegression(fit_intercept=False, tol=1e-12).fit(x, y)
    for variant in [np.asfortranarray(x), np.ascontiguousarray(x), x[::-1][::-1],
                    np.ascontiguousarray(x.T).T]:
        clf = axon.LogisticRegression(fit_intercept=False, tol=1e-12).fit(variant, y)
        np.testing.assert_allclose(clf.coef_, base.coef_, rtol=1e-12, atol=1e-12)
    as32 = axon.LogisticRegression(fit_intercept=False, tol=1e-12).fit(x.astype(np.float32), y)
    np.testing.assert_allclose(as32.coef_, base.coef_, atol=1e-5)
    strided = np.zeros((x.shape[0], 2 * x.shape[1]))
    strided[:, ::2] = x
    np.testing.assert_allclose(base.decision_function(strided[:, ::2]),
                               base.decision_function(x), rtol=1e-12, atol=1e-12)


def test_sample_weight_as_repetition(lbw_xy):
    x, y = lbw_xy
    w = np.arange(len(y)) % 3
    weighted = axon.LogisticRegression(tol=1e-10).fit(x, y, sample_weight=w.astype(float))
    repeated = axon.LogisticRegression(tol=1e-10).fit(np.repeat(x, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-8)


def test_multinomial_sample_weight_as_repetition(iris):
    x, y = iris
    x = StandardScaler().fit_transform(x)
    w = np.arange(len(y)) % 3
    weighted = axon.LogisticRegression(tol=1e-12, max_iter=10000).fit(x, y, sample_weight=w)
    repeated = axon.LogisticRegression(tol=1e-12, max_iter=10000).fit(
        np.repeat(x, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-6)
    ref = linear_model.LogisticRegression(tol=1e-12, max_iter=100000).fit(x, y, sample_weight=w)
    np.testing.assert_allclose(weighted.coef_, ref.coef_, atol=1e-5)
    cw = {0: 1.0, 1: 2.0, 2: 0.5}
    by_dict = axon.LogisticRegression(class_weight=cw, tol=1e-12, max_iter=10000).fit(x, y)
    by_rows = axon.LogisticRegression(tol=1e-12, max_iter=10000).fit(
        x, y, sample_weight=np.array([cw[c] for c in y]))
    np.testing.assert_allclose(by_dict.coef_, by_rows.coef_, atol=1e-10)


def test_class_weight_dict_and_balanced(lbw_xy):
    x, y = lbw_xy
    balanced = axon.LogisticRegression(class_weight="balanced", tol=1e-10).fit(x, y)
    counts = np.bincount(y)
    as_dict = {c: len(y) / (2 * counts[c]) for c in (0, 1)}
    by_dict = axon.LogisticRegression(class_weight=as_dict, tol=1e-10).fit(x, y)
    np.testing.assert_allclose(balanced.coef_, by_dict.coef_, atol=1e-8)
    ref = linear_model.LogisticRegression(class_weight="balanced", tol=1e-12).fit(x, y)
    np.testing.assert_allclose(balanced.coef_, ref.coef_, atol=1e-6)


def test_sklearn_tools(lbw_xy):
    x, y = lbw_xy
    pipe = make_pipeline(StandardScaler(), axon.LogisticRegression())
    assert cross_val_score(pipe, x, y, cv=3).mean() > 0.6
    grid = GridSearchCV(axon.LogisticRegression(), {"C": [0.01, 0.1, 1.0, 10.0]}, cv=3).fit(x, y)
    assert grid.best_params_["C"] in (0.01, 0.1, 1.0, 10.0)
    assert grid.best_estimator_.coef_.shape == (1, x.shape[1])
    copy = clone(axon.LogisticRegression(C=3.0, penalty="l1"))
    assert copy.get_params()["C"] == 3.0 and copy.get_params()["penalty"] == "l1"


def test_pickle_round_trip(lbw_xy):
    x, y = lbw_xy
    clf = axon.LogisticRegression(C=2.0).fit(x, y)
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(x), clf.predict_proba(x))
    assert back.get_params() == clf.get_params()


def test_string_labels(lbw_xy):
    x, y = lbw_xy
    labels = np.where(y == 1, "low", "normal")
    clf = axon.LogisticRegression().fit(x, labels)
    assert list(clf.classes_) == ["low", "normal"]
    assert set(clf.predict(x)) <= {"low", "normal"}


def test_bad_input_is_a_value_error(lbw_xy):
    x, y = lbw_xy
    clf = axon.LogisticRegression()
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(np.where(x > 2, np.nan, x), y)
    with pytest.raises(ValueError, match="3"):
        clf.fit(x.reshape(len(y), 2, 4), y)
    with pytest.raises(ValueError):
        clf.fit(np.array([["a", "b"]] * len(y)), y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.fit(x[:-1], y)
    clf.fit(x, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(x[:, :3])
    with pytest.raises(ValueError, match="C"):
        axon.LogisticRegression(C=-1.0).fit(x, y)
    with pytest.raises(ValueError, match="penalty"):
        axon.LogisticRegression(penalty="l3").fit(x, y)
    with pytest.raises(ValueError, match="solver"):
        axon.LogisticRegression(penalty="l1", solver="lbfgs").fit(x, y)


def test_native_module_refuses_what_it_cannot_read(lbw_xy):
    x, y = lbw_xy
    idx = y.astype(np.int64)
    args = dict(penalty="l2", c=1.0, l1_ratio=0.0, solver="auto", fit_intercept=True,
                class_weight="none", multi_class="auto", max_iter=100, tol=1e-4)
    with pytest.raises(ValueError, match="2-D float64 or float32"):
        _axon.fit_logistic(x.tolist(), idx, 2, **args)
    with pytest.raises(ValueError, match="3-D"):
        _axon.fit_logistic(x.reshape(len(y), 2, 4), idx, 2, **args)
    with pytest.raises(ValueError, match="2-D float64 or float32"):
        _axon.fit_logistic(x.astype(str), idx, 2, **args)
    with pytest.raises(ValueError, match="not finite"):
        _axon.fit_logistic(np.where(x > 2, np.inf, x), idx, 2, **args)
    with pytest.raises(ValueError, match="int64"):
        _axon.fit_logistic(x, y.astype(float), 2, **args)
    with pytest.raises(ValueError, match="rows"):
        _axon.fit_logistic(x, idx[:-1], 2, **args)


def test_negative_strides(lbw_xy):
    x, y = lbw_xy
    base = axon.LogisticRegression(tol=1e-12).fit(x, y)
    flipped = axon.LogisticRegression(tol=1e-12).fit(x[::-1, ::-1], y[::-1])
    np.testing.assert_allclose(flipped.coef_[:, ::-1], base.coef_, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(base.decision_function(x[::-1]), base.decision_function(x)[::-1],
                               rtol=1e-12, atol=1e-12)


def test_fits_release_the_gil():
    """While a fit runs in another thread, this thread keeps running: the longest pause between
    its ticks is far shorter than the fit."""
    import threading
    import time

    rng = np.random.default_rng(1)
    x = rng.standard_normal((20_000, 40))
    y = (x[:, 0] + rng.standard_normal(20_000) > 0).astype(np.int64)
    args = dict(penalty="l2", c=1.0, l1_ratio=0.0, solver="newton", fit_intercept=False,
                class_weight="none", multi_class="auto", max_iter=100, tol=1e-12)
    start = time.perf_counter()
    _axon.fit_logistic(x, y, 2, **args)
    alone = time.perf_counter() - start
    worker = threading.Thread(target=lambda: _axon.fit_logistic(x, y, 2, **args))
    ticks = [time.perf_counter()]
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    longest = max(np.diff(ticks)) if len(ticks) > 1 else alone
    assert longest < 0.5 * alone, (longest, alone)


def test_native_scores_check_shapes(lbw_xy):
    x, _ = lbw_xy
    coef = np.ones((1, x.shape[1]))
    with pytest.raises(ValueError, match="intercept has 2 values for 1 rows"):
        _axon.linear_scores(x, coef, np.zeros(2), "logit")
    with pytest.raises(ValueError, match="fitted with 8 features"):
        _axon.linear_scores(x[:, :3], coef, np.zeros(1), "logit")
    with pytest.raises(ValueError, match="kind"):
        _axon.linear_scores(x, coef, np.zeros(1), "softplus")
    eta, proba = _axon.linear_scores(x, coef, np.zeros(1), "probit")
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(eta[:, 0], x.sum(axis=1), rtol=1e-12, atol=1e-12)
