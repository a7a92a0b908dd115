#!/usr/bin/env bash
# bench-network.sh — sanctuary-network against mcp-server-fetch: fetch + convert a 1 MB HTML page
# served on loopback, both servers on stdio, in the same run.
#
#   scripts/bench-network.sh [n] [size]     n = timed calls per server (default 30), size in bytes (default 1 MiB)
#
# Installs mcp-server-fetch (PyPI, pinned) into .cache/peers/fetch, builds the release binary, and
# runs scripts/bench_network.py, which serves the page, interleaves the servers call by call, and
# reports p50/p90/max latency, idle and peak RSS. Both servers fetch and convert the whole page on
# every call: robots.txt is off on both (the page server has none anyway), sanctuary-network's
# page cache is off (NET_FETCH_CACHE_TTL=0), and loopback is allowed (NET_ALLOW=127.0.0.1 /
# --allow-private-ips). A third row shows sanctuary-network with its defaults, where paginated
# follow-up calls are served from the converted-page cache. Prints Markdown for docs/BENCHMARKS.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
N=${1:-30}
SIZE=${2:-1048576}
PEER_VERSION=${MCP_SERVER_FETCH_VERSION:-2026.10.24}
PEER="$ROOT/.cache/peers/fetch"

if ! "$PEER/bin/python" -c "import importlib.metadata as m; assert m.version('mcp-server-fetch') == '$PEER_VERSION'" 2>/dev/null; then
  python3 -m venv "$PEER"
  "$PEER/bin/pip" install -q --upgrade pip
  "$PEER/bin/pip" install -q "mcp-server-fetch==$PEER_VERSION"
fi
cargo build --release -q -p sanctuary-network
BIN="$ROOT/target/release/sanctuary-network"

echo "### sanctuary-network vs mcp-server-fetch $PEER_VERSION ($(date -u +%Y-%m-%d), $(nproc) cores, $(git rev-parse --short HEAD))"
echo
python3 scripts/bench_network.py run -n "$N" --size "$SIZE" \
  --server "sanctuary-network=env NET_ALLOW=127.0.0.1 NET_IGNORE_ROBOTS_TXT=1 NET_FETCH_CACHE_TTL=0 $BIN" \
  --server "mcp-server-fetch=$PEER/bin/mcp-server-fetch --allow-private-ips --ignore-robots-txt" \
  --server "sanctuary-network (defaults, page cache)=env NET_ALLOW=127.0.0.1 $BIN"
