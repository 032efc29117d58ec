#!/usr/bin/env python3
"""Times axon against PyTorch on the CPU with the same networks, batch size, optimizer and thread
count, and prints a table: seconds per training epoch on Fashion-MNIST for the MLP 784-256-128-10
(ReLU) and the small CNN (`axon train --model cnn`: two conv 3x3 + ReLU + max-pool blocks of 32
and 64 channels, a dense layer of 128), both with Adam lr 1e-3 and batch 64 on 54 000 training
rows; and the time of one SGD step of a tiny 4-16-16-3 MLP at batch size 1 (per-op overhead).
Each measurement runs in its own process; the peak memory is that process's peak resident set.

    python3 scripts/bench_nn.py [--torch-python /path/to/venv/bin/python] [--data DIR]
                                [--threads 2] [--epochs-mlp 3] [--epochs-cnn 1] [--only mlp,cnn,step]

The axon side is `target/release/axon train ... --out` (per-epoch seconds from the run record,
which time the training steps only, as the PyTorch side does) and the example `bench_nn_step`,
both built first. The PyTorch side is `scripts/bench_nn_torch.py` under `--torch-python` (torch
is a large install: put it in a venv outside the repository). RAYON_NUM_THREADS and
torch.set_num_threads pin both to `--threads`. Per-epoch figures are the median over the epochs.
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
# Where cargo puts the binaries it builds: CARGO_TARGET_DIR when set, as cargo itself reads it.
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def peak_of(cmd: list[str], env: dict) -> tuple[str, float]:
    """Runs `cmd` and measures its peak memory with os.wait4."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed with status {status}")
    return out, usage.ru_maxrss / 1024.0


def axon_epoch(model: str, args, env: dict) -> dict:
    spec = {"mlp": "mlp:256,128", "cnn": "cnn"}[model]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{model}.axon"
        cmd = [str(TARGET / "release" / "axon"), "train", "--data", str(args.data)]
        cmd += ["--model", spec, "--epochs", str(getattr(args, f"epochs_{model}"))]
        cmd += ["--batch-size", "64", "--optimizer", "adam", "--lr", "0.001", "--seed", "0"]
        cmd += ["--out", str(out), "--json", "--quiet"]
        stdout, peak = peak_of(cmd, env)
        summary = json.loads(stdout)
        record = json.loads(Path(f"{out}.run.json").read_text())
    seconds = [e["seconds"] for e in record["epochs"]]
    return {"seconds": seconds, "test_accuracy": summary["test_accuracy"], "peak_rss_mb": peak,
            "n_train": summary["n_train"]}


def torch_epoch(model: str, args, env: dict) -> dict:
    cmd = [args.torch_python, str(ROOT / "scripts" / "bench_nn_torch.py"), "epoch"]
    cmd += ["--model", model, "--data", str(args.data), "--threads", str(args.threads)]
    cmd += ["--epochs", str(getattr(args, f"epochs_{model}")), "--batch-size", "64"]
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


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--torch-python", default=os.environ.get("AXON_TORCH_PYTHON", "python3"))
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs-mlp", type=int, default=3)
    p.add_argument("--epochs-cnn", type=int, default=1)
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--only", default="mlp,cnn,step")
    args = p.parse_args()
    only = set(args.only.split(","))
    # Two commands: a target flag (`--example`) would limit one build to that target alone.
    for build in (["-p", "axon-cli"], ["-p", "axon", "--example", "bench_nn_step"]):
        subprocess.run(["cargo", "build", "--release", "-q", *build], cwd=ROOT, check=True)
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))

    rows = []
    for model in ["mlp", "cnn"]:
        if model not in only:
            continue
        a, t = axon_epoch(model, args, env), torch_epoch(model, args, env)
        am, tm = statistics.median(a["seconds"]), statistics.median(t["seconds"])
        rows.append((f"{model} s/epoch ({a['n_train']} rows)", am, tm, a["peak_rss_mb"],
                     t["peak_rss_mb"], f"acc {a['test_accuracy']:.4f} / {t['test_accuracy']:.4f}"))
    if "step" in only:
        a, t = axon_step(args, env), torch_step(args, env)
        rows.append(("tiny MLP step, batch 1 (us)", a["micros"], t["micros"], a["peak_rss_mb"],
                     t["peak_rss_mb"], ""))

    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"threads {args.threads}; PyTorch through {args.torch_python}; load average {load}")
    print("| measure | axon | PyTorch | PyTorch / axon | axon peak MB | PyTorch peak MB | note |")
    print("|---|---|---|---|---|---|---|")
    for name, a, t, pa, pt, note in rows:
        print(f"| {name} | {a:.4g} | {t:.4g} | {t / a:.2f}x | {pa:.0f} | {pt:.0f} | {note} |")


if __name__ == "__main__":
    main()
