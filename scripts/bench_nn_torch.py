#!/usr/bin/env python3
"""The PyTorch side of `scripts/bench_nn.py`: one measurement per process, printed as one JSON
line, so that its peak memory is its own. Run with a Python that has torch (CPU use; a venv
outside the repository).

    bench_nn_torch.py epoch --model mlp|cnn --data DIR --epochs E --batch-size 64 --threads 2
    bench_nn_torch.py step --steps 20000 --threads 2
    bench_nn_torch.py matmul --n 2048 --threads 2

`epoch` trains the same network as `axon train --model mlp:256,128` or `--model cnn` (PyTorch's
default initialisation, cross-entropy; Adam lr 1e-3 or `--optimizer sgd --momentum M --lr LR`,
batch `--batch-size`) on the first 54 000 rows of the
Fashion-MNIST training file, the size of axon's training split with its default 10% validation
hold-out, in a seeded shuffled order. Batches are slices of one in-memory tensor (no DataLoader
workers), PyTorch's fastest loop on a CPU. It reports the seconds of each epoch's training steps
and the test accuracy after the last epoch.

`step` times one SGD training step (forward, cross-entropy, backward, update) of a tiny
4-16-16-3 ReLU MLP at batch size 1: the per-operation overhead.

`matmul` reports PyTorch's best GFLOP/s on an `n × n` `f32` product, beside axon's peak.
"""

import argparse
import gzip
import json
import resource
import struct
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

N_TRAIN = 54_000


def read_idx(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4 : 4 + 4 * dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data: Path, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    x = read_idx(data / f"{name}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = read_idx(data / f"{name}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def network(model: str) -> nn.Module:
    if model == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 256),
            nn.ReLU(),
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def epoch(args: argparse.Namespace) -> dict:
    torch.manual_seed(0)
    x, y = load(args.data, "train")
    x, y = x[:N_TRAIN].contiguous(), y[:N_TRAIN].contiguous()
    x_test, y_test = load(args.data, "t10k")
    net = network(args.model)
    if args.optimizer == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    seconds = []
    for _ in range(args.epochs):
        net.train()
        order = torch.randperm(len(y))
        started = time.perf_counter()
        for i in range(0, len(y), args.batch_size):
            idx = order[i : i + args.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - started)
    net.eval()
    with torch.no_grad():
        hits = sum(
            (net(x_test[i : i + 1000]).argmax(1) == y_test[i : i + 1000]).sum().item()
            for i in range(0, len(y_test), 1000)
        )
    return {
        "epoch_seconds": seconds,
        "test_accuracy": hits / len(y_test),
        "n_train": len(y),
    }


def step(args: argparse.Namespace) -> dict:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.randn(1, 4), torch.tensor([1])

    def one() -> None:
        opt.zero_grad(set_to_none=True)
        loss_fn(net(x), y).backward()
        opt.step()

    for _ in range(1000):
        one()
    started = time.perf_counter()
    for _ in range(args.steps):
        one()
    return {"step_microseconds": 1e6 * (time.perf_counter() - started) / args.steps}


def matmul(args: argparse.Namespace) -> dict:
    torch.manual_seed(0)
    a, b = torch.randn(args.n, args.n), torch.randn(args.n, args.n)
    a @ b
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - started)
    return {"gflops": 2 * args.n**3 / best / 1e9}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["epoch", "step", "matmul"])
    p.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    p.add_argument("--data", type=Path)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--momentum", type=float, default=0.0)
    p.add_argument("--n", type=int, default=2048)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    result = {"epoch": epoch, "step": step, "matmul": matmul}[args.what](args)
    result.update(
        tool="torch",
        version=torch.__version__,
        threads=torch.get_num_threads(),
        peak_rss_mb=peak_rss_mb(),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
