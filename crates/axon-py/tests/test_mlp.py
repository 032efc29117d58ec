"""axon.MLPClassifier: it learns, is reproducible by random_state, stops early, pickles."""

import pickle

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

import axon


@pytest.fixture(scope="module")
def iris_scaled(iris):
    x, y = iris
    return StandardScaler().fit_transform(x), y


def test_learns_iris(iris_scaled):
    x, y = iris_scaled
    clf = axon.MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, learning_rate_init=0.01,
                             random_state=0).fit(x, y)
    assert clf.score(x, y) > 0.95
    assert clf.n_iter_ == 200 and len(clf.loss_curve_) == 200
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] / 4
    proba = clf.predict_proba(x)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


def test_random_state_reproduces(iris_scaled):
    x, y = iris_scaled
    make = lambda seed: axon.MLPClassifier((8,), max_iter=20, random_state=seed).fit(x, y)
    np.testing.assert_array_equal(make(3).predict_proba(x), make(3).predict_proba(x))
    assert not np.array_equal(make(3).predict_proba(x), make(4).predict_proba(x))


def test_options(iris_scaled):
    x, y = iris_scaled
    for activation in ["relu", "tanh", "logistic"]:
        clf = axon.MLPClassifier((8, 8), activation=activation, solver="sgd",
                                 learning_rate_init=0.05, batch_size=16, max_iter=60,
                                 random_state=0).fit(x, y)
        assert clf.score(x, y) > 0.8, activation
    linear = axon.MLPClassifier((), max_iter=100, learning_rate_init=0.05, random_state=0)
    assert linear.fit(x, y).score(x, y) > 0.9


def test_early_stopping(iris_scaled):
    x, y = iris_scaled
    clf = axon.MLPClassifier((16,), max_iter=2000, early_stopping=True, n_iter_no_change=5,
                             learning_rate_init=0.05, random_state=0).fit(x, y)
    assert clf.n_iter_ < 2000
    assert len(clf.validation_scores_) == clf.n_iter_


def test_pickle_and_grid_search(iris_scaled):
    x, y = iris_scaled
    clf = axon.MLPClassifier((8,), max_iter=30, random_state=0).fit(x, y)
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(x), clf.predict_proba(x))
    assert back.loss_curve_ == clf.loss_curve_
    grid = GridSearchCV(axon.MLPClassifier(max_iter=20, random_state=0),
                        {"hidden_layer_sizes": [(4,), (8,)]}, cv=3).fit(x, y)
    assert grid.best_params_["hidden_layer_sizes"] in [(4,), (8,)]


def test_bad_settings(iris_scaled):
    x, y = iris_scaled
    with pytest.raises(ValueError, match="activation"):
        axon.MLPClassifier(activation="gelu", max_iter=1).fit(x, y)
    with pytest.raises(ValueError, match="solver"):
        axon.MLPClassifier(solver="lbfgs", max_iter=1).fit(x, y)
    with pytest.raises(ValueError, match="learning_rate_init"):
        axon.MLPClassifier(learning_rate_init=0.0, max_iter=1).fit(x, y)
    with pytest.raises(ValueError, match="NaN"):
        axon.MLPClassifier(max_iter=1).fit(np.where(x > 1, np.nan, x), y)


def test_alpha_shrinks(iris_scaled):
    x, y = iris_scaled
    fit = lambda alpha: axon.MLPClassifier((8,), alpha=alpha, max_iter=100, learning_rate_init=0.05,
                                           random_state=0).fit(x, y)
    free, shrunk = fit(0.0).predict_proba(x).max(axis=1), fit(50.0).predict_proba(x).max(axis=1)
    assert shrunk.mean() < free.mean() - 0.2
    with pytest.raises(ValueError, match="alpha"):
        fit(-1.0)
