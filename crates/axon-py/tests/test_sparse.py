"""scipy.sparse input for axon.LogisticRegression: the sparse fits (TRON, L-BFGS, newGLMNET,
the multinomial logit, one-vs-rest) reach the dense fit's coefficients to 1e-6 on heart_scale
(LibSVM) and on a random sparse multi-class design; every sparse format and index width gives
the same fit; predictions on sparse rows equal those on the same rows dense."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_file

import axon
from conftest import DATA

TIGHT = dict(tol=1e-10, max_iter=1000)


@pytest.fixture(scope="module")
def heart():
    x, y = load_svmlight_file(str(DATA / "heart_scale"))
    return sp.csr_matrix(x), (y > 0).astype(int)


@pytest.fixture(scope="module")
def multiclass():
    rng = np.random.default_rng(3)
    x = sp.random(400, 60, density=0.08, format="csr", random_state=4, dtype=np.float64)
    w = rng.normal(size=(60, 3)) * 3
    y = np.argmax(x @ w + rng.gumbel(size=(400, 3)), axis=1)
    return x, y


def assert_same_fit(sparse_fit, dense_fit, x, atol=1e-6):
    np.testing.assert_allclose(sparse_fit.coef_, dense_fit.coef_, atol=atol)
    np.testing.assert_allclose(sparse_fit.intercept_, dense_fit.intercept_, atol=atol)
    np.testing.assert_allclose(sparse_fit.predict_proba(x), dense_fit.predict_proba(x.toarray()),
                               atol=atol)


@pytest.mark.parametrize("params", [
    dict(penalty="l2", C=0.5),
    dict(penalty="l2", C=0.5, solver="lbfgs"),
    dict(penalty=None, C=1.0),
    dict(penalty="l2", C=2.0, fit_intercept=False),
    dict(penalty="l2", C=1.0, class_weight="balanced"),
    dict(penalty="l1", C=0.5),
    dict(penalty="elasticnet", C=0.5, l1_ratio=0.4),
])
def test_binary_heart_scale_equals_dense(heart, params):
    x, y = heart
    solver = params.pop("solver", "auto")
    ours = axon.LogisticRegression(solver=solver, **params, **TIGHT).fit(x, y)
    dense_solver = "newton" if solver == "auto" and params["penalty"] in ("l2", None) else solver
    dense = axon.LogisticRegression(solver=dense_solver, **params, **TIGHT).fit(x.toarray(), y)
    # TRON stops at F's rounding floor (a relative change of 1e-12), where the unpenalised fit,
    # the worst conditioned, still has ~1e-6 left in its coefficients.
    assert_same_fit(ours, dense, x, atol=5e-6 if params["penalty"] is None else 1e-6)
    np.testing.assert_allclose(ours.decision_function(x), dense.decision_function(x.toarray()),
                               atol=1e-5)
    assert (ours.predict(x) == dense.predict(x.toarray())).all()


def test_sample_weights_on_sparse(heart):
    x, y = heart
    w = np.arange(len(y)) % 3 + 0.5
    ours = axon.LogisticRegression(C=0.5, **TIGHT).fit(x, y, sample_weight=w)
    dense = axon.LogisticRegression(C=0.5, solver="newton", **TIGHT).fit(
        x.toarray(), y, sample_weight=w)
    assert_same_fit(ours, dense, x)
    unweighted = axon.LogisticRegression(C=0.5, **TIGHT).fit(x, y)
    assert np.abs(unweighted.coef_ - ours.coef_).max() > 1e-3


@pytest.mark.parametrize("multi_class,penalty,class_weight", [
    ("multinomial", "l2", None), ("multinomial", "l2", "balanced"), ("ovr", "l2", None),
    ("ovr", "l2", "balanced"), ("ovr", "l1", None),
])
def test_multiclass_equals_dense(multiclass, multi_class, penalty, class_weight):
    x, y = multiclass
    params = dict(multi_class=multi_class, penalty=penalty, C=1.0, class_weight=class_weight,
                  **TIGHT)
    ours = axon.LogisticRegression(**params).fit(x, y)
    dense = axon.LogisticRegression(**params).fit(x.toarray(), y)
    assert ours.coef_.shape == (3, 60)
    assert_same_fit(ours, dense, x)
    np.testing.assert_allclose(ours.predict_proba(x).sum(axis=1), 1.0, atol=1e-12)


def test_formats_dtypes_and_index_widths_agree(heart):
    x, y = heart
    base = axon.LogisticRegression(**TIGHT).fit(x, y)
    wide = x.copy()
    wide.indices = wide.indices.astype(np.int64)
    wide.indptr = wide.indptr.astype(np.int64)
    unsorted = x.copy()
    unsorted.indices, unsorted.data = unsorted.indices.copy(), unsorted.data.copy()
    start, end = unsorted.indptr[0], unsorted.indptr[1]
    unsorted.indices[start:end] = unsorted.indices[start:end][::-1]
    unsorted.data[start:end] = unsorted.data[start:end][::-1]
    unsorted.has_sorted_indices = False
    for variant in [x.tocsc(), x.tocoo(), sp.csr_array(x), wide, unsorted]:
        fit = axon.LogisticRegression(**TIGHT).fit(variant, y)
        np.testing.assert_allclose(fit.coef_, base.coef_, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(base.predict_proba(variant), base.predict_proba(x), atol=1e-15)
    as32 = axon.LogisticRegression(**TIGHT).fit(x.astype(np.float32), y)
    np.testing.assert_allclose(as32.coef_, base.coef_, atol=1e-5)
    # A sparse model predicts dense rows and the other way round.
    dense = axon.LogisticRegression(solver="newton", **TIGHT).fit(x.toarray(), y)
    np.testing.assert_allclose(base.predict_proba(x.toarray()), dense.predict_proba(x), atol=1e-6)


def test_bad_sparse_input_is_a_value_error(heart):
    x, y = heart
    bad = x.copy()
    bad.data = bad.data.copy()
    bad.data[3] = np.nan
    with pytest.raises(ValueError, match="not finite|NaN"):
        axon.LogisticRegression().fit(bad, y)
    with pytest.raises(ValueError, match="features"):
        axon.LogisticRegression().fit(x, y).predict(x[:, :5])
    with pytest.raises(ValueError, match="solver"):
        axon.LogisticRegression(penalty="l1", solver="lbfgs").fit(x, y)
