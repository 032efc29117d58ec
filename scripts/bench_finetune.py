#!/usr/bin/env python3
"""One fine-tuning step of all-MiniLM-L6-v2 (forward + backward + AdamW) at batch 16 and 128
tokens: `axon train --encoder --fine-tune` against PyTorch + transformers on the CPU, both on 2
threads, in the same run. Optionally (--spam) the test accuracy after one epoch of fine-tuning on
the seeded 80/20 spam split.

The step is the same on both sides: BERT in training mode (dropout 0.1), mean pooling over the
attention mask, a linear head to 2 classes, the mean cross-entropy, backward, clipping to norm
1, AdamW (weight decay 0.01 except biases and layer norms) under a linear warm-up/decay schedule.
The texts are e-mails of data/spam_sample.csv.gz with at least 128 tokens, so every batch is
16 x 128.

axon: `axon train` on N = 16 x (STEPS + 1) / 0.8 rows (--val-fraction 0, so STEPS + 1 batches
of 16 train, 2 epochs); the time per step is the second epoch's training time (its JSON report)
divided by its steps, so loading and the first epoch's warm-up are left out. PyTorch: STEPS timed
steps after 2 warm-up steps. Peak memory is each process's maximum resident set (axon by
/usr/bin/time, PyTorch by getrusage of this Python process, which holds nothing else big).

--spam trains `axon train --fine-tune --epochs 1 --batch-size 16 --max-length 128 --lr 5e-5
--warmup-ratio 0.1` on SPAM_DIR/train.csv (all its rows: --val-fraction 0; axon holds out 20%,
reported as `held-out`) and scores SPAM_DIR/test.csv with `axon eval`.

    cargo build --release -p axon-cli
    ~/torch-venv/bin/python scripts/bench_finetune.py [--steps 8] [--spam /work/spam]
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

ROOT = Path(__file__).resolve().parents[1]
THREADS = "2"
BATCH, LENGTH = 16, 128


def long_emails(model, n):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model)
    csv.field_size_limit(1 << 30)
    out = []
    with gzip.open(ROOT / "data/spam_sample.csv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if len(tok(row["text"], truncation=True, max_length=LENGTH)["input_ids"]) == LENGTH:
                out.append((row["label"], row["text"]))
                if len(out) >= n:
                    break
    if not out:
        sys.exit("no e-mail of 128 tokens in data/spam_sample.csv.gz")
    # The labels alternate (what is learnt does not change the time of a step).
    return [("spam" if i % 2 else "ham", out[i % len(out)][1]) for i in range(n)]


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["label", "text"])
        w.writerows(rows)


def run_timed(cmd):
    env = dict(os.environ, RAYON_NUM_THREADS=THREADS)
    run = subprocess.run(["/usr/bin/time", "-f", "maxrss=%M"] + [str(c) for c in cmd],
                         env=env, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{run.stderr}")
    peak = int(re.search(r"maxrss=(\d+)", run.stderr).group(1)) / 1024
    return run.stdout, peak


def axon_step(binary, model, rows, steps, tmp):
    data = Path(tmp) / "texts.csv"
    write_csv(data, rows)
    out, peak = run_timed([binary, "train", "--data", data, "--target", "label", "--text", "text",
                           "--encoder", model, "--fine-tune", "--epochs", 2, "--batch-size", BATCH,
                           "--max-length", LENGTH, "--val-fraction", 0, "--lr", "2e-5",
                           "--warmup-ratio", "0.1", "--json", "--quiet"])
    report = json.loads(out)
    epoch = report["epochs"][1]
    n_steps = report["steps"] // 2
    return epoch["seconds"] / n_steps, peak


def torch_step(model, rows, steps):
    import torch
    from transformers import AutoModel, AutoTokenizer, get_linear_schedule_with_warmup

    torch.set_num_threads(int(THREADS))
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(model)
    bert = AutoModel.from_pretrained(model).train()
    head = torch.nn.Linear(bert.config.hidden_size, 2)
    named = list(bert.named_parameters()) + [("classifier." + n, p) for n, p in head.named_parameters()]
    named = [(n, p) for n, p in named if not n.startswith("pooler.")]
    no_decay = lambda n: n.endswith("bias") or "LayerNorm" in n
    opt = torch.optim.AdamW([
        {"params": [p for n, p in named if not no_decay(n)], "weight_decay": 0.01},
        {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0}], lr=2e-5)
    sched = get_linear_schedule_with_warmup(opt, 1, steps + 2)
    texts = [t for _, t in rows[:BATCH]]
    batch = tok(texts, truncation=True, max_length=LENGTH, padding="longest", return_tensors="pt")
    labels = torch.tensor([1 if l == "spam" else 0 for l, _ in rows[:BATCH]])
    assert batch["input_ids"].shape == (BATCH, LENGTH), batch["input_ids"].shape

    def step():
        opt.zero_grad()
        h = bert(**batch).last_hidden_state
        m = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
        loss = torch.nn.functional.cross_entropy(head(torch.nn.functional.dropout(pooled, 0.1)), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for _, p in named], 1.0)
        opt.step()
        sched.step()

    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def spam(binary, model, spam_dir, tmp):
    out = Path(tmp) / "spam.axon"
    start = time.perf_counter()
    report, peak = run_timed([binary, "train", "--data", Path(spam_dir) / "train.csv",
                              "--target", "label", "--text", "text", "--encoder", model,
                              "--fine-tune", "--epochs", 1, "--batch-size", BATCH,
                              "--max-length", LENGTH, "--val-fraction", 0, "--lr", "5e-5",
                              "--warmup-ratio", "0.1", "--seed", 0, "--out", out, "--json",
                              "--quiet"])
    wall = time.perf_counter() - start
    report = json.loads(report)
    evaluated, _ = run_timed([binary, "eval", "--model", out, "--data",
                              Path(spam_dir) / "test.csv", "--json"])
    evaluated = json.loads(evaluated)
    return report, evaluated, wall, peak


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    home = Path(os.environ.get("AXON_HOME", Path.home() / ".cache/axon"))
    p.add_argument("--model", default=str(home / "models/all-MiniLM-L6-v2"))
    p.add_argument("--axon", default=str(ROOT / "target/release/axon"))
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--spam", metavar="SPAM_DIR", help="also fine-tune 1 epoch on SPAM_DIR/train.csv")
    args = p.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR")
    if target and args.axon == str(ROOT / "target/release/axon"):
        args.axon = str(Path(target) / "release/axon")
    # 0.8 of the rows train: steps + 1 batches of 16 per epoch.
    n = int((args.steps + 1) * BATCH / 0.8) + 1
    rows = long_emails(args.model, n)
    with tempfile.TemporaryDirectory() as tmp:
        a_step, a_mem = axon_step(args.axon, args.model, rows, args.steps, tmp)
        t_step = torch_step(args.model, rows, args.steps)
        t_mem = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"all-MiniLM-L6-v2 fine-tuning step, batch {BATCH} x {LENGTH} tokens, {THREADS} threads")
        print("| | axon | PyTorch | axon / PyTorch |")
        print("|---|---:|---:|---:|")
        print(f"| seconds per step | {a_step:.3f} | {t_step:.3f} | {a_step / t_step:.2f}x |")
        print(f"| steps/s | {1 / a_step:.2f} | {1 / t_step:.2f} | {t_step / a_step:.2f}x |")
        print(f"| peak memory (MiB, whole process) | {a_mem:.0f} | {t_mem:.0f} | |")
        if args.spam:
            report, evaluated, wall, peak = spam(args.axon, args.model, args.spam, tmp)
            print(f"spam, 1 epoch of fine-tuning ({report['train_rows']} e-mails, "
                  f"{report['steps']} steps, {wall:.0f} s, peak {peak:.0f} MiB): "
                  f"held-out accuracy {100 * report['test_accuracy']:.2f}% "
                  f"({report['test_rows']} rows of train.csv), "
                  f"test.csv accuracy {100 * evaluated['accuracy']:.2f}% ({evaluated['n_samples']} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
