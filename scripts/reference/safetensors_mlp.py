#!/usr/bin/env python3
"""Reference parameter file for the `safetensors` test (`crates/axon/tests/safetensors.rs`).

Draws the parameters of a small Linear-ReLU-Linear MLP (4 -> 5 -> 3) in float32 with a seeded
numpy generator (weights as PyTorch stores them, (out, in)), and writes them with the Python
`safetensors` package (`safetensors.numpy.save_file`) under the names of a PyTorch state_dict of a
module holding `self.layers = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))`:
`layers.0.weight`, `layers.0.bias`, `layers.2.weight`, `layers.2.bias`. It then computes the
network's output for six inputs with numpy in float64 from the same float32 values,
`y = relu(x W0^T + b0) W2^T + b2`, and stores the inputs and outputs, with the tool versions, in
`crates/axon/tests/fixtures/safetensors_mlp.json`.

Run from anywhere (needs `pip install numpy safetensors`):

    python3 scripts/reference/safetensors_mlp.py

The output is deterministic; rerun it only when the network changes.
"""

import json
import platform
from pathlib import Path

import numpy as np
import safetensors
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "crates" / "axon" / "tests" / "fixtures"
WEIGHTS = FIXTURES / "safetensors_mlp.safetensors"
OUT = FIXTURES / "safetensors_mlp.json"


def main():
    rng = np.random.default_rng(20261123)
    sizes = [(4, 5), (5, 3)]
    tensors = {}
    for index, (n_in, n_out) in zip([0, 2], sizes):
        bound = 1.0 / np.sqrt(n_in)
        tensors[f"layers.{index}.weight"] = rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)
        tensors[f"layers.{index}.bias"] = rng.uniform(-bound, bound, (n_out,)).astype(np.float32)
    save_file(tensors, str(WEIGHTS), metadata={"format": "pt"})

    x = rng.uniform(-2.0, 2.0, (6, 4)).astype(np.float32)
    f64 = {k: v.astype(np.float64) for k, v in tensors.items()}
    hidden = np.maximum(x.astype(np.float64) @ f64["layers.0.weight"].T + f64["layers.0.bias"], 0.0)
    y = hidden @ f64["layers.2.weight"].T + f64["layers.2.bias"]
    OUT.write_text(
        json.dumps(
            {
                "tool": "safetensors",
                "tool_version": safetensors.__version__,
                "numpy_version": np.__version__,
                "python_version": platform.python_version(),
                "weights_file": WEIGHTS.name,
                "names": list(tensors),
                "x": x.astype(np.float64).tolist(),
                "y": y.tolist(),
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {WEIGHTS} and {OUT}")


if __name__ == "__main__":
    main()
