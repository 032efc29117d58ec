"""axon: logistic regression with statsmodels-grade inference and neural networks, in Rust.

- ``axon.LogisticRegression`` and ``axon.MLPClassifier``: scikit-learn estimators.
- ``axon.Logit``, ``axon.Probit``, ``axon.MNLogit``: statsmodels-style models and results.
- ``axon.load(path)``: any model file the ``axon`` command line writes.
- ``axon.Tensor``: the engine's tensor with ``requires_grad`` and ``backward()``.
"""

from ._axon import Gradients, Tensor
from ._discrete import Logit, MNLogit, Probit
from ._saved import Model, load

__all__ = [
    "LogisticRegression", "MLPClassifier", "Logit", "Probit", "MNLogit", "Model", "load",
    "Tensor", "Gradients",
]


def __getattr__(name):
    # The estimators need scikit-learn; import it only when they are asked for.
    if name == "LogisticRegression":
        from ._linear import LogisticRegression

        return LogisticRegression
    if name == "MLPClassifier":
        from ._mlp import MLPClassifier

        return MLPClassifier
    raise AttributeError(f"module 'axon' has no attribute {name!r}")
