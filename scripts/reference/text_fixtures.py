#!/usr/bin/env python3
"""Reference output of scikit-learn's text features and Naive Bayes for
`crates/axon/tests/text.rs` and `crates/axon/tests/naive_bayes.rs`. Writes, under
`crates/axon/tests/fixtures/`:

- `text_tokens.json`: Python's `\\w` and `str.lower` over every code point (as ranges and pairs),
  then, for a list of tricky strings (Unicode letters and digits, accents, CJK, emoji, punctuation,
  underscores, apostrophes, the empty string, a very long token), the tokens of
  `CountVectorizer`'s analyzer (default, English stop words with 1..3-grams, bigrams only), the
  signed MurmurHash3 of each token (`sklearn.utils.murmurhash3_32`, seed 0) and
  `HashingVectorizer(n_features=2**B, alternate_sign=True, norm=None)` rows for B = 20 and B = 3;
- `text_spam.json`: on `data/spam_sample.csv.gz` (300 e-mails), `CountVectorizer` vocabularies
  (size, SHA-256 of the terms joined by newlines, some terms' indices, count totals),
  `TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)` values, idf and row norms,
  and a transform of held-out documents;
- `naive_bayes.json`: a stratified 80/20 split (`train_test_split`, random_state 0) and, on
  `CountVectorizer(ngram_range=(1, 2), min_df=2)` counts fitted on the training part,
  `MultinomialNB()` and `BernoulliNB()` predictions for every row, accuracies, and
  `predict_proba` for some rows.

Run with the venv that has scikit-learn (the version is recorded in each file):

    ~/sm-venv/bin/python scripts/reference/text_fixtures.py
"""

import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.feature_extraction.text import (
    ENGLISH_STOP_WORDS,
    CountVectorizer,
    HashingVectorizer,
    TfidfVectorizer,
)
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import BernoulliNB, MultinomialNB
from sklearn.utils import murmurhash3_32

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "crates" / "axon" / "tests" / "fixtures"
SPAM = ROOT / "data" / "spam_sample.csv.gz"
STOP_WORDS = ROOT / "crates" / "axon" / "src" / "text" / "english_stop_words.txt"

TRICKY = [
    "",
    " ",
    "a",
    "ab",
    "Hello, World!",
    "Hello,World!!hello   WORLD",
    "don't won't it's O'Neil l'été",
    "snake_case __init__ _a a_ _ __ ___",
    "Café naïve résumé façade Ångström",
    "Cafe\u0301 e\u0301te\u0301 (combining accents)",
    "ΣΊΣΥΦΟΣ ΟΔΟΣ σοφίας",
    "Straße STRASSE İstanbul ǅemal ﬁne",
    "日本語のテキスト 中文文本 한국어 텍스트",
    "東京2024 ４２ ١٢٣ ²³ ½ Ⅻ ⅻ",
    "emoji 😀😀 test🎉party 👍🏽ok ❤️love",
    "e-mail e.mail e@mail.com http://example.com/path?q=1&r=2",
    "1 12 123 3.14 1,000 -5 +7 0x1F",
    "tab\tnew\nline\r\nreturn",
    "हिन्दी भाषा नमस्ते",
    "zero\u200bwidth joiner\u200dx non\u00a0breaking",
    "the and of a to in is it you that was for on are with as I his they be at",
    "The quick brown fox jumps over the lazy dog and the dog sleeps",
    "mIxEd CaSe WoRdS wOrDs WORDS",
    "x" * 300,
    "collide collide collide again again",
]


def ranges(flags):
    """Maximal runs [start, end] of code points where flags is true."""
    out, start = [], None
    for cp, f in enumerate(flags):
        if f and start is None:
            start = cp
        elif not f and start is not None:
            out.append([start, cp - 1])
            start = None
    if start is not None:
        out.append([start, len(flags) - 1])
    return out


