#!/usr/bin/env python3
"""A seeded generator of a Criteo-like click log, for `axon fit --stream` tests and benchmarks.

Each row: `label` (0/1), 13 heavy-tailed integer counts I1..I13 (some missing: empty fields),
26 categorical columns C1..C26 of 8-character hex tokens (some missing), whose cardinalities
run from a few to 10^6 and whose values are Zipf-distributed. The click probability is a
logistic function of log-binned counts, per-category effects and a few crosses (C1xC2, C3xC4,
I1-bin x C5), with the intercept set so that about `--rate` of the rows are clicks.

The rows are written as CSV (gzipped when the name ends in .gz) and, with `--vw FILE`, the
same rows in Vowpal Wabbit's text format (`-1`/`1` labels, every present field a token
`NAME=VALUE` in namespace `i` (counts) or `c` (categories)), so both tools read the same data.
Fields are assembled as fixed-width byte matrices with numpy and the padding dropped, so 10^7
rows take a few minutes. The same seed gives the same rows whatever the output format.

    ~/bench-venv/bin/python scripts/gen_clicks.py --rows 20000 --out data/clicks_sample.csv.gz
    ~/bench-venv/bin/python scripts/gen_clicks.py --rows 10000000 --out /tmp/clicks.csv \
        --vw /tmp/clicks.vw
"""

import argparse
import gzip
import sys

import numpy as np

N_INT, N_CAT = 13, 26
CHUNK = 100_000
INT_WIDTH = 7  # counts are capped below 10^7
PAD = 0


def mix64(x):
    """A splitmix64 finalizer on uint64 arrays: a cheap, well-spread integer hash."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hashed_normal(keys, salt, scale):
    """A pseudo-random N(0, scale²)-like weight per key (sum of two uniforms, centred)."""
    h = mix64(keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(salt))
    u1 = (h & np.uint64(0xFFFFFFFF)).astype(np.float64) / 2**32
    u2 = (h >> np.uint64(32)).astype(np.float64) / 2**32
    return (u1 + u2 - 1.0) * scale * 2.45


class Truth:
    """The columns' shapes and the logistic ground truth, all drawn from the seed."""

    def __init__(self, seed):
        rng = np.random.default_rng([seed, 0])
        self.seed = seed
        # Cardinalities Zipf-like over the columns: a few huge, most small (3 .. 10^6).
        self.card = np.clip(np.round(10 ** rng.uniform(0.5, 6.0, N_CAT)), 3, 1_000_000)
        self.card = self.card.astype(np.int64)
        self.card[0] = 1_000_000
        self.zipf_a = rng.uniform(1.1, 1.6, N_CAT)
        self.cat_missing = np.where(rng.random(N_CAT) < 0.3, rng.uniform(0.05, 0.4, N_CAT), 0.0)
        self.cat_scale = rng.uniform(0.2, 0.8, N_CAT)
        self.int_mu = rng.uniform(0.0, 4.0, N_INT)
        self.int_sigma = rng.uniform(1.0, 2.0, N_INT)
        self.int_missing = rng.uniform(0.0, 0.45, N_INT)
        self.int_w = rng.normal(0.0, 0.12, N_INT)
        self.intercept = 0.0

    def draw(self, index, rows):
        """Chunk `index` of `rows` rows: (labels, counts with -1 missing, category ranks with
        -1 missing, hex tokens as uint32)."""
        rng = np.random.default_rng([self.seed, 1, index])
        counts = np.floor(rng.lognormal(self.int_mu, self.int_sigma, (rows, N_INT)))
        counts = np.minimum(counts, 10**INT_WIDTH - 1).astype(np.int64)
        counts[rng.random((rows, N_INT)) < self.int_missing] = -1
        ranks = np.empty((rows, N_CAT), np.int64)
        for j in range(N_CAT):
            ranks[:, j] = (rng.zipf(self.zipf_a[j], rows) - 1) % self.card[j]
        ranks[rng.random((rows, N_CAT)) < self.cat_missing] = -1
        logit = self.logit(counts, ranks)
        labels = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int8)
        return labels, counts, ranks

    def logit(self, counts, ranks):
        bins = np.floor(np.log2(1.0 + np.maximum(counts, 0)))
        present = counts >= 0
        z = np.full(len(counts), self.intercept)
        z += ((bins - 3.0) * self.int_w * present).sum(axis=1)
        for j in range(N_CAT):
            w = hashed_normal(ranks[:, j], 1000 + j, self.cat_scale[j])
            z += np.where(ranks[:, j] >= 0, w, 0.0)
        for a, b, salt in [(0, 1, 7), (2, 3, 8)]:
            key = ranks[:, a] * 1_000_003 + ranks[:, b]
            both = (ranks[:, a] >= 0) & (ranks[:, b] >= 0)
            z += np.where(both, hashed_normal(key, salt, 0.6), 0.0)
        key = bins[:, 0].astype(np.int64) * 1_000_003 + ranks[:, 4]
        z += np.where(present[:, 0] & (ranks[:, 4] >= 0), hashed_normal(key, 9, 0.4), 0.0)
        return z

    def calibrate(self, rate):
        """Sets the intercept so that the mean click probability is `rate` (bisection on a
        pilot sample drawn from a stream of its own)."""
        rng_index = 1 << 40
        _, counts, ranks = self.draw(rng_index, 20_000)
        self.intercept = 0.0
        base = self.logit(counts, ranks)
        lo, hi = -20.0, 20.0
        for _ in range(60):
            mid = (lo + hi) / 2
            if np.mean(1 / (1 + np.exp(-(base + mid)))) < rate:
                lo = mid
            else:
                hi = mid
        self.intercept = (lo + hi) / 2

    def tokens(self, ranks, j):
        """Column j's hex token values (uint32) for its ranks."""
        h = mix64(ranks.astype(np.uint64) + np.uint64((j + 1) << 32) + np.uint64(self.seed << 40))
        return (h & np.uint64(0xFFFFFFFF)).astype(np.uint32)


