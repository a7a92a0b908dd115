#!/usr/bin/env bash
# bench-git.sh — sanctuary-git against mcp-server-git on a large generated repository, both on stdio.
#
#   scripts/bench-git.sh [n]        n = timed calls per operation and server (default 30)
#
# Installs mcp-server-git (PyPI, pinned) into .cache/peers/git, builds the release binary, generates
# .cache/bench/big-repo with git fast-import (20,000 commits, 10,000 files, 20 files modified in the
# working tree; kept between runs), then times status, log (1000 entries), the unstaged diff and a
# diff against HEAD~100 through raw JSON-RPC on each server's stdin/stdout (scripts/bench_git.py).
# Prints Markdown for docs/BENCHMARKS.md. Nothing else should run on the machine meanwhile.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
N=${1:-30}
PEER_VERSION=${MCP_SERVER_GIT_VERSION:-2026.10.19}
PEER="$ROOT/.cache/peers/git"
REPO="$ROOT/.cache/bench/big-repo"

if ! "$PEER/bin/python" -c "import importlib.metadata as m; assert m.version('mcp-server-git') == '$PEER_VERSION'" 2>/dev/null; then
  python3 -m venv "$PEER"
  "$PEER/bin/pip" install -q --upgrade pip
  "$PEER/bin/pip" install -q "mcp-server-git==$PEER_VERSION"
fi
cargo build --release -q -p sanctuary-git
mkdir -p "$ROOT/.cache/bench"
python3 scripts/bench_git.py gen "$REPO"

echo "### sanctuary-git vs mcp-server-git $PEER_VERSION ($(date -u +%Y-%m-%d), $(nproc) cores, $(git rev-parse --short HEAD), git $(git --version | cut -d' ' -f3))"
echo
echo "Repository: $(git -C "$REPO" rev-list --count HEAD) commits, $(git -C "$REPO" ls-files | wc -l) files, 20 modified in the working tree."
echo
python3 scripts/bench_git.py run --repo "$REPO" -n "$N" \
  --server "sanctuary-git=$ROOT/target/release/sanctuary-git" \
  --server "mcp-server-git=$PEER/bin/mcp-server-git --repository $REPO"
