"""scikit-learn's own estimator checks on axon's estimators. Every check expected to fail is
listed below with the reason; `xfail_strict` makes a listed check that passes fail the run, so
the list stays true."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import axon

LOGISTIC_FAILURES = {}

MLP_FAILURES = {}


def expected_failures(estimator):
    if isinstance(estimator, axon.MLPClassifier):
        return MLP_FAILURES
    return LOGISTIC_FAILURES


@parametrize_with_checks(
    [axon.LogisticRegression(), axon.MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01,
                                                   max_iter=200, random_state=0)],
    expected_failed_checks=expected_failures,
    xfail_strict=True,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
