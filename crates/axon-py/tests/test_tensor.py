"""axon.Tensor: NumPy in and out, the ops, and the lectures' gradient-descent loop, whose
gradient is checked against the closed form and whose result is the logit's MLE."""

import numpy as np
import pytest

import axon
from conftest import lbw_design


def test_numpy_round_trip_and_ops():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = axon.Tensor(a)
    assert t.shape == [2, 3] and t.dtype == "float64" and not t.requires_grad
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal(axon.Tensor(a.T).numpy(), a.T)
    assert axon.Tensor(a.astype(np.float32)).dtype == "float32"
    np.testing.assert_allclose((t * 2 + 1).numpy(), a * 2 + 1)
    np.testing.assert_allclose((1 - t).numpy(), 1 - a)
    np.testing.assert_allclose((2 / (t + 1)).numpy(), 2 / (a + 1))
    np.testing.assert_allclose((t @ t.T).numpy(), a @ a.T)
    np.testing.assert_allclose(t.sum().item(), a.sum())
    np.testing.assert_allclose(t.mean(axis=[0]).numpy(), a.mean(axis=0))
    np.testing.assert_allclose(t.sum(axis=1, keepdims=True).numpy(), a.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(t.sigmoid().numpy(), 1 / (1 + np.exp(-a)))
    np.testing.assert_allclose(t.softmax(1).numpy().sum(axis=1), 1.0)
    np.testing.assert_allclose((t ** 2).numpy(), a**2)


def test_errors_are_value_errors():
    t = axon.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError):
        t @ t
    with pytest.raises(ValueError):
        t.item()
    with pytest.raises(ValueError):
        axon.Tensor(np.array(["a", "b"]))


def test_gradient_equals_the_closed_form(lbw):
    x = lbw_design(lbw).to_numpy()
    y = lbw["low"].to_numpy(dtype=float)
    w0 = np.linspace(-0.01, 0.01, x.shape[1])
    w = axon.Tensor(w0, requires_grad=True)
    p = (axon.Tensor(x) @ w).sigmoid()
    yt = axon.Tensor(y)
    loss = -(yt * p.log() + (1 - yt) * (1 - p).log()).mean()
    grads = loss.backward()
    assert w in grads
    pn = 1 / (1 + np.exp(-(x @ w0)))
    np.testing.assert_allclose(grads[w].numpy(), x.T @ (pn - y) / len(y), rtol=1e-10, atol=1e-12)
    with pytest.raises(KeyError):
        grads[axon.Tensor(w0)]


def test_gradient_descent_loop_reaches_the_mle(lbw, statsmodels_lbw):
    """The lectures' loop on standardised columns, then back to the original scale."""
    design = lbw_design(lbw)[["const", "age", "lwt", "smoke"]].to_numpy()
    y = lbw["low"].to_numpy(dtype=float)
    mean, sd = design[:, 1:].mean(axis=0), design[:, 1:].std(axis=0)
    z = np.column_stack([np.ones(len(y)), (design[:, 1:] - mean) / sd])
    xt, yt = axon.Tensor(z), axon.Tensor(y)
    w = np.zeros(z.shape[1])
    for _ in range(3000):
        wt = axon.Tensor(w, requires_grad=True)
        p = (xt @ wt).sigmoid()
        loss = -(yt * p.log() + (1 - yt) * (1 - p).log()).mean()
        w = w - 1.0 * loss.backward()[wt].numpy()
    mle = axon.Logit(y, design).fit().params
    slopes = w[1:] / sd
    np.testing.assert_allclose(slopes, mle[1:], rtol=1e-6)
    np.testing.assert_allclose(w[0] - (mean * slopes).sum(), mle[0], rtol=1e-6)
