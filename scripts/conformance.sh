#!/usr/bin/env bash
# conformance.sh — run the official MCP conformance suite (@modelcontextprotocol/conformance) against
# a Streamable HTTP endpoint and print a compact summary.
#
#   scripts/conformance.sh URL [BASELINE.yml|-] [extra suite args, e.g. --scenario ping | --suite all]
#
# Installs the pinned suite into .cache/node on first use; on Node < 22 loads
# scripts/conformance-node20.mjs. Full log: $OUT_DIR/conformance.log (default
# .cache/conformance/<host_port>), per-check JSON in $OUT_DIR/results/. Exit code is the suite's:
# 0 when every scenario passes (or, with a baseline, fails only as listed). The suite's own
# "Total: N passed, M failed" line is rewritten, so a log reader does not mistake it for a test
# runner's result line.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
URL=${1:?usage: conformance.sh URL [BASELINE.yml|-] [args...]}
BASELINE=${2:--}
shift $(( $# >= 2 ? 2 : 1 ))
VER=${CONFORMANCE_VERSION:-0.1.16}
NODE_DIR="$ROOT/.cache/node"
CF="$NODE_DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"
slug=$(sed -e 's#^[a-z]*://##' -e 's#[/:]#_#g' <<<"$URL")
OUT=${OUT_DIR:-$ROOT/.cache/conformance/$slug}

if ! grep -q "\"version\": \"$VER\"" "$NODE_DIR/node_modules/@modelcontextprotocol/conformance/package.json" 2>/dev/null; then
  mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && { [[ -f package.json ]] || npm init -y >/dev/null; } &&
    npm install --no-audit --no-fund --loglevel=error "@modelcontextprotocol/conformance@$VER" >/dev/null) ||
    { echo "conformance: installing @modelcontextprotocol/conformance@$VER failed" >&2; exit 3; }
fi
NODE_ARGS=()
if [[ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]]; then
  NODE_ARGS=(--import "$ROOT/scripts/conformance-node20.mjs")
fi
BASE_ARGS=()
[[ "$BASELINE" != "-" ]] && BASE_ARGS=(--expected-failures "$BASELINE")
rm -rf "$OUT"; mkdir -p "$OUT/results"
node "${NODE_ARGS[@]}" "$CF" server --url "$URL" -o "$OUT/results" "${BASE_ARGS[@]}" "$@" > "$OUT/conformance.log" 2>&1
rc=$?
sed -e 's/\x1b\[[0-9;]*m//g' "$OUT/conformance.log" |
  sed -n -e '/^[✓✗] /p' \
         -e 's/^Total: \([0-9]*\) passed, \([0-9]*\) failed.*/conformance: \1 checks ok, \2 not ok/p' \
         -e 's/^Passed: \([0-9]*\)\/\([0-9]*\), \([0-9]*\) failed.*/conformance: \1 of \2 checks ok, \3 not ok/p' \
         -e '/Baseline check/p' -e '/Unexpected\|Stale/p'
echo "conformance: exit=$rc url=$URL suite=$VER log=${OUT#$ROOT/}/conformance.log"
exit $rc
