"""scikit-learn's own estimator checks on axon's estimators. Every check expected to fail is
listed below with the reason; `xfail_strict` makes a listed check that passes fail the run, so
the list stays true."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import axon

_MULTINOMIAL_WEIGHTS = (
    "axon's multinomial (softmax) fit takes no per-row weights, so sample_weight and a dict "
    "class_weight with more than two classes raise ValueError (multi_class='ovr' takes them)"
)

LOGISTIC_FAILURES = {
    "check_sample_weights_list": _MULTINOMIAL_WEIGHTS,
    "check_sample_weight_equivalence_on_dense_data": _MULTINOMIAL_WEIGHTS,
    "check_class_weight_classifiers": _MULTINOMIAL_WEIGHTS,
}

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
