"""statsmodels-style discrete choice models: ``Logit``, ``Probit`` and ``MNLogit``.

``axon.Logit(y, X).fit()`` fits by axon's exact maximum likelihood and returns a results
object with statsmodels' names (``params``, ``bse``, ``tvalues``, ``pvalues``, ``conf_int()``,
``llf``, ``llnull``, ``llr``, ``llr_pvalue``, ``prsquared``, ``aic``, ``bic``,
``get_margeff()``, ``summary()``). As in statsmodels, ``X`` is used as given: add the constant
column yourself (a column of ones, named ``const`` for arrays). pandas column names are carried
into ``params`` and the table; arrays give arrays.

One difference: ``cov_type="HC1"`` is the textbook HC1, HC0 times n / (n - p); statsmodels'
discrete models apply no factor there (its "HC1" equals its "HC0").
"""

from statistics import NormalDist

import numpy as np

from . import _axon

_Z_975 = 1.959963984540054


def _is_pandas(obj):
    return type(obj).__module__.split(".")[0] == "pandas"


def _exog_names(x):
    """statsmodels' names for array columns: ``const`` for a constant column, else x1, x2, ..."""
    k = x.shape[1]
    constant = [j for j in range(k) if x.shape[0] > 0 and np.all(x[:, j] == 1.0)]
    if constant:
        names = [f"x{i}" for i in range(1, k)]
        names.insert(constant[0], "const")
        return names
    return [f"x{i}" for i in range(1, k + 1)]


def _exog(exog):
    """``(float array (n, p), names, is_pandas)``; a 1-D exog is one column."""
    names = None
    pandas = _is_pandas(exog)
    if pandas and hasattr(exog, "columns"):
        names = [str(c) for c in exog.columns]
    elif pandas:
        names = [str(exog.name) if exog.name is not None else "x1"]
    try:
        x = np.asarray(exog, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"exog must hold numbers only: {e}") from None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"exog must be 1-D or 2-D, got {x.ndim}-D")
    return x, (names or _exog_names(x)), pandas


def _series(values, index, pandas):
    if not pandas:
        return values
    import pandas as pd

    return pd.Series(values, index=index)


class _Summary:
    """The results table as ``axon fit`` prints it; ``print(res.summary())``."""

    def __init__(self, text):
        self.text = text

    def as_text(self):
        return self.text

    def __str__(self):
        return self.text

    def __repr__(self):
        return self.text


class MarginalEffects:
    """Average marginal effects ``dP/dx`` (statsmodels' ``get_margeff(at="overall")``)."""

    def __init__(self, raw, pandas):
        self._raw = raw
        self._pandas = pandas
        self.names = list(raw["names"])
        self.margeff = _series(raw["margeff"], self.names, pandas)
        self.margeff_se = _series(raw["margeff_se"], self.names, pandas)
        self.tvalues = _series(raw["tvalues"], self.names, pandas)
        self.pvalues = _series(raw["pvalues"], self.names, pandas)

    def conf_int(self, alpha=0.05):
        """``(k, 2)`` intervals of the effects."""
        if alpha == 0.05:
            ci = self._raw["conf_int"]
        else:
            z = NormalDist().inv_cdf(1 - alpha / 2)
            m, se = self._raw["margeff"], self._raw["margeff_se"]
            ci = np.column_stack([m - z * se, m + z * se])
        return _frame(ci, self.names, self._pandas)

    def summary(self):
        return _Summary(self._raw["summary"])


def _frame(ci, names, pandas):
    if not pandas:
        return ci
    import pandas as pd

    return pd.DataFrame(ci, index=names, columns=[0, 1])


