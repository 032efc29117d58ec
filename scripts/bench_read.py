#!/usr/bin/env python3
"""Times reading a table into memory: a CSV file by axon's `read_csv` (the `bench_read` example),
pandas' `read_csv` (C engine) and polars' `read_csv`, and a Parquet file by axon's `read_parquet`
(the same example), `pyarrow.parquet.read_table` and `pandas.read_parquet`, each in a process of
its own, and prints one table of seconds and MB/s. It exists to keep "data in at disk speed"
measured rather than asserted.

The data are made here, in a temporary folder that is removed afterwards, with a seeded numpy
generator: ROWS x FEATURES standard normal values and a 0/1 label, written as CSV with their
shortest round-trip representation (16-17 significant digits; about 400 MB at the default size)
and as Parquet by pyarrow with its defaults (snappy, float64 columns). The adult data set
(../shared/data/adult/adult.csv.gz beside the repository) is timed too when present. Last, the
whole job a user runs is timed end to end, each as one process with its start-up and peak memory:
`axon fit --data FILE --target label --penalty l2 --alpha 1` (Newton, and L-BFGS) against
`pandas.read_csv` + scikit-learn's `LogisticRegression(C=1).fit` (`--no-fit` skips it).

Needs numpy, pandas, polars, pyarrow and scikit-learn, e.g. in a virtual environment outside the
repository:

    python3 -m venv ~/bench-venv
    ~/bench-venv/bin/pip install numpy pandas polars pyarrow scikit-learn
    ~/bench-venv/bin/python scripts/bench_read.py [--rows 200000] [--threads 2]

Every reader gets `--threads` threads (RAYON_NUM_THREADS, POLARS_MAX_THREADS, pyarrow's CPU and
I/O pools; pandas' C CSV engine has one). `--axon LABEL=PATH` adds another build of the example,
e.g. one of an older commit.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PANDAS = """
import json, sys, time
import pandas as pd
t = time.perf_counter()
df = pd.read_csv(sys.argv[1], engine="c", na_values=["?"])
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(df), "cols": df.shape[1]}))
"""

POLARS = """
import json, sys, time
import polars as pl
t = time.perf_counter()
df = pl.read_csv(sys.argv[1], null_values=["?"])
print(json.dumps({"seconds": time.perf_counter() - t, "rows": df.height, "cols": df.width}))
"""


PYARROW = """
import json, os, sys, time
import pyarrow as pa
import pyarrow.parquet as pq
threads = int(os.environ["BENCH_THREADS"])
pa.set_cpu_count(threads)
pa.set_io_thread_count(threads)
t = time.perf_counter()
table = pq.read_table(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - t, "rows": table.num_rows,
                  "cols": table.num_columns}))
"""

PANDAS_PARQUET = """
import json, os, sys, time
import pandas as pd
import pyarrow as pa
threads = int(os.environ["BENCH_THREADS"])
pa.set_cpu_count(threads)
pa.set_io_thread_count(threads)
t = time.perf_counter()
df = pd.read_parquet(sys.argv[1], engine="pyarrow")
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(df), "cols": df.shape[1]}))
"""


SKLEARN_FIT = """
import sys
import pandas as pd
from sklearn.linear_model import LogisticRegression
df = pd.read_csv(sys.argv[1], engine="c")
y = df.pop("label").to_numpy()
LogisticRegression(C=1.0).fit(df.to_numpy(), y)
"""


def timed_process(command, threads):
    """Wall seconds and peak resident MB of one process, start-up included, by GNU time (the
    rusage of a child forked from this Python would count this process's memory too)."""
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads))
    with tempfile.NamedTemporaryFile("r") as report:
        timed = ["/usr/bin/time", "-q", "-o", report.name, "-f", "%e %M"] + command
        subprocess.run(timed, env=env, stdout=subprocess.DEVNULL, check=True)
        seconds, kilobytes = report.read().split()
    return float(seconds), int(kilobytes) / 1024


