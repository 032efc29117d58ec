#!/usr/bin/env python3
"""A state dict written by PyTorch itself, and PyTorch's outputs, for the test
`crates/axon/tests/torch_state_dict.rs`.

Builds, with `torch.manual_seed(20261123)`, a small CNN that uses every layer kind with a state
dict entry that axon reads:

    nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),             # 0
        nn.BatchNorm2d(4),                         # 1  (running_mean, running_var, num_batches_tracked)
        nn.ReLU(),                                 # 2
        nn.MaxPool2d(2),                           # 3
        nn.Conv2d(4, 6, 3, stride=2, dilation=2, padding=2),  # 4
        nn.Tanh(),                                 # 5
        nn.AvgPool2d(2),                           # 6
        nn.Flatten(),                              # 7
        nn.Linear(6, 8),                           # 8
        nn.BatchNorm1d(8),                         # 9
        nn.GELU(),                                 # 10
        nn.LayerNorm(8),                           # 11
        nn.Linear(8, 3),                           # 12
    )

on 12x12 inputs with 2 channels. It takes five Adam steps on random data in training mode (so
the weights are no longer their initial values and the batch-norm running statistics and
`num_batches_tracked` are not their defaults), switches to evaluation mode, and writes

- `crates/axon/tests/fixtures/torch_cnn.safetensors`: `safetensors.torch.save_file` of
  `model.state_dict()` as PyTorch gives it (float32, with the int64 `num_batches_tracked`);
- `crates/axon/tests/fixtures/torch_cnn.json`: five inputs `(5, 2, 12, 12)` and PyTorch's
  float32 outputs `(5, 3)` in evaluation mode, plus the outputs of the same network converted to
  float64 (`model.double()`), with the tool versions.

Run with a Python that has torch and safetensors (a venv outside the repository):

    /path/to/venv/bin/python scripts/reference/torch_state_dict.py

Regenerating. The biases of the two layers that feed a batch norm (`0.bias` before
`BatchNorm2d`, `8.bias` before `BatchNorm1d`) are not trained: they keep their seeded initial
values. Their true gradient is exactly zero (a batch norm subtracts the batch mean, which
removes any constant added before it), so the gradient computed for them is float32 rounding
noise, about 1e-9, whose sign depends on the CPU kernels (AVX2 or AVX-512, oneDNN's and MKL's
choices). Adam divides each gradient by its own running scale, so it turns that noise into full
steps of about `lr` = 0.05 in a sign no machine agrees on: an earlier version of this script,
which trained them, gave biases up to 68% apart and outputs 0.28 apart when rerun on another
machine (and 32% apart on one machine with `ONEDNN_MAX_CPU_ISA=AVX2
MKL_ENABLE_INSTRUCTIONS=AVX2`). Every other tensor has a gradient well above rounding and
agrees between such runs to 1e-5 relative (7e-6 for the weights, 6e-6 for the outputs between
the AVX2 and AVX-512 runs above). Bit-for-bit equality across machines is not to be had from
float32 kernels, so a rerun elsewhere rewrites the files with differences of that size; the
test compares axon with PyTorch's outputs for the weights in the same files, so it holds for
any rerun. On one machine (torch 2.15.0 on CPU, one thread) a rerun writes the same bytes.
"""

import json
import platform
from pathlib import Path

import safetensors
import torch
from safetensors.torch import save_file
from torch import nn

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "crates" / "axon" / "tests" / "fixtures"
WEIGHTS = FIXTURES / "torch_cnn.safetensors"
OUT = FIXTURES / "torch_cnn.json"


def network() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, stride=2, dilation=2, padding=2),
        nn.Tanh(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(6, 8),
        nn.BatchNorm1d(8),
        nn.GELU(),
        nn.LayerNorm(8),
        nn.Linear(8, 3),
    )


def main() -> None:
    torch.manual_seed(20261123)
    torch.set_num_threads(1)
    model = network()
    # The biases before a batch norm have no gradient but rounding noise: not trained (see the
    # module docstring), so that the file does not depend on the machine's float32 kernels.
    frozen = {"0.bias", "8.bias"}
    trained = [p for name, p in model.named_parameters() if name not in frozen]
    opt = torch.optim.Adam(trained, lr=0.05)
    model.train()
    for _ in range(5):
        x = torch.randn(16, 2, 12, 12)
        y = torch.randint(0, 3, (16,))
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(WEIGHTS), metadata={"format": "pt"})

    x = torch.randn(5, 2, 12, 12)
    with torch.no_grad():
        y32 = model(x)
        y64 = model.double()(x.double())
    OUT.write_text(
        json.dumps(
            {
                "tool": "torch",
                "tool_version": torch.__version__,
                "safetensors_version": safetensors.__version__,
                "python_version": platform.python_version(),
                "weights_file": WEIGHTS.name,
                "names": list(state),
                "x_shape": list(x.shape),
                "x": x.flatten().tolist(),
                "y_f32": y32.tolist(),
                "y_f64": y64.tolist(),
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {WEIGHTS} and {OUT}")


if __name__ == "__main__":
    main()
