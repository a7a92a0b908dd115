#!/usr/bin/env bash
# bench-hot-reload.sh — hot reload, measured: the time from saving a one-line change in a utils
# tool to the development container serving the new behaviour.
#
#   scripts/bench-hot-reload.sh [changes]      default 5
#
# Runs sanctuary_utils from compose.yaml + compose.dev.yaml (the `development` target: toolchain
# image, source bind-mounted, scripts/dev-watch.sh inside) exactly as `scripts/fleet up --dev`
# does, but on a throwaway copy of the tracked source (FLEET_DEV_SRC) under its own compose
# project, so your tree is never edited. After the first build it changes one line N times —
# the `add` arm of crates/utils/src/tools/calculator.rs, `a + b` → `a + b + k` — and after each
# save polls calculator_add {a: 1, b: 2} over Streamable HTTP every 50 ms (a fresh session per
# poll, as a client reconnecting after the restart would) until the answer is 3 + k.
# Needs podman and a Rust toolchain image (RUST_IMAGE; scripts/dev-image.sh builds one from the
# host's toolchain when it is missing). Dependencies come from the host's cargo registry, offline.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/deploy/podman/containers.conf}
CHANGES=${1:-5}
version=$(rustc --version | awk '{print $2}' | cut -d. -f1,2)
export RUST_IMAGE=${RUST_IMAGE:-localhost/sanctuary-rust:$version}
podman image exists "$RUST_IMAGE" || scripts/dev-image.sh
if podman container exists sanctuary-utils; then
  echo "bench-hot-reload: a sanctuary-utils container exists; run scripts/fleet down first" >&2
  exit 69
fi

src=$(mktemp -d /tmp/sanctuary-hot-reload.XXXXXX)
git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$src"
export FLEET_DEV_SRC=$src FLEET_PROJECT=sanctuary-hot-reload FLEET_CLUSTERS=utils CARGO_NET_OFFLINE=true
cleanup() {
  scripts/fleet compose --dev -- down >/dev/null 2>&1 || true
  rm -rf "$src"
}
trap cleanup EXIT

scripts/fleet compose --dev -- build sanctuary_utils >/dev/null
scripts/fleet compose --dev -- up -d sanctuary_utils >/dev/null
echo "bench-hot-reload: sanctuary-utils (development target, $RUST_IMAGE) is up; waiting for its first build"

python3 - "$src" "$CHANGES" 8100 <<'PY'
import json, statistics, sys, time, urllib.request

src, changes, port = sys.argv[1], int(sys.argv[2]), sys.argv[3]
path = f"{src}/crates/utils/src/tools/calculator.rs"
url = f"http://127.0.0.1:{port}/mcp"
HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def rpc(body, sid=None):
    headers = dict(HEADERS, **({"Mcp-Session-Id": sid} if sid else {}))
    req = urllib.request.Request(url, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(req, timeout=2) as r:
        sid = r.headers.get("Mcp-Session-Id") or sid
        text = r.read().decode()
    msgs = [json.loads(l[5:]) for l in text.splitlines() if l.startswith("data:") and l[5:].strip()]
    return sid, msgs


def add_1_2():
    sid, _ = rpc({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "bench-hot-reload", "version": "1"}}})
    rpc({"jsonrpc": "2.0", "method": "notifications/initialized"}, sid)
    _, msgs = rpc({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                   "params": {"name": "calculator_add", "arguments": {"a": 1, "b": 2}}}, sid)
    return msgs[-1]["result"]["structuredContent"]["result"]


def wait_for(expected, deadline_s):
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        try:
            if add_1_2() == expected:
                return time.monotonic() - start
        except Exception:
            pass
        time.sleep(0.05)
    sys.exit(f"bench-hot-reload: calculator_add(1, 2) never returned {expected} within {deadline_s} s")


first = wait_for(3, 1800)
print(f"first build and start (target volume as found): {first:.1f} s")
original = open(path).read()
line = '"add" => a + b,'
assert original.count(line) == 1, f"{line!r} not found exactly once in {path}"
times = []
for k in range(1, changes + 1):
    with open(path, "w") as f:
        f.write(original.replace(line, f'"add" => a + b + {k}.0,'))
    seconds = wait_for(3 + k, 600)
    times.append(seconds)
    print(f"change {k}: a + b + {k} served {seconds:.2f} s after the save")
print(f"save to new behaviour served: median {statistics.median(times):.2f} s, "
      f"min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} one-line changes")
PY
echo "bench-hot-reload: dev-watch's own account:"
podman logs sanctuary-utils 2>&1 | grep 'dev-watch:' | tail -n "$((CHANGES + 1))"
