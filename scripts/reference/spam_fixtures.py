#!/usr/bin/env python3
"""Reference numbers for axon's text models (`axon fit --text`), from scikit-learn on the spam
sample `data/spam_sample.csv.gz` (300 e-mails, columns label,group,id,text):

- a stratified, seeded 80/20 split (`train_test_split(test_size=0.2, stratify=label,
  random_state=0)`), its row indices stored;
- `TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)` fitted on the training
  e-mails, then `LogisticRegression(C=10, tol=1e-12, max_iter=10000)` (lbfgs, L2): the test
  accuracy and every test row's P(spam), plus the vocabulary size and the intercept;
- `CountVectorizer(ngram_range=(1, 2), min_df=2)` + `MultinomialNB()`: every test row's predicted
  class and the test accuracy.

Written to `crates/axon/tests/fixtures/spam_models.json`; `crates/axon/tests/text_models.rs` and
`crates/axon-cli/tests/fit_text.rs` reproduce them. With `--full`, the same on the whole corpus
`../shared/data/spam/spam_assassin.csv.gz` is printed, not stored. Run with ~/sm-venv:

    ~/sm-venv/bin/python scripts/reference/spam_fixtures.py [--full]
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import MultinomialNB

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "spam_sample.csv.gz"
FULL = ROOT.parent / "shared" / "data" / "spam" / "spam_assassin.csv.gz"
OUT = ROOT / "crates" / "axon" / "tests" / "fixtures" / "spam_models.json"
C = 10.0


def models(path):
    df = pd.read_csv(path, keep_default_na=False, dtype=str)
    texts, labels = df["text"].to_numpy(), df["label"].to_numpy()
    idx = np.arange(len(df))
    train, test = train_test_split(idx, test_size=0.2, stratify=labels, random_state=0)
    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = tfidf.fit_transform(texts[train])
    logit = LogisticRegression(C=C, tol=1e-12, max_iter=10000).fit(x_train, labels[train])
    proba = logit.predict_proba(tfidf.transform(texts[test]))
    logit_acc = float(np.mean(logit.classes_[proba.argmax(1)] == labels[test]))
    counts = CountVectorizer(ngram_range=(1, 2), min_df=2)
    nb = MultinomialNB().fit(counts.fit_transform(texts[train]), labels[train])
    nb_pred = nb.predict(counts.transform(texts[test]))
    nb_acc = float(np.mean(nb_pred == labels[test]))
    return {
        "train": train.tolist(),
        "test": test.tolist(),
        "classes": logit.classes_.tolist(),
        "logit": {
            "C": C,
            "vocabulary_size": len(tfidf.vocabulary_),
            "intercept": float(logit.intercept_[0]),
            "test_accuracy": logit_acc,
            "test_proba_positive": proba[:, 1].tolist(),
        },
        "nb": {
            "vocabulary_size": len(counts.vocabulary_),
            "test_predictions": nb_pred.tolist(),
            "test_accuracy": nb_acc,
        },
    }


def main():
    if "--full" in sys.argv:
        r = models(FULL)
        print(f"full corpus: {len(r['train'])} train, {len(r['test'])} test")
        print(f"tf-idf logit (C={C}): accuracy {r['logit']['test_accuracy']:.4f}")
        print(f"multinomial NB: accuracy {r['nb']['test_accuracy']:.4f}")
        return
    r = models(SAMPLE)
    r["sklearn_version"] = sklearn.__version__
    OUT.write_text(json.dumps(r, indent=1) + "\n")
    print(f"{OUT}: logit accuracy {r['logit']['test_accuracy']}, nb {r['nb']['test_accuracy']}")


if __name__ == "__main__":
    main()
