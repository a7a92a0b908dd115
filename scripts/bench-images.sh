#!/usr/bin/env bash
# bench-images.sh — size and start-to-healthy time of every cluster image (scripts/fleet build first).
#
#   scripts/bench-images.sh [runs]      default 5 starts per image
#
# Start-to-healthy: from the moment podman reports the container running (State.StartedAt) to the
# first 200 from its /health on a published loopback port, polled every 5 ms; median of the runs.
# Prints a Markdown table for docs/BENCHMARKS.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/deploy/podman/containers.conf}
RUNS=${1:-5}
TAG=${FLEET_TAG:-latest}
echo "| image | size | binary | start to healthy (median of $RUNS) |"
echo "|---|---|---|---|"
for c in utils filesystem network git cortex; do
  image="localhost/sanctuary-$c:$TAG"
  podman image exists "$image" || continue
  size=$(podman image inspect "$image" --format '{{.Size}}' | awk '{printf "%.1f MB", $1/1e6}')
  bin=$(stat -c %s "target/release/sanctuary-$c" 2>/dev/null | awk '{printf "%.1f MB", $1/1e6}')
  times=()
  for _ in $(seq 1 "$RUNS"); do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    env=(-e RUST_LOG=warn)
    case $c in
      filesystem) env+=(-e FS_ROOTS=/tmp) ;;
      git) env+=(-e GIT_BASE_DIRS=/tmp) ;;
      cortex) env+=(-e CORTEX_CHROMA_URL=http://sanctuary-vector-db:8000 -e CORTEX_OLLAMA_URL=http://sanctuary-ollama:11434) ;;
    esac
    cid=$(podman run -d --read-only --tmpfs /tmp --cap-drop=all -p "127.0.0.1:$port:8000" "${env[@]}" "$image")
    ms=$(python3 - "$cid" "$port" <<'PY'
import datetime, json, subprocess, sys, time, urllib.request
cid, port = sys.argv[1], sys.argv[2]
deadline = time.time() + 30
while True:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
            if r.status == 200:
                healthy = datetime.datetime.now(datetime.timezone.utc)
                break
    except Exception:
        if time.time() > deadline:
            print("timeout"); sys.exit()
        time.sleep(0.005)
started = json.loads(subprocess.run(["podman", "inspect", cid], capture_output=True, text=True).stdout)[0]["State"]["StartedAt"]
# podman prints nanoseconds; Python parses microseconds.
stamp = started.split(".")[0] + "." + started.split(".")[1][:6] + started[started.index("+") if "+" in started else len(started):]
start = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
print(round((healthy - start).total_seconds() * 1000))
PY
)
    podman rm -f "$cid" >/dev/null 2>&1
    times+=("$ms")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "| sanctuary-$c | $size | $bin | ${median} ms (runs: ${times[*]}) |"
done
