#!/usr/bin/env python3
"""Spam filtering on frozen sentence embeddings beside tf-idf (issue 12's "must show"), on the
whole SpamAssassin corpus `../shared/data/spam/spam_assassin.csv.gz` and the seeded stratified
80/20 split of `scripts/reference/spam_fixtures.py` and `scripts/bench_spam.py`
(`train_test_split(test_size=0.2, stratify=label, random_state=0)`):

- tf-idf L2 logit on the raw e-mails: `axon fit --text text --ngram 2 --min-df 2 --sublinear-tf
  --alpha 0.1` then `axon predict` (scikit-learn's `TfidfVectorizer` + `LogisticRegression(C=10)`
  beside it);
- L2 logit on frozen all-MiniLM-L6-v2 embeddings of "subject + body" (the e-mail parsed by
  Python's `email`, its Subject then its text parts; the encoder truncates at the model's 256
  tokens): `axon fit --text text --encoder DIR --alpha 0.1` then `axon predict`, against
  sentence-transformers' `SentenceTransformer(DIR).encode` + scikit-learn's
  `LogisticRegression(C=10)` on the same texts;
- a row for the fine-tuned encoder (`axon train --encoder --fine-tune`), filled when that
  command exists (`--fine-tune-cmd` runs it; otherwise the row says so).

Each side is timed from the CSV files to the test predictions; the embedding rows also report
texts per second of the embedding alone (axon's from its fit report, train texts only;
sentence-transformers' from `encode` over train and test). Both run on `--threads` threads
(default 2). Run after `cargo build --release` and `scripts/fetch_models.sh`, with a venv that
has torch, sentence-transformers and scikit-learn:

    ~/torch-venv/bin/python scripts/bench_encoder_spam.py [--axon target/release/axon]
        [--model ~/.cache/axon/models/all-MiniLM-L6-v2]
"""

import argparse
import csv
import email
import gzip
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parents[1]
FULL = ROOT.parent / "shared" / "data" / "spam" / "spam_assassin.csv.gz"
MODEL = Path(os.environ.get("AXON_HOME", Path.home() / ".cache" / "axon")) / "models" / (
    "all-MiniLM-L6-v2"
)
ALPHA = 0.1  # scikit-learn's C = 10


def read_corpus():
    csv.field_size_limit(sys.maxsize)
    with gzip.open(FULL, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["label"] for r in rows], [r["text"] for r in rows]


def subject_and_body(raw):
    """The Subject line, then the decoded text parts of the e-mail (HTML tags removed)."""
    msg = email.message_from_string(raw)
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if payload is None:
            continue
        try:
            text = payload.decode(part.get_content_charset() or "latin-1", errors="replace")
        except LookupError:  # a charset Python does not know
            text = payload.decode("latin-1")
        if part.get_content_subtype() == "html":
            text = re.sub(r"<[^>]*>", " ", text)
        parts.append(text)
    body = re.sub(r"\s+", " ", " ".join(parts)).strip()
    subject = re.sub(r"\s+", " ", str(msg.get("Subject", ""))).strip()
    return f"{subject}\n{body}"


def write_csv(path, labels, texts):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["label", "text"])
        w.writerows(zip(labels, texts))


def accuracy(pred, truth):
    return float(np.mean(np.asarray(pred) == np.asarray(truth)))


