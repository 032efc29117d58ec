#!/usr/bin/env python3
"""Parquet files written by pyarrow for `crates/axon/tests/parquet.rs`, so that axon's Parquet
reader is checked against files made the way data scientists make them, not only against files
it wrote itself.

Writes into `crates/axon/tests/fixtures/parquet/`:

- `lbw.parquet`: `data/lbw.csv` as `pyarrow.csv.read_csv` reads it (int64 columns, `race` a
  string), written with pyarrow's defaults (snappy compression, dictionary pages) but in two row
  groups (100 + 89 rows), so that the reader's parallel path over row groups runs.
- `typed.parquet` and its twin `typed.csv`: 40 rows of an int64 column `count` (negative values
  and 2^53 + 1, which both readers round to the same double), a float64 column `x` of 17-digit
  values (written to the CSV with Python's shortest round-trip `repr`), a boolean `flag` (0/1 in
  the CSV), a string column `city` (non-ASCII and mixed case, to check byte-order levels), a
  dictionary-encoded string column `grade` whose dictionary has a value no row uses, a
  `decimal128(10, 3)` column `price`, and a float64 column `score` with nulls. Rows 7 and 23
  have a null `score` and row 30 a null `city` (empty fields in the CSV, which the CSV reader
  takes as missing).

Run from anywhere (needs `pip install pyarrow`):

    python3 scripts/reference/make_parquet_fixtures.py

The output is deterministic (seeded generator, no timestamps in the files); rerun it only when
the fixtures change.
"""

import csv
import random
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "axon" / "tests" / "fixtures" / "parquet"

ROWS = 40
NULL_SCORE_ROWS = {7, 23}  # 1-based
NULL_CITY_ROWS = {30}
CITIES = ["Zürich", "amsterdam", "Berlin", "Ängelholm", "berlin", "Oslo"]
GRADES = ["A", "B", "C", "unused"]  # the dictionary; no row has "unused"


def write_lbw():
    table = pacsv.read_csv(ROOT / "data" / "lbw.csv")
    path = OUT / "lbw.parquet"
    pq.write_table(table, path, row_group_size=100)
    groups = pq.ParquetFile(path).metadata.num_row_groups
    assert groups == 2, f"{path}: {groups} row groups, expected 2"


def typed_rows(rng):
    rows = []
    for i in range(1, ROWS + 1):
        count = rng.randint(-1000, 1000) if i != 5 else 2**53 + 1
        x = rng.gauss(0.0, 1.0) if i != 3 else 0.1 + 0.2  # 0.30000000000000004
        price = Decimal(rng.randint(-99999, 99999)).scaleb(-3)
        score = None if i in NULL_SCORE_ROWS else rng.random() * 100
        city = None if i in NULL_CITY_ROWS else CITIES[rng.randrange(len(CITIES))]
        rows.append({
            "count": count,
            "x": x,
            "flag": rng.random() < 0.5,
            "city": city,
            "grade": rng.randrange(3),  # an index into GRADES, never "unused"
            "price": price,
            "score": score,
        })
    return rows


def write_typed(rows):
    table = pa.table({
        "count": pa.array([r["count"] for r in rows], pa.int64()),
        "x": pa.array([r["x"] for r in rows], pa.float64()),
        "flag": pa.array([r["flag"] for r in rows], pa.bool_()),
        "city": pa.array([r["city"] for r in rows], pa.string()),
        "grade": pa.DictionaryArray.from_arrays(
            pa.array([r["grade"] for r in rows], pa.int32()), pa.array(GRADES, pa.string())
        ),
        "price": pa.array([r["price"] for r in rows], pa.decimal128(10, 3)),
        "score": pa.array([r["score"] for r in rows], pa.float64()),
    })
    pq.write_table(table, OUT / "typed.parquet")
    back = pq.read_table(OUT / "typed.parquet")
    assert pa.types.is_dictionary(back.schema.field("grade").type), back.schema


def write_typed_csv(rows):
    with open(OUT / "typed.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["count", "x", "flag", "city", "grade", "price", "score"])
        for r in rows:
            out.writerow([
                str(r["count"]),
                repr(r["x"]),
                "1" if r["flag"] else "0",
                "" if r["city"] is None else r["city"],
                GRADES[r["grade"]],
                str(r["price"]),
                "" if r["score"] is None else repr(r["score"]),
            ])


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    write_lbw()
    rows = typed_rows(random.Random(20240610))
    write_typed(rows)
    write_typed_csv(rows)
    total = sum(p.stat().st_size for p in OUT.iterdir())
    assert total < 100_000, f"fixtures take {total} bytes"
    for path in sorted(OUT.iterdir()):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
