#!/usr/bin/env python3
"""Spam filtering end to end, axon's command line against scikit-learn, on the whole SpamAssassin
corpus `../shared/data/spam/spam_assassin.csv.gz` (6 046 e-mails): the seeded stratified 80/20
split of `scripts/reference/spam_fixtures.py` is written as two CSV files, then

- the tf-idf L2 logit: `TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)` +
  `LogisticRegression(C=10)` against `axon fit --text text --ngram 2 --min-df 2 --sublinear-tf
  --alpha 0.1 --out M` followed by `axon predict --model M`;
- multinomial Naive Bayes on `CountVectorizer(ngram_range=(1, 2), min_df=2)` counts against
  `axon fit --model nb ...` and `axon predict`.

Each side is timed from the CSV files to the test predictions (reading, vectorizing, fitting,
predicting; for axon also saving and loading the model). Prints a table of test accuracy and
seconds. Run with the scikit-learn venv after `cargo build --release`:

    ~/sm-venv/bin/python scripts/bench_spam.py [--axon target/release/axon]
"""

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import MultinomialNB

ROOT = Path(__file__).resolve().parents[1]
FULL = ROOT.parent / "shared" / "data" / "spam" / "spam_assassin.csv.gz"
TEXT = ["--target", "label", "--text", "text", "--ngram", "2", "--min-df", "2"]


def sklearn_run(train, test, model):
    t0 = time.perf_counter()
    tr, te = pd.read_csv(train, keep_default_na=False, dtype=str), pd.read_csv(
        test, keep_default_na=False, dtype=str
    )
    if model == "logit":
        vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        clf = LogisticRegression(C=10.0, max_iter=10000)
    else:
        vec = CountVectorizer(ngram_range=(1, 2), min_df=2)
        clf = MultinomialNB()
    clf.fit(vec.fit_transform(tr["text"]), tr["label"])
    pred = clf.predict(vec.transform(te["text"]))
    return float(np.mean(pred == te["label"].to_numpy())), time.perf_counter() - t0


def axon_run(axon, train, test, model, tmp):
    out = Path(tmp) / f"{model}.axon"
    extra = ["--sublinear-tf", "--alpha", "0.1"] if model == "logit" else ["--model", "nb"]
    t0 = time.perf_counter()
    subprocess.run(
        [axon, "fit", "--data", train, *TEXT, *extra, "--out", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    csv = subprocess.run(
        [axon, "predict", "--model", str(out), "--data", test],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    seconds = time.perf_counter() - t0
    pred = [line.split(",")[1] for line in csv.splitlines()[1:]]
    truth = pd.read_csv(test, keep_default_na=False, dtype=str)["label"].to_numpy()
    return float(np.mean(np.array(pred) == truth)), seconds


def main():
    ap = argparse.ArgumentParser()
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    ap.add_argument("--axon", default=str(target / "release" / "axon"))
    args = ap.parse_args()
    df = pd.read_csv(FULL, keep_default_na=False, dtype=str)
    idx = np.arange(len(df))
    train, test = train_test_split(idx, test_size=0.2, stratify=df["label"], random_state=0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, rows in [("train", train), ("test", test)]:
            paths[name] = str(Path(tmp) / f"{name}.csv")
            df.iloc[rows][["label", "text"]].to_csv(paths[name], index=False)
        print(f"SpamAssassin: {len(train)} training, {len(test)} test e-mails")
        print(f"{'model':<16} {'sklearn acc':>12} {'axon acc':>10} {'sklearn s':>10} {'axon s':>8}")
        for model in ["logit", "nb"]:
            s_acc, s_sec = sklearn_run(paths["train"], paths["test"], model)
            a_acc, a_sec = axon_run(args.axon, paths["train"], paths["test"], model, tmp)
            name = "tf-idf logit" if model == "logit" else "multinomial NB"
            print(f"{name:<16} {s_acc:>12.4f} {a_acc:>10.4f} {s_sec:>10.2f} {a_sec:>8.2f}"
                  f"  ({s_sec / a_sec:.1f}x)")


if __name__ == "__main__":
    main()