def axon_predict(axon, model, test, env):
    out = subprocess.run(
        [axon, "predict", "--model", model, "--data", test],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    return [line.split(",")[1] for line in out.splitlines()[1:]]


def axon_tfidf(axon, train, test, truth, tmp, env):
    model = str(Path(tmp) / "tfidf.axon")
    t0 = time.perf_counter()
    subprocess.run(
        [axon, "fit", "--data", train, "--target", "label", "--text", "text", "--ngram", "2",
         "--min-df", "2", "--sublinear-tf", "--alpha", str(ALPHA), "--out", model],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    pred = axon_predict(axon, model, test, env)
    return accuracy(pred, truth), time.perf_counter() - t0


def sklearn_tfidf(train_texts, train_labels, test_texts, truth):
    t0 = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    clf = LogisticRegression(C=1 / ALPHA, max_iter=10000)
    clf.fit(vec.fit_transform(train_texts), train_labels)
    pred = clf.predict(vec.transform(test_texts))
    return accuracy(pred, truth), time.perf_counter() - t0


def axon_encoder(axon, encoder, train, test, truth, tmp, env):
    model = str(Path(tmp) / "encoded.axon")
    t0 = time.perf_counter()
    report = subprocess.run(
        [axon, "fit", "--data", train, "--target", "label", "--text", "text", "--encoder",
         encoder, "--alpha", str(ALPHA), "--out", model],
        check=True, capture_output=True, text=True, env=env,
    ).stdout
    pred = axon_predict(axon, model, test, env)
    seconds = time.perf_counter() - t0
    m = re.search(r"\(([\d.]+) texts/s\)", report)
    return accuracy(pred, truth), seconds, float(m.group(1)) if m else float("nan")


def st_encoder(encoder, train_texts, train_labels, test_texts, truth, threads):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    st = SentenceTransformer(str(encoder), device="cpu")
    e0 = time.perf_counter()
    x_train = st.encode(train_texts, batch_size=32)
    x_test = st.encode(test_texts, batch_size=32)
    rate = (len(train_texts) + len(test_texts)) / (time.perf_counter() - e0)
    clf = LogisticRegression(C=1 / ALPHA, max_iter=10000)
    clf.fit(x_train.astype(np.float64), train_labels)
    pred = clf.predict(x_test.astype(np.float64))
    return accuracy(pred, truth), time.perf_counter() - t0, rate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--axon", default=str(ROOT / "target" / "release" / "axon"))
    ap.add_argument("--model", default=str(MODEL))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fine-tune-cmd", default=None,
                    help="a shell command that prints the fine-tuned model's test accuracy "
                         "(TRAIN and TEST are set to the subject + body split files)")
    args = ap.parse_args()
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    labels, texts = read_corpus()
    idx = np.arange(len(labels))
    train, test = train_test_split(idx, test_size=0.2, stratify=labels, random_state=0)
    tr_labels, te_labels = [labels[i] for i in train], [labels[i] for i in test]
    sb_train = [subject_and_body(texts[i]) for i in train]
    sb_test = [subject_and_body(texts[i]) for i in test]
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, rows, ls, sb in [("train", train, tr_labels, sb_train),
                                   ("test", test, te_labels, sb_test)]:
            paths[name] = str(Path(tmp) / f"{name}.csv")
            write_csv(paths[name], ls, [texts[i] for i in rows])
            paths[name + "_sb"] = str(Path(tmp) / f"{name}_subject_body.csv")
            write_csv(paths[name + "_sb"], ls, sb)
        print(f"SpamAssassin: {len(train)} training, {len(test)} test e-mails; "
              f"{args.threads} threads; L2 logit, alpha = {ALPHA} (C = {1 / ALPHA:g})")
        print(f"{'features':<34} {'tool':<28} {'test acc':>9} {'seconds':>9} {'texts/s':>9}")

        def row(features, tool, acc, sec, rate=None):
            r = f"{rate:>9.1f}" if rate is not None else f"{'':>9}"
            print(f"{features:<34} {tool:<28} {acc:>9.4f} {sec:>9.2f} {r}", flush=True)

        acc, sec = axon_tfidf(args.axon, paths["train"], paths["test"], te_labels, tmp, env)
        row("tf-idf (1-2 grams), raw e-mail", "axon fit --text", acc, sec)
        acc, sec = sklearn_tfidf([texts[i] for i in train], tr_labels,
                                 [texts[i] for i in test], te_labels)
        row("tf-idf (1-2 grams), raw e-mail", "scikit-learn", acc, sec)
        acc, sec, rate = axon_encoder(args.axon, args.model, paths["train_sb"],
                                      paths["test_sb"], te_labels, tmp, env)
        row("frozen MiniLM, subject + body", "axon fit --encoder", acc, sec, rate)
        acc, sec, rate = st_encoder(args.model, sb_train, tr_labels, sb_test, te_labels,
                                    args.threads)
        row("frozen MiniLM, subject + body", "sentence-transformers + skl", acc, sec, rate)
        if args.fine_tune_cmd:
            t0 = time.perf_counter()
            out = subprocess.run(args.fine_tune_cmd, shell=True, check=True, capture_output=True,
                                 text=True, env=dict(env, TRAIN=paths["train_sb"],
                                                     TEST=paths["test_sb"])).stdout
            row("fine-tuned MiniLM, subject + body", "axon train --fine-tune",
                float(out.split()[-1]), time.perf_counter() - t0)
        else:
            print(f"{'fine-tuned MiniLM, subject + body':<34} {'axon train --fine-tune':<28} "
                  f"{'(not run: --fine-tune-cmd)':>29}")


if __name__ == "__main__":
    main()
