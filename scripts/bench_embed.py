#!/usr/bin/env python3
"""Sentence embeddings per second: `axon embed` against sentence-transformers (PyTorch on the
CPU), both on 2 threads, on the same texts with all-MiniLM-L6-v2 (fetched by
`scripts/fetch_models.sh`).

The texts: 2 000 sentences (the issue's figure: the 50 sentences of
crates/axon/tests/fixtures/minilm_50.json and the subject lines of the first 1 950 e-mails of
../shared/data/spam/spam_assassin.csv.gz, or of data/spam_sample.csv.gz's 300 repeated where
that file is missing), and the first N (default 300) whole e-mails (column `text`, headers
and body; the model keeps the first 256 tokens of each, so most batches are full length). The best of --repeat timed runs counts (PyTorch
after a warm-up on 16 texts; axon runs as a new process each time); axon's time is the encode time it reports (model loading
and file writing excluded, as for PyTorch). The table also gives the largest difference
between the two tools' embeddings, and each tool's peak resident memory is in its own line.

    cargo build --release -p axon-cli
    ~/torch-venv/bin/python scripts/bench_embed.py [--n 300] [--batch-size 32] [--repeat 2]
"""

import argparse
import csv
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
THREADS = "2"


def subject(email):
    """The subject line of an e-mail (its first line if it has none)."""
    for line in email.splitlines():
        if line.startswith("Subject:"):
            return line[len("Subject:"):].strip() or "(no subject)"
    return email.splitlines()[0] if email.strip() else "(empty)"


def texts_of(n):
    csv.field_size_limit(1 << 30)
    def read(path, count):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return [row["text"] for _, row in zip(range(count), csv.DictReader(f))]

    emails = read(ROOT / "data/spam_sample.csv.gz", n)
    full = ROOT.parent / "shared/data/spam/spam_assassin.csv.gz"
    many = read(full, 1950) if full.exists() else emails * (1950 // max(len(emails), 1) + 1)
    fixture = json.loads((ROOT / "crates/axon/tests/fixtures/minilm_50.json").read_text())
    sentences = fixture["sentences"] + [subject(e) for e in many[:1950]]
    return {f"{len(sentences)} sentences": sentences, f"{n} spam e-mails": emails[:n]}


def axon_run(binary, model, texts, batch, repeat, tmp):
    data = Path(tmp) / "texts.csv"
    with open(data, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        # An id column: a lone column's empty fields would read as blank lines.
        w.writerow(["id", "text"])
        w.writerows([i, t] for i, t in enumerate(texts))
    out = Path(tmp) / "emb.safetensors"
    env = dict(os.environ, RAYON_NUM_THREADS=THREADS)
    cmd = [binary, "embed", "--model", model, "--data", data, "--text", "text",
           "--batch-size", str(batch), "--out", out]
    best, peak = float("inf"), 0
    for _ in range(repeat):
        run = subprocess.run(
            ["/usr/bin/time", "-f", "maxrss=%M"] + [str(c) for c in cmd],
            env=env, capture_output=True, text=True, check=True,
        )
        seconds = float(re.search(r"in ([0-9.]+) s", run.stderr).group(1))
        peak = max(peak, int(re.search(r"maxrss=(\d+)", run.stderr).group(1)))
        best = min(best, seconds)
    from safetensors.numpy import load_file

    return best, load_file(out)["embeddings"], peak / 1024


def torch_run(model, texts, batch, repeat):
    import torch

    torch.set_num_threads(int(THREADS))
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(model, device="cpu")
    st.encode(texts[:16], batch_size=batch)  # warm-up
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        emb = st.encode(texts, batch_size=batch, convert_to_numpy=True)
        best = min(best, time.perf_counter() - start)
    return best, emb


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    home = Path(os.environ.get("AXON_HOME", Path.home() / ".cache/axon"))
    p.add_argument("--model", default=str(home / "models/all-MiniLM-L6-v2"))
    p.add_argument("--axon", default=str(ROOT / "target/release/axon"))
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR")
    if target and args.axon == str(ROOT / "target/release/axon"):
        args.axon = str(Path(target) / "release/axon")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, texts in texts_of(args.n).items():
            a_s, a_emb, a_mem = axon_run(args.axon, args.model, texts, args.batch_size,
                                         args.repeat, tmp)
            t_s, t_emb = torch_run(args.model, texts, args.batch_size, args.repeat)
            diff = float(np.abs(a_emb - t_emb).max())
            rows.append((name, len(texts) / a_s, len(texts) / t_s, diff, a_mem))
    torch_mem = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"all-MiniLM-L6-v2, batch {args.batch_size}, {THREADS} threads, best of {args.repeat}")
    print(f"| texts | axon texts/s | PyTorch texts/s | axon / PyTorch | max abs diff |")
    print(f"|---|---:|---:|---:|---:|")
    for name, a, t, d, _ in rows:
        print(f"| {name} | {a:.1f} | {t:.1f} | {a / t:.2f}x | {d:.1e} |")
    print(f"peak memory: axon {max(r[4] for r in rows):.0f} MiB (whole process), "
          f"Python + PyTorch {torch_mem:.0f} MiB (whole process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
