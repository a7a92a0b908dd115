#!/usr/bin/env bash
# test.sh — run every test of the workspace: formatting, lints, unit and integration tests, the
# end-to-end suites against real clients, the official conformance suite, the real ContextForge
# gateway, and the whole fleet under podman compose.
#
#   scripts/test.sh                   everything (installs what it needs into .cache/ first)
#   scripts/test.sh --no-containers   everything but the compose end-to-end run
#   scripts/test.sh --cargo           only fmt, clippy and cargo test
#
# Each stage prints its name and duration; the first failure stops the run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export FLEET_BIN_DIR="$ROOT/target/debug"
mode=${1:-all}
case "$mode" in all|--no-containers|--cargo) ;; *) echo "usage: scripts/test.sh [--no-containers|--cargo]" >&2; exit 64 ;; esac

stage() {
  local name=$1; shift
  local t0=$SECONDS
  echo "=== $name"
  "$@"
  echo "=== $name: done in $((SECONDS - t0))s"
}

stage "cargo fmt --check" cargo fmt --all -- --check
stage "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
stage "install test tools" scripts/setup.sh
stage "cargo build" cargo build --workspace --all-targets
stage "cargo test" cargo test --workspace
if [[ $mode == --cargo ]]; then exit 0; fi

stage "python SDK clients" .cache/py/bin/python tests/e2e/python_clients.py
stage "MCP Inspector CLI" tests/e2e/inspector.sh
stage "MCP conformance suite" tests/e2e/conformance.sh
for e2e in tests/e2e/gateway_*.py; do
  stage "gateway e2e ($(basename "$e2e" .py | sed 's/^gateway_//'))" python3 "$e2e"
done
if [[ $mode == all ]]; then
  stage "compose e2e (podman)" scripts/e2e-compose.sh
fi
echo "scripts/test.sh: every stage passed"
