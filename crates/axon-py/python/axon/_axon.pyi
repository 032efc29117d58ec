"""Type stubs of the native module ``axon._axon`` (users import ``axon``)."""

from os import PathLike
from typing import Any, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[Union[np.float64, np.float32]]

def fit_logistic(
    x: Floats,
    y: npt.NDArray[np.int64],
    n_classes: int,
    *,
    penalty: str,
    c: float,
    l1_ratio: float,
    solver: str,
    fit_intercept: bool,
    class_weight: str,
    multi_class: str,
    max_iter: int,
    tol: float,
    sample_weight: Optional[npt.NDArray[np.float64]] = None,
    link: str = "logit",
) -> dict[str, Any]: ...
def linear_scores(
    x: Floats, coef: Floats, intercept: npt.NDArray[np.float64], kind: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def fit_logistic_sparse(
    data: npt.NDArray[np.float64],
    indices: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    n_features: int,
    y: npt.NDArray[np.int64],
    n_classes: int,
    *,
    penalty: str,
    c: float,
    l1_ratio: float,
    solver: str,
    fit_intercept: bool,
    class_weight: str,
    multi_class: str,
    max_iter: int,
    tol: float,
    sample_weight: Optional[npt.NDArray[np.float64]] = None,
) -> dict[str, Any]: ...
def linear_scores_sparse(
    data: npt.NDArray[np.float64],
    indices: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    n_features: int,
    coef: Floats,
    intercept: npt.NDArray[np.float64],
    kind: str,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def fit_binary_mle(
    x: Floats,
    y: npt.NDArray[np.float64],
    names: Sequence[str],
    *,
    link: str,
    cov_type: str = "nonrobust",
    max_iter: int = 100,
    tol: float = 1e-10,
) -> dict[str, Any]: ...
def fit_mnlogit(
    x: Floats,
    y: npt.NDArray[np.int64],
    names: Sequence[str],
    classes: Sequence[str],
    *,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> dict[str, Any]: ...
def fit_mlp(
    x: Floats,
    y: npt.NDArray[np.int64],
    classes: Sequence[str],
    *,
    hidden_layer_sizes: Sequence[int],
    activation: str,
    solver: str,
    weight_decay: float,
    batch_size: int,
    learning_rate_init: float,
    max_iter: int,
    early_stopping: bool,
    validation_fraction: float,
    n_iter_no_change: int,
    seed: int,
) -> Network: ...
def load(path: Union[str, PathLike[str]]) -> SavedModel: ...

class Network:
    loss_curve: list[float]
    validation_scores: list[float]
    n_iter: int
    def predict_proba(self, x: Floats) -> npt.NDArray[np.float64]: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(
        data: bytes, loss_curve: list[float], validation_scores: list[float]
    ) -> Network: ...

class SavedModel:
    kind: str
    classes: list[str]
    features: list[str]
    path: str
    def summary_json(self) -> str: ...
    def proba_file(self, path: Union[str, PathLike[str]]) -> npt.NDArray[np.float64]: ...
    def proba_columns(
        self, names: Sequence[str], columns: Sequence[Union[npt.NDArray[np.float64], list[str]]]
    ) -> npt.NDArray[np.float64]: ...
    def proba_array(self, x: Floats) -> npt.NDArray[np.float64]: ...

_Operand = Union["Tensor", float]

class Tensor:
    shape: list[int]
    dtype: str
    requires_grad: bool
    T: Tensor
    def __init__(self, data: Any, requires_grad: bool = False) -> None: ...
    def numpy(self) -> np.ndarray: ...
    def item(self) -> float: ...
    def detach(self) -> Tensor: ...
    def backward(self) -> Gradients: ...
    def __add__(self, other: _Operand) -> Tensor: ...
    def __radd__(self, other: _Operand) -> Tensor: ...
    def __sub__(self, other: _Operand) -> Tensor: ...
    def __rsub__(self, other: _Operand) -> Tensor: ...
    def __mul__(self, other: _Operand) -> Tensor: ...
    def __rmul__(self, other: _Operand) -> Tensor: ...
    def __truediv__(self, other: _Operand) -> Tensor: ...
    def __rtruediv__(self, other: _Operand) -> Tensor: ...
    def __pow__(self, exponent: float) -> Tensor: ...
    def __neg__(self) -> Tensor: ...
    def __matmul__(self, other: Tensor) -> Tensor: ...
    def exp(self) -> Tensor: ...
    def log(self) -> Tensor: ...
    def sqrt(self) -> Tensor: ...
    def abs(self) -> Tensor: ...
    def sigmoid(self) -> Tensor: ...
    def tanh(self) -> Tensor: ...
    def relu(self) -> Tensor: ...
    def sum(self, axis: Union[int, Sequence[int], None] = None, keepdims: bool = False) -> Tensor: ...
    def mean(self, axis: Union[int, Sequence[int], None] = None, keepdims: bool = False) -> Tensor: ...
    def softmax(self, axis: int) -> Tensor: ...
    def log_softmax(self, axis: int) -> Tensor: ...

class Gradients:
    def __getitem__(self, t: Tensor) -> Tensor: ...
    def __contains__(self, t: Tensor) -> bool: ...
    def __len__(self) -> int: ...
