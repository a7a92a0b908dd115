#!/usr/bin/env bash
# bench-cortex.sh — benchmark sanctuary-cortex: ingest throughput (chunks/s) on a corpus of at least
# 5 MiB of text with the local embedder, query latency cold and warm, cache-hit latency, peak RSS.
#
#   scripts/bench-cortex.sh [corpus-dir]      default: .cache/bench/cortex-corpus (built if missing)
#
# The default corpus is real text: the .md and .rs files of a fixed list of crates from this
# workspace's Cargo.lock (tokio, serde_json, reqwest, hyper, rmcp, candle, ...), read from cargo's
# registry, copied until 5.5 MiB. It starts its own ChromaDB on a free loopback port
# (scripts/setup.sh chroma) and uses the fetched model (scripts/setup.sh model); the driver is
# crates/cortex/examples/cortex_bench.rs. Prints Markdown for docs/BENCHMARKS.md. Nothing else
# should run on the machine meanwhile; the load average is printed with the results.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CORPUS=${1:-$ROOT/.cache/bench/cortex-corpus}

scripts/setup.sh chroma model >/dev/null
if [[ ! -d "$CORPUS" ]]; then
  cargo metadata --format-version 1 --locked > "$ROOT/.cache/bench-metadata.json"
  python3 - "$ROOT/.cache/bench-metadata.json" "$CORPUS" <<'PY'
import json, os, shutil, sys
meta = json.load(open(sys.argv[1]))
dest = sys.argv[2]
want = ["tokio", "serde_json", "serde", "reqwest", "hyper", "h2", "rmcp", "axum", "candle-core", "candle-nn",
        "candle-transformers", "tokenizers", "rusqlite", "regex", "regex-syntax", "tracing", "tracing-subscriber",
        "futures-util", "url", "rustls", "http", "ignore", "text-splitter"]
pkgs = {}
for p in meta["packages"]:
    if p["source"] and p["name"] in want:
        pkgs.setdefault(p["name"], p)  # the first (any) version in the lock file
target, total = 5.5 * 1024 * 1024, 0
for name in want:
    p = pkgs.get(name)
    if not p:
        continue
    root = os.path.dirname(p["manifest_path"])
    for d, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for f in sorted(files):
            if not f.endswith((".rs", ".md")):
                continue
            src = os.path.join(d, f)
            size = os.path.getsize(src)
            if size > 1024 * 1024:
                continue
            rel = os.path.join(f"{name}-{p['version']}", os.path.relpath(src, root))
            os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
            shutil.copyfile(src, os.path.join(dest, rel))
            total += size
            if total >= target:
                print(f"corpus: {total} bytes in {dest}", file=sys.stderr)
                sys.exit(0)
sys.exit(f"corpus: only {total} bytes found")
PY
fi

cargo build --release -q -p sanctuary-cortex --bin sanctuary-cortex --example cortex_bench
echo "### sanctuary-cortex ($(date -u +%Y-%m-%d), $(nproc) cores, $(git rev-parse --short HEAD))"
echo
target/release/examples/cortex_bench --bin target/release/sanctuary-cortex --corpus "$CORPUS"
echo
ls -l target/release/sanctuary-cortex | awk '{printf "Release binary size: %.1f MiB (stripped).\n", $5/1048576}'
