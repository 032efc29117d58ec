"""``axon.load(path)``: any model file the command line writes, for prediction."""

import numpy as np

from . import _axon


def _is_dataframe(obj):
    return type(obj).__module__.split(".")[0] == "pandas" and hasattr(obj, "columns")


class Model:
    """A model loaded from a file (``axon fit --out``, ``axon train --out``, ...).

    ``predict_proba(data)`` takes a table file's path (read by the model's schema, as ``axon
    predict`` reads it), a pandas DataFrame or a dict of columns (numbers or strings), or a 2-D
    array whose columns are ``features`` in order.
    """

    def __init__(self, saved):
        self._saved = saved

    @property
    def kind(self):
        """``logit``, ``probit``, ``softmax``, ``ovr``, ``nn-classifier``, ..."""
        return self._saved.kind

    @property
    def classes_(self):
        """The class names, in the order of ``predict_proba``'s columns."""
        return np.asarray(self._saved.classes)

    @property
    def features(self):
        """The input columns the model reads."""
        return list(self._saved.features)

    def summary(self):
        """What the file says about the model (``axon summary --json``) as a dict."""
        import json

        return json.loads(self._saved.summary_json())

    def predict_proba(self, data):
        """Class probabilities (n, n_classes)."""
        if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
            return self._saved.proba_file(data)
        if _is_dataframe(data) or isinstance(data, dict):
            names = [str(c) for c in data.keys()]
            columns = []
            for name in data.keys():
                values = np.asarray(data[name])
                if values.dtype.kind in "biuf":
                    columns.append(np.ascontiguousarray(values, dtype=np.float64))
                else:
                    columns.append([str(v) for v in values])
            return self._saved.proba_columns(names, columns)
        x = np.asarray(data)
        if x.dtype.kind in "biu":
            x = x.astype(np.float64)
        if x.ndim == 1:
            x = x[None, :]
        return self._saved.proba_array(x)

    def predict(self, data):
        """The most probable class of every row."""
        return self.classes_[np.argmax(self.predict_proba(data), axis=1)]

    def __repr__(self):
        return f"axon.Model(kind={self.kind!r}, classes={list(self._saved.classes)!r})"


def load(path):
    """Load the model file at ``path``, whatever its kind."""
    return Model(_axon.load(path))