HEX = np.frombuffer(b"0123456789abcdef", np.uint8)


def const(rows, text):
    return np.broadcast_to(np.frombuffer(text.encode(), np.uint8), (rows, len(text)))


def digits(values, missing_pad=True):
    """Right-aligned decimal digits of non-negative ints, padded; -1 is all padding."""
    rows = len(values)
    out = np.full((rows, INT_WIDTH), PAD, np.uint8)
    v = np.maximum(values, 0)
    for k in range(INT_WIDTH):
        place = 10 ** (INT_WIDTH - 1 - k)
        d = (v // place) % 10
        show = (v >= place) | (k == INT_WIDTH - 1)
        out[:, k] = np.where(show, 48 + d, PAD)
    if missing_pad:
        out[values < 0] = PAD
    return out


def hex8(tokens, missing):
    out = np.empty((len(tokens), 8), np.uint8)
    for k in range(8):
        out[:, k] = HEX[(tokens >> np.uint32(28 - 4 * k)) & np.uint32(0xF)]
    out[missing] = PAD
    return out


def squeeze(parts):
    mat = np.concatenate(parts, axis=1)
    return mat[mat != PAD].tobytes()


def csv_chunk(truth, labels, counts, ranks):
    rows = len(labels)
    parts = [(48 + labels).astype(np.uint8)[:, None]]
    for j in range(N_INT):
        parts += [const(rows, ","), digits(counts[:, j])]
    for j in range(N_CAT):
        parts += [const(rows, ","), hex8(truth.tokens(ranks[:, j], j), ranks[:, j] < 0)]
    parts.append(const(rows, "\n"))
    return squeeze(parts)


def vw_chunk(truth, labels, counts, ranks):
    rows = len(labels)
    sign = np.where(labels == 1, PAD, ord("-")).astype(np.uint8)[:, None]
    parts = [sign, const(rows, "1 |i")]
    for j in range(N_INT):
        prefix = np.array(const(rows, f" I{j + 1}="))
        prefix[counts[:, j] < 0] = PAD
        parts += [prefix, digits(counts[:, j])]
    parts.append(const(rows, " |c"))
    for j in range(N_CAT):
        prefix = np.array(const(rows, f" C{j + 1}="))
        prefix[ranks[:, j] < 0] = PAD
        parts += [prefix, hex8(truth.tokens(ranks[:, j], j), ranks[:, j] < 0)]
    parts.append(const(rows, "\n"))
    return squeeze(parts)


def open_out(path):
    if path.endswith(".gz"):
        return gzip.open(path, "wb", compresslevel=6)
    return open(path, "wb")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--out", required=True, help="CSV file (.csv or .csv.gz)")
    p.add_argument("--vw", help="also write the rows in Vowpal Wabbit text format here")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rate", type=float, default=0.2, help="the share of clicks (default 0.2)")
    args = p.parse_args()
    truth = Truth(args.seed)
    truth.calibrate(args.rate)
    header = ",".join(["label"] + [f"I{j + 1}" for j in range(N_INT)]
                      + [f"C{j + 1}" for j in range(N_CAT)])
    csv = open_out(args.out)
    csv.write((header + "\n").encode())
    vw = open_out(args.vw) if args.vw else None
    clicks = 0
    for index, start in enumerate(range(0, args.rows, CHUNK)):
        rows = min(CHUNK, args.rows - start)
        labels, counts, ranks = truth.draw(index, rows)
        clicks += int(labels.sum())
        csv.write(csv_chunk(truth, labels, counts, ranks))
        if vw:
            vw.write(vw_chunk(truth, labels, counts, ranks))
    csv.close()
    if vw:
        vw.close()
    print(f"{args.rows} rows, {clicks / max(args.rows, 1):.3f} clicks", file=sys.stderr)


if __name__ == "__main__":
    main()
