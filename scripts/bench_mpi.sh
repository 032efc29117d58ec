#!/usr/bin/env bash
# Data-parallel axon over MPI on this machine (docs/distributed.md): the cost of one allreduce
# from 8 B to 8 MB with K = 2 and 4 ranks, fitted by t = alpha + beta * bytes; the exact
# 200 000 x 100 logistic fit (Newton and L-BFGS, the fit alone) with K = 1 and 2 ranks; and one
# epoch of an MLP on Fashion-MNIST (60 000 28x28 images; digits when the folder is missing)
# with K = 1 and 2 ranks and the same global batch. Every rank runs one rayon thread, so K = 2
# uses twice the cores of K = 1 and the speed-up is the scaling efficiency times 2.
#
#   scripts/bench_mpi.sh [FASHION_DIR]     # default /work/shared/data/fashion-mnist
#
# Builds with the feature `mpi` (CARGO_TARGET_DIR is honoured). The machine is shared: run it
# twice and read the spread before trusting a number.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
FASHION=${1:-/work/shared/data/fashion-mnist}
TARGET=${CARGO_TARGET_DIR:-$HERE/target}
# One invocation for the binary and the examples, so that cargo resolves the dependencies'
# features once (building `-p axon` alone would rebuild them with axon's features only).
(cd "$HERE" && cargo build --release -q -p axon-cli -p axon --features axon-cli/mpi,axon/mpi \
  --bin axon --example allreduce_bench --example mpi_fit_bench)
MPI=(mpirun --oversubscribe --allow-run-as-root -x RAYON_NUM_THREADS)
export RAYON_NUM_THREADS=1

echo "== allreduce: K bytes seconds (median of 50)"
: > /tmp/allreduce.txt
for k in 2 4; do
  "${MPI[@]}" -n $k "$TARGET/release/examples/allreduce_bench" | tee -a /tmp/allreduce.txt
done
python3 - /tmp/allreduce.txt <<'PY'
import sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
for k in sorted({r[0] for r in rows}):
    pts = [(b, t) for kk, b, t in rows if kk == k]
    # Least squares on relative errors (weights 1/t^2), so that the microsecond latencies of
    # small messages count as much as the milliseconds of large ones.
    w = [1 / t ** 2 for _, t in pts]
    sw = sum(w); sb = sum(wi * b for wi, (b, _) in zip(w, pts)); st = sum(wi * t for wi, (_, t) in zip(w, pts))
    sbb = sum(wi * b * b for wi, (b, _) in zip(w, pts)); sbt = sum(wi * b * t for wi, (b, t) in zip(w, pts))
    beta = (sw * sbt - sb * st) / (sw * sbb - sb * sb)
    alpha = (st - beta * sb) / sw
    print(f"K = {int(k)}: alpha = {alpha * 1e6:.1f} us, beta = {beta * 1e9:.3f} ns/byte "
          f"({1 / beta / 1e9:.2f} GB/s effective)")
PY

echo "== exact logistic fit, 200 000 x 101 (JSON per run)"
for solver in newton lbfgs; do
  for k in 1 2; do
    "${MPI[@]}" -n $k "$TARGET/release/examples/mpi_fit_bench" 200000 100 $solver
  done
done

echo "== MLP, one epoch, global batch 128"
if [[ -d $FASHION ]]; then
  DATA=$FASHION; MODEL=mlp:256,128
else
  DATA=$HERE/data/digits.csv.gz; MODEL=mlp:128
fi
for k in 1 2; do
  start=$(date +%s.%N)
  "${MPI[@]}" -n $k "$TARGET/release/axon" train --data "$DATA" --model $MODEL --epochs 1 \
    --batch-size 128 --seed 1 --json --quiet > /tmp/mpi_train_$k.json
  end=$(date +%s.%N)
  python3 - "$k" "$start" "$end" /tmp/mpi_train_$k.json <<'PY'
import json, sys
k, start, end, path = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
r = json.load(open(path))
keys = [key for key in ("train_seconds", "test_accuracy", "test_log_loss") if key in r]
print(f"K = {k}: wall {end - start:.1f} s, " + ", ".join(f"{key} {r[key]}" for key in keys))
PY
done

echo "== streaming FTRL (fit --stream), one pass over a generated click log"
# CLICKS: a click CSV of scripts/gen_clicks.py's columns; generated (200 000 rows) when missing.
CLICKS=${CLICKS:-/tmp/bench_mpi_clicks.csv}
if [[ ! -f $CLICKS ]]; then
  # gen_clicks.py needs numpy: PYTHON, else the first of these venvs that exists, else python3.
  PY=${PYTHON:-python3}
  for venv in bench-venv sm-venv; do
    [[ -z ${PYTHON:-} && -x $HOME/$venv/bin/python ]] && { PY=$HOME/$venv/bin/python; break; }
  done
  "$PY" "$HERE/scripts/gen_clicks.py" --rows 200000 --seed 1 --out "$CLICKS"
fi
BINS=I1,I2,I3,I4,I5,I6,I7,I8,I9,I10,I11,I12,I13
SYNC=16384
for k in 1 2; do
  start=$(date +%s.%N)
  "${MPI[@]}" -n $k "$TARGET/release/axon" fit --stream --data "$CLICKS" --target label --hash \
    --log-bin $BINS --cross C1:C2 --sync-every $SYNC --json --out /tmp/mpi_stream_$k.axon \
    > /tmp/mpi_stream_$k.json
  end=$(date +%s.%N)
  python3 - "$k" "$start" "$end" "$SYNC" /tmp/mpi_stream_$k.json <<'PY'
import json, math, sys
k, start, end, sync, path = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
r = json.load(open(path))
rows, wall = r["rows"], end - start
# FTRL merges 7 arrays of 2^18 + 1 doubles and 5 more (ranks.rs); one process never merges.
merges = 0 if k == 1 else rows // k // sync + 1  # about: each rank's own count, then the end
per_merge = 8 * (7 * (2**18 + 1) + 5)
print(f"K = {k}: {rows} rows in {wall:.1f} s wall, {rows / wall:,.0f} rows/s, "
      f"{merges} merges of {per_merge / 1e6:.1f} MB each, progressive log loss "
      f"{r['progressive_log_loss']:.5f}")
PY
done
