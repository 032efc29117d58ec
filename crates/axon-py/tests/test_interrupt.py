"""Ctrl-C during a long fit: SIGINT sent to the process while the library works without the GIL
must raise KeyboardInterrupt from the call within about a second, and leave the interpreter (and
axon) working."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import axon

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGINT") or os.name == "nt", reason="needs POSIX signals"
)


def _interrupted_after(delay, call):
    """Runs `call` with SIGINT sent to this process after `delay` seconds; the seconds from the
    signal to KeyboardInterrupt (fails when the call returns or raises something else)."""
    sent = []

    def send():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(delay, send)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call()
    finally:
        timer.cancel()
    assert sent, "the call ended before the signal was sent: make it longer"
    return time.monotonic() - sent[0]


def test_ctrl_c_stops_mlp_training():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 20))
    y = rng.integers(0, 3, size=2000)
    clf = axon.MLPClassifier(hidden_layer_sizes=(64, 64), max_iter=1_000_000, random_state=0)
    waited = _interrupted_after(0.3, lambda: clf.fit(x, y))
    assert waited < 2.0, f"KeyboardInterrupt {waited:.2f}s after SIGINT"
    # The interpreter and the package still work.
    small = axon.MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(x, y)
    assert small.predict(x[:3]).shape == (3,)