def unicode_tables():
    word = re.compile(r"\w")
    chars = [chr(cp) for cp in range(sys.maxunicode + 1)]
    is_word = [bool(word.match(c)) for c in chars]
    unassigned = [unicodedata.category(c) == "Cn" for c in chars]
    lower = [[ord(c), c.lower()] for c in chars if c.lower() != c]
    return {
        "unicode_version": unicodedata.unidata_version,
        "word_ranges": ranges(is_word),
        "unassigned_ranges": ranges(unassigned),
        "lower": lower,
    }


def hashed_rows(strings, bits):
    hv = HashingVectorizer(n_features=2**bits, alternate_sign=True, norm=None)
    X = hv.transform(strings).tocsr()
    X.sort_indices()
    rows = []
    for i in range(X.shape[0]):
        a, b = X.indptr[i], X.indptr[i + 1]
        rows.append([[int(j), float(v)] for j, v in zip(X.indices[a:b], X.data[a:b])])
    return rows


def tokens_fixture():
    default = CountVectorizer().build_analyzer()
    stop = CountVectorizer(stop_words="english", ngram_range=(1, 3)).build_analyzer()
    bigrams = CountVectorizer(ngram_range=(2, 2)).build_analyzer()
    cases = []
    for s in TRICKY:
        toks = default(s)
        cases.append(
            {
                "text": s,
                "tokens": toks,
                "stop_1_3": stop(s),
                "bigrams": bigrams(s),
                "murmur": [murmurhash3_32(t, seed=0, positive=False) for t in toks],
            }
        )
    return {
        "sklearn": sklearn.__version__,
        "python": sys.version.split()[0],
        "cases": cases,
        "hashing_b20": hashed_rows(TRICKY, 20),
        "hashing_b3": hashed_rows(TRICKY, 3),
        "murmur_bytes": [
            [s, murmurhash3_32(s, seed=0, positive=False)]
            for s in ["", "a", "ab", "abc", "abcd", "abcde", "hello world", "é", "日本"]
        ],
        **unicode_tables(),
    }


