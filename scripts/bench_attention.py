#!/usr/bin/env python3
"""Times axon's fused scaled-dot-product attention against PyTorch's
`torch.nn.functional.scaled_dot_product_attention` on the CPU, in the same run, at MiniLM's shapes
(batch 16, 12 heads, head size 32, sequences of 128 and 256, f32, `--threads` threads), forward
alone and forward + backward, and prints a table: the median seconds per call, the FLOPs, the
share of the measured gemm peak, and each side's peak memory above its operands.

    python3 scripts/bench_attention.py [--torch-python ~/torch-venv/bin/python] [--threads 2]
        [--lengths 128,256] [--repeats 10] [--baseline OLD_bench_attention] [--pad 0]

FLOPs count the matrix products only: 4·B·H·L²·D for the forward pass (`Q Kᵀ` and `P V`), 12·B·H·L²·D
for forward + backward (the backward's four products `dV`, `dP`, `dQ`, `dK`; a kernel that
recomputes `P` in the backward pass does one more product than this count). "share of peak" is the
count over the peak rate measured in the same run by the example `bench_matmul_peak` (the best of
five 2048 x 2048 f32 products on `--threads` threads), over the measured time.

Each measurement is its own process (the example `bench_attention`, or this script's `torch`
mode under `--torch-python`): its peak is reset through `/proc/self/clear_refs` once the operands
exist, so "peak extra MB" is the memory the calls themselves took (outputs, kept tensors,
scratch, gradients). One warm-up call, then `--repeats` timed ones. `--baseline` runs another
build of the example (an older kernel) beside the current one and says whether its output and
gradient bits agree; `--pad P` masks the last P·b keys of batch row b (padding at the end) on the
axon side only (no PyTorch column then).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
B, H, D = 16, 12, 32


def rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def torch_side(mode: str, length: int, repeats: int, threads: int) -> None:
    """PyTorch's side of one measurement, printed as one JSON line."""
    import torch

    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    q, k, v, g = (torch.randn(B, H, length, D, generator=gen) for _ in range(4))
    backward = mode == "backward"
    if backward:
        for t in (q, k, v):
            t.requires_grad_(True)
    sdpa = torch.nn.functional.scaled_dot_product_attention

    def call():
        if not backward:
            with torch.no_grad():
                return sdpa(q, k, v)
        for t in (q, k, v):
            t.grad = None
        o = sdpa(q, k, v)
        o.backward(g)
        return o

    Path("/proc/self/clear_refs").write_text("5")
    base = rss_mb("VmRSS")
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({"seconds": times[len(times) // 2], "peak_extra_mb": rss_mb("VmHWM") - base,
                      "version": torch.__version__}))


def run_json(cmd: list[str], env: dict) -> dict:
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", nargs="?", help=argparse.SUPPRESS)  # `torch`: one PyTorch measurement
    p.add_argument("--torch-python", default=os.environ.get("AXON_TORCH_PYTHON", "python3"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lengths", default="128,256")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--baseline", help="another build of the example bench_attention")
    p.add_argument("--pad", type=int, default=0)
    p.add_argument("--which", default="forward", help=argparse.SUPPRESS)
    p.add_argument("--length", type=int, default=128, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.mode == "torch":
        return torch_side(args.which, args.length, args.repeats, args.threads)
    for example in ["bench_attention", "bench_matmul_peak"]:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "axon", "--example", example],
                       cwd=ROOT, check=True)
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    peak = run_json([str(TARGET / "release/examples/bench_matmul_peak")], env)["gflops"]
    binary = str(TARGET / "release/examples/bench_attention")
    rows, version = [], "-"
    for length in map(int, args.lengths.split(",")):
        for mode, per in [("forward", 4), ("backward", 12)]:
            shape = [str(x) for x in (B, H, length, D, args.repeats, args.pad)]
            a = run_json([binary, mode, *shape], env)
            base = run_json([args.baseline, mode, *shape], env) if args.baseline else None
            t = None
            if not args.pad:
                t = run_json([args.torch_python, __file__, "torch", "--which", mode, "--length",
                              str(length), "--repeats", str(args.repeats), "--threads",
                              str(args.threads)], env)
                version = t["version"]
            flops = per * B * H * length * length * D
            rows.append((length, "forward" if mode == "forward" else "forward + backward", flops,
                         a, base, t))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"attention B={B} H={H} D={D} f32, threads {args.threads}, pad {args.pad}; "
          f"PyTorch {version}; load average {load}")
    print(f"peak (axon matmul 2048^3 f32): {peak:.1f} GFLOP/s")
    head = "| L | pass | GFLOP | axon ms | share of peak | PyTorch ms | PyTorch / axon |"
    head += " axon peak extra MB | PyTorch peak extra MB |"
    rule = "|---|---|---|---|---|---|---|---|---|"
    if args.baseline:
        head += " baseline ms | baseline / axon | baseline peak extra MB | same bits |"
        rule += "---|---|---|---|"
    print(head)
    print(rule)
    for length, name, flops, a, base, t in rows:
        share = flops / (peak * 1e9) / a["seconds"]
        tms = f"{1e3 * t['seconds']:.2f}" if t else "-"
        ratio = f"{t['seconds'] / a['seconds']:.2f}x" if t else "-"
        tmem = f"{t['peak_extra_mb']:.0f}" if t else "-"
        line = (f"| {length} | {name} | {flops / 1e9:.2f} | {1e3 * a['seconds']:.2f} "
                f"| {100 * share:.0f}% | {tms} | {ratio} | {a['peak_extra_mb']:.0f} | {tmem} |")
        if base:
            same = all(base[h] == a[h] for h in ("output_hash", "grads_hash"))
            line += (f" {1e3 * base['seconds']:.2f} | {base['seconds'] / a['seconds']:.2f}x "
                     f"| {base['peak_extra_mb']:.0f} | {'yes' if same else 'NO'} |")
        print(line)


if __name__ == "__main__":
    main()
