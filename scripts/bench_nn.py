#!/usr/bin/env python3
"""Times axon against PyTorch on the CPU with the same networks, batch size, optimizer and thread
count, and prints a table against the machine's FLOP limit: seconds per training epoch on
Fashion-MNIST (54 000 training rows) for

- `mlp-sgd`: the MLP 784-256-128-10 (ReLU), SGD lr 0.01 momentum 0.9, batch 128;
- `mlp`: the same MLP with Adam lr 1e-3, batch 64;
- `cnn`: the small CNN (`axon train --model cnn`: two conv 3x3 + ReLU + max-pool blocks of 32
  and 64 channels, a dense layer of 128), Adam lr 1e-3, batch 64;

and `step`, the time of one SGD step of a tiny 4-16-16-3 MLP at batch size 1 (per-op overhead).
Each measurement runs in its own process; the peak memory is that process's peak resident set.

    python3 scripts/bench_nn.py [--torch-python /path/to/venv/bin/python] [--data DIR]
                                [--threads 2] [--epochs-mlp 3] [--epochs-cnn 1]
                                [--only mlp-sgd,mlp,cnn,step]

"FLOPs per epoch" counts the multiply-adds (2 FLOPs each) of the matrix products and
convolutions a training epoch needs: the forward pass, the weight gradients and the input
gradients of every layer but the first (whose input, the data, takes no gradient); elementwise
work is not counted. "at peak" is that count over the peak rate, measured in the same run by the
example `bench_matmul_peak` (the best of five 2048 x 2048 f32 products through `Tensor::matmul` on
`--threads` threads), and "share of peak" is "at peak" over axon's epoch. PyTorch's rate on the
same product is printed beside it.

The axon side is `axon train ... --out` (per-epoch seconds from the run record, which time the
training steps only, as the PyTorch side does) and the examples `bench_nn_step` and
`bench_matmul_peak`, all built first (in `$CARGO_TARGET_DIR`, default `target/`). The PyTorch side
is `scripts/bench_nn_torch.py` under `--torch-python` (torch is a large install: put it in a venv
outside the repository); its batches are slices of one in-memory tensor, not a DataLoader.
RAYON_NUM_THREADS and torch.set_num_threads pin both to `--threads`. Per-epoch figures are the
median over the epochs.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "fashion-mnist"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))

# Each epoch workload: the axon model spec, the torch model, the optimizer flags, the batch size,
# and the layers' (multiply-adds per sample, whether the input gradient is computed).
MLP_LAYERS = [(784 * 256, False), (256 * 128, True), (128 * 10, True)]
CNN_LAYERS = [
    (28 * 28 * 32 * 1 * 9, False),  # conv 1->32, 3x3, 28x28 output
    (14 * 14 * 64 * 32 * 9, True),  # conv 32->64, 3x3, 14x14 output
    (64 * 7 * 7 * 128, True),  # dense 3136->128
    (128 * 10, True),  # dense 128->10
]
WORKLOADS = {
    "mlp-sgd": ("mlp:256,128", "mlp", ["sgd", 0.01, 0.9], 128, MLP_LAYERS),
    "mlp": ("mlp:256,128", "mlp", ["adam", 0.001, 0.0], 64, MLP_LAYERS),
    "cnn": ("cnn", "cnn", ["adam", 0.001, 0.0], 64, CNN_LAYERS),
}


def flops_per_sample(layers: list[tuple[int, bool]]) -> float:
    """Forward, weight gradient and (where wanted) input gradient: 2 FLOPs per multiply-add."""
    return sum(2.0 * macs * (3 if input_grad else 2) for macs, input_grad in layers)


def peak_of(cmd: list[str], env: dict) -> tuple[str, float]:
    """Runs `cmd` and measures its peak memory with os.wait4."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed with status {status}")
    return out, usage.ru_maxrss / 1024.0


def epochs_of(name: str, args) -> int:
    return args.epochs_cnn if name == "cnn" else args.epochs_mlp


def axon_epoch(name: str, args, env: dict) -> dict:
    spec, _, (optimizer, lr, momentum), batch, _ = WORKLOADS[name]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model.axon"
        cmd = [str(TARGET / "release" / "axon"), "train", "--data", str(args.data)]
        cmd += ["--model", spec, "--epochs", str(epochs_of(name, args))]
        cmd += ["--batch-size", str(batch), "--optimizer", optimizer, "--lr", str(lr)]
        if momentum:
            cmd += ["--momentum", str(momentum)]
        cmd += ["--seed", "0", "--out", str(out), "--json", "--quiet"]
        stdout, peak = peak_of(cmd, env)
        summary = json.loads(stdout)
        record = json.loads(Path(f"{out}.run.json").read_text())
    seconds = [e["seconds"] for e in record["epochs"]]
    return {"seconds": seconds, "test_accuracy": summary["test_accuracy"], "peak_rss_mb": peak,
            "n_train": summary["n_train"]}


