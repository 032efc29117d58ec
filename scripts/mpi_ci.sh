#!/usr/bin/env bash
# The MPI part of CI: builds axon with the cargo feature `mpi` (into the same CARGO_TARGET_DIR as
# the rest of CI; cargo keeps the two feature sets' artifacts apart) and runs the tests that
# start the binary under `mpirun --oversubscribe --allow-run-as-root -n 1|2|4`
# (crates/axon-cli/tests/mpi.rs, mpi_stream.rs). The communication layer's unit tests
# (`distributed`) and the input splitter's (`data/parts.rs`) are compiled without the feature
# too and run in the normal test run.
#
#   scripts/mpi_ci.sh
#
# Needs Open MPI and the libclang that rsmpi's bindgen uses:
#   apt-get install -y libopenmpi-dev openmpi-bin libclang-dev
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v mpirun >/dev/null; then
  echo "mpi_ci: mpirun not found: apt-get install -y libopenmpi-dev openmpi-bin libclang-dev" >&2
  exit 1
fi
started=$(date +%s)
cargo test --release -p axon-cli --features mpi --test mpi --test mpi_stream
echo "mpi_ci: passed in $(( $(date +%s) - started )) s"
