#!/usr/bin/env bash
# dev-watch.sh — hot reload for the `development` container target (and for local use):
# build sanctuary-$CLUSTER, run it, and on any change under crates/ or Cargo.* rebuild and restart.
# A failed build keeps the previous binary serving and prints the compiler errors.
#   CLUSTER=utils scripts/dev-watch.sh
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
: "${CLUSTER:?set CLUSTER (utils, filesystem, network, git, cortex)}"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/sanctuary-$CLUSTER"
command -v inotifywait >/dev/null || { echo "dev-watch: needs inotifywait (package inotify-tools)" >&2; exit 69; }
pid=""
stop() { [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=""; }
trap 'stop; exit 0' INT TERM
build_and_run() {
  local t0=$SECONDS
  if cargo build -q -p "sanctuary-$CLUSTER"; then
    stop
    "$BIN" &
    pid=$!
    echo "dev-watch: rebuilt and restarted sanctuary-$CLUSTER in $((SECONDS - t0))s (pid $pid)"
  else
    echo "dev-watch: build failed; still serving the previous binary" >&2
  fi
}
build_and_run
while inotifywait -qq -r -e close_write,create,delete,move crates Cargo.toml Cargo.lock; do
  sleep 0.2   # let an editor finish writing a batch of files
  build_and_run
done
