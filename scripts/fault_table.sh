#!/usr/bin/env bash
# The fault classes of the hardening campaign, run against the built `axon`, one line each:
# what was tried, the exit code, and the last message axon gave (its error, or a warning). It exists so that the
# table in the closing note of "Hardening" can be produced again by anyone, on any build:
#
#     cargo build --release -p axon-cli && bash scripts/fault_table.sh [path/to/axon]
#
# Exit 0 is a success, 2 an error with a message; 101 (a panic) or 134 (an abort) would be bugs.
set -u
AXON=${1:-${CARGO_TARGET_DIR:-target}/release/axon}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
cd "$ROOT"

"$AXON" fit --data data/chd_age.csv --target chd --out "$D/m.axon" >/dev/null 2>&1
"$AXON" train --data data/iris.csv --epochs 1 --quiet --out "$D/net.axon" >/dev/null 2>&1
printf 'age,chd\n20,0\nabc,1\n30,1\n' > "$D/typo.csv"
for i in $(seq 1 40); do echo "$((20 + i)),$((i % 2))"; done >> "$D/typo.csv"
printf 'x,y\n1,0\n1e300,1\n2,0\n3,1\n' > "$D/huge.csv"
python3 - "$D" <<'PY'
import json, struct, sys
d = sys.argv[1]
def parts(name):
    raw = open(f"{d}/{name}", "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    return raw, n, json.loads(raw[8:8 + n])
raw, n, header = parts("net.axon")
meta = json.loads(header["__metadata__"]["axon"])
meta["model"]["architecture"]["hidden"] = [2147483648]
header["__metadata__"]["axon"] = json.dumps(meta)
text = json.dumps(header).encode()
open(f"{d}/bad_arch.axon", "wb").write(struct.pack("<Q", len(text)) + text + raw[8 + n:])
raw, n, header = parts("m.axon")
# A NaN coefficient: the first f64 of the data section.
body = bytearray(raw)
body[8 + n:8 + n + 8] = struct.pack("<d", float("nan"))
open(f"{d}/nan.axon", "wb").write(bytes(body))
PY
mkfifo "$D/fifo"
ln -s /dev/null "$D/link"

row() {
    local what=$1; shift
    timeout 60 "$@" >/dev/null 2>"$D/err" </dev/null
    local rc=$?
    local out
    out=$(grep -E '^(axon: |error: )' "$D/err" | grep -v '^axon: training ' | tail -1)
    printf '| %s | %s | %s |\n' "$what" "$rc" "${out:0:160}"
}

echo "| fault | exit | message (stderr) |"
echo "|---|---|---|"
row "--out onto /dev/full" "$AXON" fit --data data/chd_age.csv --target chd --out /dev/full
row "--out onto a FIFO" "$AXON" fit --data data/chd_age.csv --target chd --out "$D/fifo"
row "--out onto a symlink" "$AXON" fit --data data/chd_age.csv --target chd --out "$D/link"
row "stdout a full device" sh -c "'$AXON' fit --data data/chd_age.csv --target chd > /dev/full"
row "stdout a closed pipe" bash -c "set -o pipefail; '$AXON' eval --model '$D/m.axon' --data data/chd_age.csv | head -c 0"
row "train --model mlp:100000000000" "$AXON" train --data data/iris.csv --model mlp:100000000000
row "train --model mlp:4611686018427387904" "$AXON" train --data data/iris.csv --model mlp:4611686018427387904
row "model file: hidden [2147483648]" "$AXON" eval --model "$D/bad_arch.axon" --data data/iris.csv
row "model file: NaN coefficient" "$AXON" predict --model "$D/nan.axon" --data data/chd_age.csv --proba
row "typo 'abc' in a numeric column" "$AXON" fit --data "$D/typo.csv" --target chd
row "gd divergence (--lr 1e10)" "$AXON" fit --data data/chd_age.csv --target chd --solver gd --lr 1e10
row "one value 1e300" "$AXON" fit --data "$D/huge.csv" --target y
row "resume from a missing checkpoint" "$AXON" train --data data/iris.csv --epochs 2 --checkpoint "$D/none.ckpt" --resume
row "LibSVM file to a table command" "$AXON" train --data data/heart_scale --target y
row "unknown --target" "$AXON" fit --data data/chd_age.csv --target nope
