#!/usr/bin/env python3
"""Times reading a CSV file into memory: axon's `read_csv` (the `bench_read` example), pandas'
`read_csv` (C engine) and polars' `read_csv`, each in a process of its own, and prints one table of
seconds and MB/s. It exists to keep "data in at disk speed" measured rather than asserted.

The data are made here, in a temporary folder that is removed afterwards, with a seeded numpy
generator: ROWS x FEATURES standard normal values written with their shortest round-trip
representation (16-17 significant digits) and a 0/1 label, about 400 MB at the default size. The
adult data set (../shared/data/adult/adult.csv.gz beside the repository) is timed too when present.

Needs numpy, pandas and polars, e.g. in a virtual environment outside the repository:

    python3 -m venv ~/bench-venv && ~/bench-venv/bin/pip install numpy pandas polars
    ~/bench-venv/bin/python scripts/bench_read.py [--rows 200000] [--threads 2]

Every reader gets `--threads` threads (RAYON_NUM_THREADS, POLARS_MAX_THREADS; pandas' C engine has
one). `--axon LABEL=PATH` adds another build of the example, e.g. one of an older commit.
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


def make_numeric(path, rows, features, seed):
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, features))
    columns = {f"x{j}": x[:, j] for j in range(features)}
    columns["label"] = (rng.random(rows) < 0.5).astype(np.int64)
    pl.DataFrame(columns).write_csv(path)


def build_axon():
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "axon", "--example", "bench_read"],
        cwd=ROOT,
        check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "examples" / "bench_read"


def run(command, threads):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads), POLARS_MAX_THREADS=str(threads))
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
    args = parser.parse_args()

    readers = [("axon", [str(build_axon())])]
    for item in args.axon:
        label, path = item.split("=", 1)
        readers.append((label, [path]))
    readers += [
        ("pandas", [sys.executable, "-c", PANDAS]),
        ("polars", [sys.executable, "-c", POLARS]),
    ]
    with tempfile.TemporaryDirectory() as folder:
        files = [Path(folder) / f"numeric_{args.rows}x{args.features}.csv"]
        make_numeric(files[0], args.rows, args.features, args.seed)
        if Path(args.adult).exists():
            files.append(Path(args.adult))
        print(f"{'file':<28} {'MB':>8} {'reader':<14} {'rows':>8} {'seconds':>8} {'MB/s':>8}")
        for path in files:
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


if __name__ == "__main__":
    main()
