"""scikit-learn's ``MLPClassifier`` on axon's engine (float32 networks, the library's training
loop). Follows scikit-learn's developer guide as ``LogisticRegression`` does; a fitted
classifier pickles as the bytes of axon's model file."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from . import _axon

_FLOATS = [np.float64, np.float32]


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """A multi-layer perceptron classifier trained by axon.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Widths of the hidden layers; ``()`` trains a softmax regression.
    activation : {"relu", "tanh", "logistic"}, default="relu"
    solver : {"adam", "sgd"}, default="adam"
        Adam, or SGD with Nesterov momentum 0.9 (scikit-learn's defaults).
    alpha : float, default=1e-4
        L2 penalty as scikit-learn scales it, ``alpha / (2 batch_size) * ||W||^2`` added to each
        batch's mean loss: weight decay ``alpha / batch_size`` (on the biases too).
    batch_size : int or "auto", default="auto"
        Rows per step; "auto" is ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-3
    max_iter : int, default=200
        Epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and stop after ``n_iter_no_change`` epochs
        without a better validation accuracy, keeping the best epoch's weights.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    random_state : int, RandomState or None, default=None
        Seeds the initialisation, the shuffling and the validation split.

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_, n_iter_, loss_curve_, validation_scores_
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter=200,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        random_state=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state

    def fit(self, X, y):
        """Train on ``X`` (n_samples, n_features) and labels ``y``; returns self."""
        X, y = validate_data(self, X, y, dtype=_FLOATS)
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                "MLPClassifier needs samples of at least 2 classes in the data, but the data "
                f"contains only one class: {self.classes_[0]!r}"
            )
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, (int, np.integer)) else list(sizes)
        if any(int(h) < 1 for h in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive, got {self.hidden_layer_sizes}")
        if self.batch_size == "auto":
            batch = min(200, X.shape[0])
        elif isinstance(self.batch_size, (int, np.integer)) and self.batch_size >= 1:
            batch = int(self.batch_size)
        else:
            raise ValueError(f"batch_size must be 'auto' or an int >= 1, got {self.batch_size!r}")
        if not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 1:
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        self._network = _axon.fit_mlp(
            X,
            y_index.astype(np.int64),
            [str(c) for c in self.classes_],
            hidden_layer_sizes=[int(h) for h in sizes],
            activation=str(self.activation),
            solver=str(self.solver),
            weight_decay=float(self.alpha) / batch,
            batch_size=batch,
            learning_rate_init=float(self.learning_rate_init),
            max_iter=int(self.max_iter),
            early_stopping=bool(self.early_stopping),
            validation_fraction=float(self.validation_fraction),
            n_iter_no_change=int(self.n_iter_no_change),
            seed=seed,
        )
        self.n_iter_ = self._network.n_iter
        self.loss_curve_ = list(self._network.loss_curve)
        self.validation_scores_ = list(self._network.validation_scores) or None
        return self

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), columns in the order of ``classes_``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=_FLOATS, reset=False)
        return self._network.predict_proba(X)

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of every row."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __getstate__(self):
        state = dict(super().__getstate__())
        net = state.pop("_network", None)
        if net is not None:
            state["_network_bytes"] = bytes(net.to_bytes())
        return state

    def __setstate__(self, state):
        state = dict(state)
        data = state.pop("_network_bytes", None)
        super().__setstate__(state)
        if data is not None:
            self._network = _axon.Network.from_bytes(
                data, list(state.get("loss_curve_", [])), list(state.get("validation_scores_") or [])
            )