def torch_epoch(name: str, args, env: dict) -> dict:
    _, model, (optimizer, lr, momentum), batch, _ = WORKLOADS[name]
    cmd = [args.torch_python, str(ROOT / "scripts" / "bench_nn_torch.py"), "epoch"]
    cmd += ["--model", model, "--data", str(args.data), "--threads", str(args.threads)]
    cmd += ["--epochs", str(epochs_of(name, args)), "--batch-size", str(batch)]
    cmd += ["--optimizer", optimizer, "--lr", str(lr), "--momentum", str(momentum)]
    stdout, peak = peak_of(cmd, env)
    r = json.loads(stdout)
    return {"seconds": r["epoch_seconds"], "test_accuracy": r["test_accuracy"], "peak_rss_mb": peak,
            "n_train": r["n_train"], "version": r["version"]}


def axon_step(args, env: dict) -> dict:
    cmd = [str(TARGET / "release" / "examples" / "bench_nn_step"), str(args.steps)]
    stdout, peak = peak_of(cmd, env)
    return {"micros": json.loads(stdout)["step_microseconds"], "peak_rss_mb": peak}


def torch_step(args, env: dict) -> dict:
    cmd = [args.torch_python, str(ROOT / "scripts" / "bench_nn_torch.py"), "step"]
    cmd += ["--steps", str(args.steps), "--threads", str(args.threads)]
    stdout, peak = peak_of(cmd, env)
    return {"micros": json.loads(stdout)["step_microseconds"], "peak_rss_mb": peak}


def peak_gflops(args, env: dict) -> tuple[float, float]:
    """axon's and PyTorch's best rate on a 2048 x 2048 f32 product."""
    out, _ = peak_of([str(TARGET / "release" / "examples" / "bench_matmul_peak")], env)
    cmd = [args.torch_python, str(ROOT / "scripts" / "bench_nn_torch.py"), "matmul"]
    cmd += ["--threads", str(args.threads)]
    torch_out, _ = peak_of(cmd, env)
    return json.loads(out)["gflops"], json.loads(torch_out)["gflops"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--torch-python", default=os.environ.get("AXON_TORCH_PYTHON", "python3"))
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs-mlp", type=int, default=3)
    p.add_argument("--epochs-cnn", type=int, default=1)
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--only", default="mlp-sgd,mlp,cnn,step")
    args = p.parse_args()
    only = set(args.only.split(","))
    # Separate commands: a target flag (`--example`) would limit one build to that target alone.
    builds = [["-p", "axon-cli"], ["-p", "axon", "--example", "bench_nn_step"]]
    builds.append(["-p", "axon", "--example", "bench_matmul_peak"])
    for build in builds:
        subprocess.run(["cargo", "build", "--release", "-q", *build], cwd=ROOT, check=True)
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))

    peak, torch_peak = peak_gflops(args, env)
    rows = []
    for name, (_, _, (optimizer, _, momentum), batch, layers) in WORKLOADS.items():
        if name not in only:
            continue
        a, t = axon_epoch(name, args, env), torch_epoch(name, args, env)
        am, tm = statistics.median(a["seconds"]), statistics.median(t["seconds"])
        flops = flops_per_sample(layers) * a["n_train"]
        at_peak = flops / (peak * 1e9)
        opt = f"SGD m{momentum:g}" if optimizer == "sgd" else "Adam"
        rows.append((f"{name}, {opt}, batch {batch}, s/epoch ({a['n_train']} rows)", am, tm,
                     f"{flops / 1e9:.1f} GFLOP", f"{at_peak:.3g} s", f"{100 * at_peak / am:.0f}%",
                     a["peak_rss_mb"], t["peak_rss_mb"],
                     f"acc {a['test_accuracy']:.4f} / {t['test_accuracy']:.4f}"))
    if "step" in only:
        a, t = axon_step(args, env), torch_step(args, env)
        rows.append(("tiny 4-16-16-3 step, batch 1 (us)", a["micros"], t["micros"], "-", "-", "-",
                     a["peak_rss_mb"], t["peak_rss_mb"], ""))

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"threads {args.threads}; PyTorch through {args.torch_python}; load average {load}")
    print(f"peak (axon matmul 2048^3 f32): {peak:.1f} GFLOP/s; PyTorch on it: {torch_peak:.1f}")
    print("| workload | axon | PyTorch | PyTorch / axon | FLOPs per epoch | at peak "
          "| axon's share of peak | axon peak MB | PyTorch peak MB | note |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, a, t, flops, at_peak, share, pa, pt, note in rows:
        print(f"| {name} | {a:.4g} | {t:.4g} | {t / a:.2f}x | {flops} | {at_peak} | {share} "
              f"| {pa:.0f} | {pt:.0f} | {note} |")


if __name__ == "__main__":
    main()
