#!/usr/bin/env python3
"""Writes `data/spam_sample.csv.gz`, the small part of the SpamAssassin corpus that the text tests
use: a seeded, stratified sample of 300 whole e-mails (spam and ham in the corpus' proportions,
messages kept whole, never truncated) from the project's shared copy
`../shared/data/spam/spam_assassin.csv.gz` (6 046 e-mails, columns `label,group,id,text`).

Only messages of at most 20 000 characters are drawn, so the gzipped file stays well under 1 MB;
the rows keep the corpus order. The file is written with Python's csv module (minimal quoting,
`\n` line ends) and gzipped with mtime 0, so a rerun gives the same bytes. Run from anywhere:

    python3 scripts/reference/spam_sample.py
"""

import csv
import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT.parent / "shared" / "data" / "spam" / "spam_assassin.csv.gz"
OUT = ROOT / "data" / "spam_sample.csv.gz"
N = 300
MAX_CHARS = 20_000
SEED = 20261130


def main():
    df = pd.read_csv(SOURCE, keep_default_na=False, dtype=str)
    pool = df[df["text"].str.len() <= MAX_CHARS]
    rng = np.random.default_rng(SEED)
    picked = []
    for label, group in pool.groupby("label", sort=True):
        share = round(N * (df["label"] == label).sum() / len(df))
        picked.extend(rng.choice(group.index.to_numpy(), size=share, replace=False))
    sample = df.loc[sorted(picked)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(sample.columns)
    writer.writerows(sample.itertuples(index=False))
    with open(OUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    counts = sample["label"].value_counts().to_dict()
    print(f"{OUT}: {len(sample)} rows {counts}, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
