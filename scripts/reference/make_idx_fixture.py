#!/usr/bin/env python3
"""A small gzipped IDX folder for `crates/axon-cli/tests/idx_gz.rs` (`axon train/eval/predict` on
gzipped IDX files, as Fashion-MNIST ships them).

Takes the first 200 training and the first 50 test images of Fashion-MNIST from the project's
shared data folder (`../shared/data/fashion-mnist/*-ubyte.gz`, the original release) and writes
them, with their labels, in the same format and under the same names to
`crates/axon-cli/tests/fixtures/fashion-idx-small/`: big-endian IDX headers (magic 0x803 with
count, 28, 28 for images; 0x801 with count for labels), then the bytes, gzipped with the
modification time 0 so that a rerun writes the same bytes. Only the Python standard library is
needed:

    python3 scripts/reference/make_idx_fixture.py [SHARED_FASHION_MNIST_FOLDER]
"""

import gzip
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT.parent / "shared" / "data" / "fashion-mnist"
OUT = ROOT / "crates" / "axon-cli" / "tests" / "fixtures" / "fashion-idx-small"
COUNTS = {"train": 200, "t10k": 50}


def read_idx(path: Path):
    data = gzip.decompress(path.read_bytes())
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return magic, list(dims), data[4 + 4 * ndim :]


def write_idx(path: Path, magic: int, dims: list, body: bytes) -> None:
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * len(dims), *dims)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(header + body)


def main() -> int:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    OUT.mkdir(parents=True, exist_ok=True)
    for split, n in COUNTS.items():
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{split}-{kind}-ubyte.gz"
            magic, dims, body = read_idx(source / name)
            item = 1
            for d in dims[1:]:
                item *= d
            write_idx(OUT / name, magic, [n] + dims[1:], body[: n * item])
            print(f"wrote {OUT.relative_to(ROOT) / name}: {n} of {dims[0]} items")
    return 0


if __name__ == "__main__":
    sys.exit(main())