def fit_end_to_end(csv_file, threads, repeat):
    """`axon fit` against pandas.read_csv + scikit-learn, each a whole process."""
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "axon-cli"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    axon_fit = [str(target / "release" / "axon"), "fit", "--data", str(csv_file), "--target",
                "label", "--penalty", "l2", "--alpha", "1"]
    runs = [
        ("axon fit (newton)", axon_fit),
        ("axon fit (lbfgs)", axon_fit + ["--solver", "lbfgs"]),
        ("pandas + sklearn", [sys.executable, "-c", SKLEARN_FIT, str(csv_file)]),
    ]
    print(f"\nEnd to end: read {csv_file.name} and fit an L2 logit (C = 1), start-up included")
    print(f"{'tool':<20} {'seconds':>8} {'peak MB':>8}")
    for label, command in runs:
        best = min(timed_process(command, threads) for _ in range(repeat))
        print(f"{label:<20} {best[0]:>8.2f} {best[1]:>8.0f}", flush=True)


def make_numeric(csv_path, parquet_path, rows, features, seed):
    import numpy as np
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, features))
    columns = {f"x{j}": x[:, j] for j in range(features)}
    columns["label"] = (rng.random(rows) < 0.5).astype(np.int64)
    pl.DataFrame(columns).write_csv(csv_path)
    pq.write_table(pa.table(columns), parquet_path)


def build_axon():
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "axon", "--example", "bench_read"],
        cwd=ROOT,
        check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "examples" / "bench_read"


def run(command, threads):
    env = dict(
        os.environ,
        RAYON_NUM_THREADS=str(threads),
        POLARS_MAX_THREADS=str(threads),
        BENCH_THREADS=str(threads),
    )
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs per reader; the best counts")
    parser.add_argument("--adult", default=str(ROOT.parent / "shared/data/adult/adult.csv.gz"))
    parser.add_argument("--axon", action="append", default=[], metavar="LABEL=PATH")
    parser.add_argument("--no-fit", action="store_true", help="skip the end-to-end fit")
    args = parser.parse_args()

    axon = [("axon", [str(build_axon())])]
    for item in args.axon:
        label, path = item.split("=", 1)
        axon.append((label, [path]))
    csv_readers = axon + [
        ("pandas", [sys.executable, "-c", PANDAS]),
        ("polars", [sys.executable, "-c", POLARS]),
    ]
    parquet_readers = axon + [
        ("pyarrow", [sys.executable, "-c", PYARROW]),
        ("pandas", [sys.executable, "-c", PANDAS_PARQUET]),
    ]
    with tempfile.TemporaryDirectory() as folder:
        name = f"numeric_{args.rows}x{args.features}"
        csv_file, parquet_file = Path(folder) / f"{name}.csv", Path(folder) / f"{name}.parquet"
        make_numeric(csv_file, parquet_file, args.rows, args.features, args.seed)
        files = [(csv_file, csv_readers)]
        if Path(args.adult).exists():
            files.append((Path(args.adult), csv_readers))
        files.append((parquet_file, parquet_readers))
        print(f"{'file':<28} {'MB':>8} {'reader':<14} {'rows':>8} {'seconds':>8} {'MB/s':>8}")
        for path, readers in files:
            mb = path.stat().st_size / 1e6
            for label, command in readers:
                best = None
                for _ in range(args.repeat):
                    result = run(command + [str(path)], args.threads)
                    if best is None or result["seconds"] < best["seconds"]:
                        best = result
                s = best["seconds"]
                print(f"{path.name:<28} {mb:>8.1f} {label:<14} {best['rows']:>8} {s:>8.3f} "
                      f"{mb / s:>8.1f}", flush=True)
        if not args.no_fit:
            fit_end_to_end(csv_file, args.threads, args.repeat)


if __name__ == "__main__":
    main()