def vocab_summary(cv, X):
    terms = cv.get_feature_names_out().tolist()
    picks = sorted(set([0, 1, 2, len(terms) // 3, len(terms) // 2, len(terms) - 2, len(terms) - 1]))
    return {
        "size": len(terms),
        "sha256": hashlib.sha256("\n".join(terms).encode("utf-8")).hexdigest(),
        "terms": [[terms[i], i] for i in picks],
        "nnz": int(X.nnz),
        "total": float(X.sum()),
        "column_sums_head": np.asarray(X.sum(axis=0)).ravel()[:20].tolist(),
    }


def max_features_without_tie(X, want):
    """The smallest k >= want whose k-th and (k+1)-th largest column totals differ, so the kept
    set does not depend on numpy's (unstable) argsort of ties."""
    totals = np.sort(np.asarray(X.sum(axis=0)).ravel())[::-1]
    k = want
    while totals[k - 1] == totals[k]:
        k += 1
    return k


def entries(X, rows):
    X = X.tocsr()
    out = []
    for i in rows:
        a, b = X.indptr[i], X.indptr[i + 1]
        idx = list(range(a, b))
        if not idx:
            continue
        picks = sorted(set([idx[0], idx[len(idx) // 2], idx[-1], a + int(np.argmax(X.data[a:b]))]))
        out.extend([[int(i), int(X.indices[p]), float(X.data[p])] for p in picks])
    return out


def spam_fixture(texts):
    cv = CountVectorizer(ngram_range=(1, 2), min_df=2)
    Xc = cv.fit_transform(texts)
    counts_1_2 = vocab_summary(cv, Xc)
    counts_1_2["entries"] = entries(Xc, [0, 5, 150, 299])

    # English stop words, max_df as a proportion, min_df as a proportion, max_features.
    probe = CountVectorizer(stop_words="english", max_df=0.5, min_df=0.01, binary=True)
    Xp = probe.fit_transform(texts)
    k = max_features_without_tie(Xp, 1000)
    cv2 = CountVectorizer(stop_words="english", max_df=0.5, min_df=0.01, max_features=k, binary=True)
    X2 = cv2.fit_transform(texts)
    limited = vocab_summary(cv2, X2)
    limited["max_features"] = k
    limited["entries"] = entries(X2, [3, 100])

    cv3 = CountVectorizer(max_df=40, min_df=3)
    X3 = cv3.fit_transform(texts)
    int_df = vocab_summary(cv3, X3)

    tv = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    Xt = tv.fit_transform(texts).tocsr()
    raw = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, norm=None)
    Xr = raw.fit_transform(texts).tocsr()
    norms = np.sqrt(np.asarray(Xr.multiply(Xr).sum(axis=1)).ravel())
    idf = tv.idf_
    idf_picks = sorted(set([0, 1, len(idf) // 2, len(idf) - 1, int(np.argmax(idf)), int(np.argmin(idf))]))
    tfidf = {
        "size": len(tv.vocabulary_),
        "entries": entries(Xt, [0, 1, 7, 42, 150, 298, 299]),
        "raw_entries": entries(Xr, [0, 42, 299]),
        "raw_row_norms": norms.tolist(),
        "row_norms": np.sqrt(np.asarray(Xt.multiply(Xt).sum(axis=1)).ravel()).tolist(),
        "idf": [[i, float(idf[i])] for i in idf_picks],
    }

    # fitted on the first 200 documents, applied to the last 100 (unknown words ignored)
    held = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, smooth_idf=False)
    held.fit(texts[:200])
    Xh = held.transform(texts[200:]).tocsr()
    heldout = {
        "size": len(held.vocabulary_),
        "nnz": int(Xh.nnz),
        "entries": entries(Xh, [0, 10, 99]),
    }
    return {
        "sklearn": sklearn.__version__,
        "rows": len(texts),
        "counts_1_2_min2": counts_1_2,
        "stop_maxdf_maxfeatures": limited,
        "int_df": int_df,
        "tfidf": tfidf,
        "tfidf_heldout": heldout,
    }


def nb_fixture(texts, labels):
    idx = np.arange(len(texts))
    train, test = train_test_split(idx, test_size=0.2, stratify=labels, random_state=0)
    train, test = np.sort(train), np.sort(test)
    cv = CountVectorizer(ngram_range=(1, 2), min_df=2)
    Xtr = cv.fit_transform([texts[i] for i in train])
    X = cv.transform(texts)
    y = np.array(labels)
    out = {
        "sklearn": sklearn.__version__,
        "train": train.tolist(),
        "test": test.tolist(),
        "vocabulary_size": len(cv.vocabulary_),
    }
    proba_rows = [int(test[0]), int(test[1]), int(test[-1]), int(train[0]), int(train[-1])]
    for name, model in [("multinomial", MultinomialNB()), ("bernoulli", BernoulliNB())]:
        model.fit(Xtr, y[train])
        pred = model.predict(X)
        proba = model.predict_proba(X[proba_rows])
        out[name] = {
            "classes": model.classes_.tolist(),
            "class_log_prior": model.class_log_prior_.tolist(),
            "predictions": pred.tolist(),
            "train_accuracy": float((pred[train] == y[train]).mean()),
            "test_accuracy": float((pred[test] == y[test]).mean()),
            "proba_rows": proba_rows,
            "proba": proba.tolist(),
            "log_proba": model.predict_log_proba(X[proba_rows]).tolist(),
        }
    return out


def main():
    STOP_WORDS.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# scikit-learn {sklearn.__version__} ENGLISH_STOP_WORDS"
        " (sklearn/feature_extraction/_stop_words.py, BSD-3-Clause),\n"
        "# one word a line, sorted; written by scripts/reference/text_fixtures.py\n"
    )
    words = "\n".join(sorted(ENGLISH_STOP_WORDS)) + "\n"
    STOP_WORDS.write_text(header + words, encoding="utf-8")
    df = pd.read_csv(SPAM, keep_default_na=False, dtype=str)
    texts, labels = df["text"].tolist(), df["label"].tolist()
    for name, data in [
        ("text_tokens.json", tokens_fixture()),
        ("text_spam.json", spam_fixture(texts)),
        ("naive_bayes.json", nb_fixture(texts, labels)),
    ]:
        path = FIXTURES / name
        path.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
