#!/usr/bin/env bash
# inspector.sh — the MCP Inspector CLI (a real third-party client) lists and calls tools on a
# cluster over Streamable HTTP, SSE and stdio.
#
#   tests/e2e/inspector.sh [binary] [tool] [key=value ...]
#
# Defaults: sanctuary-utils, calculator_add a=2 b=40 (expects 42 in the result).
# Needs `scripts/setup.sh node` and a built binary (FLEET_BIN_DIR, default target/debug).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_DIR=${FLEET_BIN_DIR:-$ROOT/target/debug}
BIN="$BIN_DIR/${1:-sanctuary-utils}"
TOOL=${2:-calculator_add}
shift $(( $# >= 2 ? 2 : $# ))
ARGS=("$@"); [[ ${#ARGS[@]} -eq 0 ]] && ARGS=(a=2 b=40)
EXPECT=${INSPECTOR_EXPECT:-42}
INSPECTOR="$ROOT/.cache/node/node_modules/.bin/mcp-inspector"
[[ -x "$INSPECTOR" ]] || { echo "inspector.sh: run scripts/setup.sh node first" >&2; exit 2; }
export MCP_CATALOG_PATH="$ROOT/.cache/node/catalog"   # keep the Inspector out of ~/.mcp-inspector

fail=0; passed=0
check() {  # check NAME OUTPUT NEEDLE
  if grep -q -- "$3" <<<"$2"; then echo "ok   - $1"; passed=$((passed + 1)); else echo "FAIL - $1: $(head -c 400 <<<"$2")"; fail=$((fail + 1)); fi
}

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PORT=$PORT HOST=127.0.0.1 FLEET_CONTAINER=0 RUST_LOG=warn "$BIN" 2>/dev/null &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.1; done

name=$(basename "$BIN")
for transport in http sse; do
  path=$([[ $transport == http ]] && echo mcp || echo sse)
  url="http://127.0.0.1:$PORT/$path"
  out=$("$INSPECTOR" --cli "$url" --transport "$transport" --method tools/list 2>&1 || true)
  check "inspector $transport: tools/list on $name" "$out" "\"$TOOL\""
  out=$("$INSPECTOR" --cli "$url" --transport "$transport" --method tools/call --tool-name "$TOOL" --tool-arg "${ARGS[@]}" 2>&1 || true)
  check "inspector $transport: tools/call $TOOL" "$out" "$EXPECT"
done
out=$("$INSPECTOR" --cli -e RUST_LOG=warn -e FLEET_CONTAINER=0 "$BIN" --method tools/list 2>&1 || true)
check "inspector stdio: tools/list on $name" "$out" "\"$TOOL\""
out=$("$INSPECTOR" --cli -e RUST_LOG=warn -e FLEET_CONTAINER=0 "$BIN" --method tools/call --tool-name "$TOOL" --tool-arg "${ARGS[@]}" 2>&1 || true)
check "inspector stdio: tools/call $TOOL" "$out" "$EXPECT"

if [[ $fail -gt 0 ]]; then echo "inspector ($name): $fail checks FAILED"; exit 1; fi
echo "inspector ($name): all $passed checks passed"
