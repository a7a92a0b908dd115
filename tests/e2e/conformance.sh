#!/usr/bin/env bash
# conformance.sh — the official MCP conformance suite against fleet-core's fixture server (every
# active scenario must pass, no baseline) and against every cluster binary that exists (every
# generic scenario must pass; fixture-only scenarios are listed in tests/conformance/cluster-baseline.yml).
#
# Needs `scripts/setup.sh node` and the debug build (`cargo build --workspace --all-targets`).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BIN_DIR=${FLEET_BIN_DIR:-$ROOT/target/debug}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

run() {  # run NAME BINARY BASELINE
  local name=$1 bin=$2 baseline=$3 port
  port=$(free_port)
  PORT=$port HOST=127.0.0.1 FLEET_CONTAINER=0 RUST_LOG=warn "$bin" 2>"$ROOT/.cache/conformance-$name.log" &
  pids+=($!)
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
  echo "--- $name"
  scripts/conformance.sh "http://127.0.0.1:$port/mcp" "$baseline"
}

mkdir -p "$ROOT/.cache"
run fixture "$BIN_DIR/examples/conformance_fixture" -
for cluster in utils filesystem network git cortex; do
  bin="$BIN_DIR/sanctuary-$cluster"
  [[ -d "crates/$cluster" && -x "$bin" ]] || continue
  run "sanctuary-$cluster" "$bin" tests/conformance/cluster-baseline.yml
done
echo "conformance: fixture and every cluster as expected"
