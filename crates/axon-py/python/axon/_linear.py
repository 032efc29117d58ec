"""scikit-learn's ``LogisticRegression`` on axon's fits.

The estimator follows scikit-learn's developer guide: ``__init__`` stores its parameters and
nothing else, ``fit`` validates the data with scikit-learn's own helpers and sets the fitted
attributes with trailing underscores, and the rest comes from ``BaseEstimator`` and
``ClassifierMixin`` (``get_params``, ``set_params``, ``score``, cloning, pickling).
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _axon

_FLOATS = [np.float64, np.float32]


def _class_weights(class_weight, classes, y_index):
    """``(library setting, per-row weights or None)`` for scikit-learn's ``class_weight``."""
    if class_weight is None:
        return "none", None
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                f"class_weight = {class_weight!r}: expected None, 'balanced' or a dict"
            )
        return "balanced", None
    if isinstance(class_weight, dict):
        per_class = np.ones(len(classes))
        for label, weight in class_weight.items():
            where = np.flatnonzero(classes == label)
            if where.size == 0:
                raise ValueError(f"class_weight names class {label!r}, which is not in y")
            per_class[where[0]] = float(weight)
        return "none", per_class[y_index]
    raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {class_weight!r}")


def _csr_parts(X):
    """A scipy.sparse matrix (or array) as the native module's CSR arrays: ``(data`` float64,
    ``indices`` and ``indptr`` int64, ``n_features)``, sorted and without duplicate entries; never
    densified."""
    X = X.tocsr()
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return (
        np.ascontiguousarray(X.data, dtype=np.float64),
        np.ascontiguousarray(X.indices, dtype=np.int64),
        np.ascontiguousarray(X.indptr, dtype=np.int64),
        X.shape[1],
    )


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression fitted by axon (Rust): scikit-learn's estimator interface.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        The penalty on the coefficients (never on the intercept). None fits by maximum
        likelihood, which axon refuses on separated classes or collinear columns.
    C : float, default=1.0
        Inverse penalty strength: the penalty weighs ``1/C`` against the summed log-loss, as in
        scikit-learn.
    l1_ratio : float, default=0.0
        The L1 share of an elastic-net penalty.
    solver : {"auto", "newton", "newton-cholesky", "lbfgs", "coordinate_descent"}, default="auto"
        "auto" takes Newton's method on small problems and L-BFGS on large ones (``n p²``, the
        work of one Hessian, above 10⁸), coordinate descent for L1; the multinomial fit always
        runs L-BFGS. On sparse X, "auto" and "newton" are the trust-region Newton method (TRON,
        as LIBLINEAR), L1 and elastic net are coordinate descent (newGLMNET).
    fit_intercept : bool, default=True
    class_weight : dict, "balanced" or None, default=None
    multi_class : {"auto", "multinomial", "ovr"}, default="auto"
        With more than two classes: the symmetric multinomial (softmax) logit, or one binary
        logit per class against the rest. "auto" is "multinomial".
    max_iter : int, default=100
        The most Newton or L-BFGS iterations (IRLS steps of coordinate descent).
    tol : float, default=1e-4
        The stopping tolerance (for L-BFGS, scikit-learn's rule on the gradient).

    X may be a dense array (float64 or float32, any layout) or a ``scipy.sparse`` matrix or
    array (CSR, CSC, COO, ...), which is fitted as sparse, never densified.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,) or (n_classes,) for one-vs-rest
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined only when X has feature names that are all strings.

    Examples
    --------
    >>> import numpy as np, axon
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> axon.LogisticRegression(C=10.0).fit(X, y).predict(X).tolist()
    [0, 0, 1, 1]
    """

    def __init__(
        self,
        penalty="l2",
        *,
        C=1.0,
        l1_ratio=0.0,
        solver="auto",
        fit_intercept=True,
        class_weight=None,
        multi_class="auto",
        max_iter=100,
        tol=1e-4,
    ):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.multi_class = multi_class
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y, sample_weight=None):
        """Fit the model to ``X`` (n_samples, n_features) and labels ``y``; returns self."""
        # The library checks that every value is finite (naming the row and column), so
        # scikit-learn's own pass over X is skipped.
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=_FLOATS, ensure_all_finite=False
        )
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        y_index = np.searchsorted(self.classes_, y)
        if len(self.classes_) < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the data "
                f"contains only one class: {self.classes_[0]!r}"
            )
        cw_setting, cw_rows = _class_weights(self.class_weight, self.classes_, y_index)
        weights = None
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if cw_rows is not None:
            weights = cw_rows if weights is None else weights * cw_rows
        if weights is not None:
            weights = np.ascontiguousarray(weights, dtype=np.float64)
            weighted = np.unique(y_index[weights > 0])
            if len(weighted) < 2:
                raise ValueError(
                    "The data needs rows of at least 2 classes with positive weight, but only "
                    f"class {self.classes_[weighted[0]] if len(weighted) else None!r} has any"
                )
        if not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 1:
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")
        if sp.issparse(X):
            fit, args = _axon.fit_logistic_sparse, _csr_parts(X)
        else:
            fit, args = _axon.fit_logistic, (X,)
        out = fit(
            *args,
            y_index.astype(np.int64),
            len(self.classes_),
            penalty="none" if self.penalty is None else str(self.penalty),
            c=float(self.C),
            l1_ratio=float(self.l1_ratio if self.l1_ratio is not None else 0.0),
            solver=str(self.solver),
            fit_intercept=bool(self.fit_intercept),
            class_weight=cw_setting,
            multi_class=str(self.multi_class),
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            sample_weight=weights,
        )
        self.coef_ = out["coef"]
        self.intercept_ = out["intercept"]
        self.n_iter_ = np.asarray(out["n_iter"], dtype=np.int32)
        for message in out["warnings"]:
            warnings.warn(message, ConvergenceWarning, stacklevel=2)
        return self

    def _kind(self):
        if len(self.classes_) == 2:
            return "logit"
        return "ovr" if self.multi_class == "ovr" else "softmax"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=_FLOATS, reset=False)
        if sp.issparse(X):
            return _axon.linear_scores_sparse(
                *_csr_parts(X), self.coef_, self.intercept_, self._kind()
            )
        return _axon.linear_scores(X, self.coef_, self.intercept_, self._kind())

    def decision_function(self, X):
        """The linear predictor: (n_samples,) for two classes, else (n_samples, n_classes)."""
        eta, _ = self._scores(X)
        return eta.ravel() if eta.shape[1] == 1 else eta

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), columns in the order of ``classes_``."""
        return self._scores(X)[1]

    def predict_log_proba(self, X):
        """The logarithm of ``predict_proba``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of every row."""
        eta, proba = self._scores(X)
        if eta.shape[1] == 1:
            return self.classes_[(eta[:, 0] > 0).astype(int)]
        return self.classes_[np.argmax(proba, axis=1)]
