#!/usr/bin/env bash
# Builds the Python package (crates/axon-py) into a fresh virtual environment and runs its
# tests: a venv (the first argument, default $CARGO_TARGET_DIR/py-ci-venv or target/py-ci-venv)
# made from scratch, maturin and the test dependencies from pip, the wheel built in release mode
# with the same CARGO_TARGET_DIR as cargo (so the library is not compiled twice), then pytest on
# crates/axon-py/tests. The tests also run the `axon` binary when one is built there.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="${1:-$target/py-ci-venv}"
python="${PYTHON:-python3}"

start=$(date +%s)
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "maturin>=1.9.4,<2" numpy scipy scikit-learn pandas pytest
echo "python_ci: venv ready in $(( $(date +%s) - start ))s"

export CARGO_TARGET_DIR="$target"
(cd "$root/crates/axon-py" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" \
    "$venv/bin/maturin" develop --release --quiet)
echo "python_ci: wheel built and installed at $(( $(date +%s) - start ))s"

(cd "$root/crates/axon-py" && "$venv/bin/python" -m pytest -q tests)
echo "python_ci: done in $(( $(date +%s) - start ))s"
