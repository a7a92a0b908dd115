#!/usr/bin/env bash
# bench.sh — benchmark a cluster's release binary directly and through the real ContextForge.
#
#   scripts/bench.sh [cluster] [tool] [json-args]      default: sanctuary-utils calculator_add '{"a":1,"b":2}'
#
# Builds the release binary and fleet-bench, runs `fleet-bench cluster` (latency open/fresh
# session, SSE, 32 concurrent sessions, idle/peak RSS, start-to-healthy), then starts ContextForge
# on a free port, registers the cluster over Streamable HTTP and over SSE, and runs
# `fleet-bench gateway` for each (POST /rpc tool calls beside the gateway's own ping).
# Prints Markdown for docs/BENCHMARKS.md. Nothing else should run on the machine meanwhile.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CLUSTER=${1:-sanctuary-utils}
TOOL=${2:-calculator_add}
ARGS=${3:-'{"a":1,"b":2}'}
GW_TOOL="$CLUSTER-${TOOL//_/-}"

cargo build --release -q -p "$CLUSTER" -p fleet-bench
BENCH=target/release/fleet-bench
echo "### $CLUSTER, direct ($(date -u +%Y-%m-%d), $(nproc) cores, $(git rev-parse --short HEAD))"
echo
"$BENCH" cluster --bin "target/release/$CLUSTER" --tool "$TOOL" --args "$ARGS"
echo
ls -l "target/release/$CLUSTER" | awk '{printf "Release binary size: %.1f MiB (stripped).\n", $5/1048576}'
echo

scripts/setup.sh contextforge >/dev/null
GW_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export CF_PORT=$GW_PORT CF_STATE="$ROOT/.cache/contextforge/bench-$GW_PORT"
GW_PID=$(scripts/contextforge.sh start 2>/dev/null)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; scripts/contextforge.sh stop "$GW_PID" >/dev/null; rm -rf "$CF_STATE"' EXIT
SECRET=$(scripts/contextforge.sh secret)
TOKEN=$(scripts/contextforge.sh token)

for transport in mcp sse; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  name="$CLUSTER-$transport"
  PORT=$port HOST=127.0.0.1 RUST_LOG=warn FLEET_ALLOW_LOOPBACK=1 MCP_GATEWAY_URL="http://127.0.0.1:$GW_PORT" \
    MCPGATEWAY_JWT_SECRET="$SECRET" FLEET_GATEWAY_NAME="$name" FLEET_ADVERTISE_URL="http://127.0.0.1:$port/$transport" \
    "target/release/$CLUSTER" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 1 200); do
    curl -s "http://127.0.0.1:$port/health" | grep -q '"state":"registered"' && break; sleep 0.1
  done
  echo "### $CLUSTER through ContextForge 1.1.0, registered over $([[ $transport == mcp ]] && echo 'Streamable HTTP' || echo 'SSE')"
  echo
  "$BENCH" gateway --url "http://127.0.0.1:$GW_PORT" --token "$TOKEN" --tool "$name-${TOOL//_/-}" --args "$ARGS" --n 100
  echo
done
