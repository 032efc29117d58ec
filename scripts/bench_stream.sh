#!/usr/bin/env bash
# One pass of online FTRL-Proximal logistic regression over a Criteo-like click log:
# `axon fit --stream` (on the CSV file, and on the same rows as a Vowpal Wabbit file) against
# Vowpal Wabbit itself (through its Python module, `vw` when on the PATH), with the same
# settings: 2^18 hashed columns, FTRL alpha 0.05, beta 1, no L1/L2, logistic loss, every
# column a `name=value` token. Prints rows/s, the final progressive log loss and the peak RSS
# of each run, against the file sizes.
#
#   scripts/bench_stream.sh [ROWS]          # default 1000000; the data go to /tmp/clicks
#
# Needs ~/bench-venv (numpy, for scripts/gen_clicks.py) and ~/vw-venv (pip install
# vowpalwabbit); builds axon with `cargo build --release` (CARGO_TARGET_DIR is honoured).
set -euo pipefail
ROWS=${1:-1000000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
DIR=${CLICKS_DIR:-/tmp/clicks}
CSV=$DIR/clicks_$ROWS.csv
VWF=$DIR/clicks_$ROWS.vw
mkdir -p "$DIR"
if [[ ! -s $CSV || ! -s $VWF ]]; then
  ~/bench-venv/bin/python "$HERE/scripts/gen_clicks.py" --rows "$ROWS" --out "$CSV" --vw "$VWF"
fi
(cd "$HERE" && cargo build --release -q -p axon-cli)
AXON=${CARGO_TARGET_DIR:-$HERE/target}/release/axon
COLS=$(python3 -c 'print(",".join([f"I{j}" for j in range(1,14)] + [f"C{j}" for j in range(1,27)]))')
FTRL=(--learner ftrl --ftrl-alpha 0.05 --ftrl-beta 1 --ftrl-l1 0 --stream-l2 0 --hash-bits 18)
VWARGS="--ftrl --ftrl_alpha 0.05 --ftrl_beta 1 --l1 0 --l2 0 -b 18 --loss_function logistic"

# Runs a command under /usr/bin/time -v; prints "seconds peak_kb" and leaves its stderr in $1.log.
timed() {
  local tag=$1; shift
  /usr/bin/time -v "$@" > "$DIR/$tag.out" 2> "$DIR/$tag.log"
  local wall peak
  wall=$(grep "Elapsed (wall clock)" "$DIR/$tag.log" | awk '{print $NF}' |
         awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  peak=$(grep "Maximum resident set size" "$DIR/$tag.log" | awk '{print $NF}')
  echo "$wall $peak"
}

read -r A_CSV_S A_CSV_KB < <(timed axon_csv "$AXON" fit --stream --data "$CSV" --target label --hash "$COLS" "${FTRL[@]}" --json)
read -r A_VW_S A_VW_KB < <(timed axon_vw "$AXON" fit --stream --data "$VWF" "${FTRL[@]}" --json)
if command -v vw > /dev/null; then
  read -r V_S V_KB < <(timed vw vw $VWARGS -d "$VWF")
else
  cat > "$DIR/run_vw.py" <<'PY'
import sys
from vowpalwabbit import pyvw
pyvw.Workspace(" ".join(sys.argv[1:])).finish()
PY
  read -r V_S V_KB < <(timed vw ~/vw-venv/bin/python "$DIR/run_vw.py" $VWARGS -d "$VWF")
fi

json() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
A_CSV_LOSS=$(json "$DIR/axon_csv.out" progressive_log_loss)
A_VW_LOSS=$(json "$DIR/axon_vw.out" progressive_log_loss)
V_LOSS=$(grep "^average loss" "$DIR/vw.log" | awk '{print $NF}')
V_ROWS=$(grep "^number of examples" "$DIR/vw.log" | awk '{print $NF}')
CSV_MB=$(( $(stat -c %s "$CSV") / 1000000 ))
VW_MB=$(( $(stat -c %s "$VWF") / 1000000 ))

echo
echo "One pass, FTRL-Proximal, 2^18 columns, $ROWS rows ($V_ROWS read by vw); $(nproc) cores"
printf "%-22s %10s %12s %14s %12s %10s\n" run file_MB seconds rows/s log_loss peak_MB
row() { printf "%-22s %10s %12.1f %14.0f %12.6f %10.0f\n" "$1" "$2" "$3" "$(echo "$ROWS / $3" | bc -l)" "$4" "$(echo "$5 / 1024" | bc -l)"; }
row "axon (CSV)" "$CSV_MB" "$A_CSV_S" "$A_CSV_LOSS" "$A_CSV_KB"
row "axon (VW file)" "$VW_MB" "$A_VW_S" "$A_VW_LOSS" "$A_VW_KB"
row "vw $(~/vw-venv/bin/python -c 'import vowpalwabbit; print(vowpalwabbit.__version__)')" "$VW_MB" "$V_S" "$V_LOSS" "$V_KB"