class BinaryResults:
    """The results of ``Logit(...).fit()`` or ``Probit(...).fit()``."""

    def __init__(self, model, raw):
        self.model = model
        self._raw = raw
        names, pandas = model.exog_names, model._pandas
        for key in ("params", "bse", "tvalues", "pvalues"):
            setattr(self, key, _series(raw[key], names, pandas))
        for key in (
            "llf", "llnull", "llr", "llr_pvalue", "prsquared", "aic", "bic", "nobs",
            "df_model", "df_resid", "cov_type", "deviance",
        ):
            setattr(self, key, raw[key])
        self.converged = raw["converged"]
        self.mle_retvals = {"converged": raw["converged"], "iterations": raw["iterations"]}

    def cov_params(self):
        """The covariance of the estimates (of ``cov_type``)."""
        cov = self._raw["cov_params"]
        if not self.model._pandas:
            return cov
        import pandas as pd

        return pd.DataFrame(cov, index=self.model.exog_names, columns=self.model.exog_names)

    def conf_int(self, alpha=0.05):
        """``(p, 2)`` Wald intervals of the coefficients."""
        if alpha == 0.05:
            ci = self._raw["conf_int"]
        else:
            z = NormalDist().inv_cdf(1 - alpha / 2)
            b, se = self._raw["params"], self._raw["bse"]
            ci = np.column_stack([b - z * se, b + z * se])
        return _frame(ci, self.model.exog_names, self.model._pandas)

    def get_margeff(self, at="overall", method="dydx"):
        """Average marginal effects (only ``at="overall"``, ``method="dydx"``)."""
        if at != "overall" or method != "dydx":
            raise ValueError("axon computes average marginal effects: at='overall', method='dydx'")
        return MarginalEffects(self._raw["margeff"], self.model._pandas)

    def predict(self, exog=None):
        """``P(y = 1)`` of every row of ``exog`` (default: the fitted data)."""
        x = self.model.exog if exog is None else _exog(exog)[0]
        coef = np.asarray(self._raw["params"], dtype=np.float64)[None, :]
        _, proba = _axon.linear_scores(x, coef, np.zeros(1), self.model._link)
        return proba[:, 1]

    def summary(self):
        """The coefficient table and statistics as ``axon fit`` prints them, with the marginal
        effects below."""
        return _Summary(self._raw["summary"] + "\n" + self._raw["margeff"]["summary"])


class _BinaryModel:
    _link = "logit"

    def __init__(self, endog, exog):
        self.exog, self.exog_names, self._pandas = _exog(exog)
        self.endog_names = getattr(endog, "name", None) or "y"
        try:
            y = np.asarray(endog, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"endog must be 0/1 numbers: {e}") from None
        if y.ndim != 1:
            raise ValueError(f"endog must be 1-D, got shape {y.shape}")
        self.endog = np.ascontiguousarray(y)

    def fit(self, cov_type="nonrobust", maxiter=100, tol=1e-10, method="newton", disp=False):
        """Maximum likelihood by Newton's method; ``cov_type`` "nonrobust", "HC0" or "HC1"."""
        if method != "newton":
            raise ValueError(f"method = {method!r}: axon fits by Newton's method ('newton')")
        raw = _axon.fit_binary_mle(
            self.exog, self.endog, self.exog_names, link=self._link, cov_type=cov_type,
            max_iter=int(maxiter), tol=float(tol),
        )
        return BinaryResults(self, raw)


class Logit(_BinaryModel):
    """statsmodels' ``Logit(endog, exog)``: ``P(y = 1) = 1 / (1 + exp(-X b))``."""

    _link = "logit"


class Probit(_BinaryModel):
    """statsmodels' ``Probit(endog, exog)``: ``P(y = 1) = Phi(X b)``."""

    _link = "probit"


class MNLogitResults:
    """The results of ``MNLogit(...).fit()``: ``params`` etc. are ``(p, K - 1)``, one column per
    class after the reference (the first sorted class)."""

    def __init__(self, model, raw):
        self.model = model
        self._raw = raw
        p, k1 = len(model.exog_names), len(model.classes) - 1
        for key in ("params", "bse", "tvalues", "pvalues"):
            setattr(self, key, self._table(np.asarray(raw[key]).reshape(k1, p).T))
        for key in ("llf", "llnull", "llr", "llr_pvalue", "prsquared", "aic", "bic", "nobs",
                    "df_model", "df_resid"):
            setattr(self, key, raw[key])
        self.converged = raw["converged"]

    def _table(self, a):
        if not self.model._pandas:
            return a
        import pandas as pd

        return pd.DataFrame(a, index=self.model.exog_names, columns=list(self.model.classes[1:]))

    def conf_int(self):
        """``((K - 1) p, 2)`` 95% intervals, class by class."""
        return self._raw["conf_int"]

    def cov_params(self):
        return self._raw.get("cov_params")

    def summary(self):
        return _Summary(self._raw["summary"])


class MNLogit:
    """statsmodels' ``MNLogit(endog, exog)``: the multinomial logit, the first sorted class the
    reference."""

    def __init__(self, endog, exog):
        self.exog, self.exog_names, self._pandas = _exog(exog)
        labels = np.asarray(endog)
        if labels.ndim != 1:
            raise ValueError(f"endog must be 1-D, got shape {labels.shape}")
        self.classes, index = np.unique(labels, return_inverse=True)
        self.endog = index.astype(np.int64)

    def fit(self, maxiter=100, tol=1e-10, method="newton", disp=False, cov_type="nonrobust"):
        if method != "newton":
            raise ValueError(f"method = {method!r}: axon fits by Newton's method ('newton')")
        if cov_type != "nonrobust":
            raise ValueError("MNLogit takes cov_type='nonrobust' only")
        raw = _axon.fit_mnlogit(
            self.exog, self.endog, self.exog_names, [str(c) for c in self.classes],
            max_iter=int(maxiter), tol=float(tol),
        )
        return MNLogitResults(self, raw)
