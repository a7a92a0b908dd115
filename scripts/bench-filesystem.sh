#!/usr/bin/env bash
# bench-filesystem.sh — sanctuary-filesystem's grep against ripgrep, and its directory_tree and
# search_files against @modelcontextprotocol/server-filesystem, on a generated tree of 53 248
# files (about 540 MB) under .cache/bench/tree (generated once, never committed).
#
#   scripts/bench-filesystem.sh [runs]      (default 5)
#
# Needs rg (Debian: apt-get install -y ripgrep; asked for, not installed silently), node and npm
# (server-filesystem is installed into .cache/bench/node), and builds the release binary.
# Prints Markdown for docs/BENCHMARKS.md. Nothing else should run on the machine meanwhile.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUNS=${1:-5}
PEER_VERSION=${PEER_VERSION:-2026.8.31}
BENCH="$ROOT/.cache/bench"
PEER_DIR="$BENCH/node"
PEER="$PEER_DIR/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js"

command -v rg >/dev/null || { echo "bench-filesystem: ripgrep is missing (apt-get install -y ripgrep)" >&2; exit 2; }
if ! grep -q "\"version\": \"$PEER_VERSION\"" "$PEER_DIR/node_modules/@modelcontextprotocol/server-filesystem/package.json" 2>/dev/null; then
  mkdir -p "$PEER_DIR"
  ( cd "$PEER_DIR" && { [[ -f package.json ]] || npm init -y >/dev/null; } &&
    npm install --no-audit --no-fund --loglevel=error "@modelcontextprotocol/server-filesystem@$PEER_VERSION" >/dev/null )
fi
cargo build --release -q -p sanctuary-filesystem
echo "### sanctuary-filesystem against ripgrep and server-filesystem ($(date -u +%Y-%m-%d), $(nproc) cores, $(git rev-parse --short HEAD))"
echo
python3 scripts/bench_filesystem.py --tree "$BENCH/tree" --bin target/release/sanctuary-filesystem \
  --peer "$PEER" --runs "$RUNS"
echo
ls -l target/release/sanctuary-filesystem | awk '{printf "Release binary size: %.1f MiB (stripped).\n", $5/1048576}'
