#!/usr/bin/env bash
# bench-images.sh — size and start-to-healthy time of every cluster image (scripts/fleet build first).
#
#   scripts/bench-images.sh [runs] [--original]      default 5 starts per image
#
# --original also builds and measures deploy/bench/original-python: the original Python fleet's
# light cluster image reconstructed on Debian's Python 3.11 (a lower bound; see its Containerfile).
#
# Start-to-healthy: from the moment podman reports the container running (State.StartedAt) to the
# first 200 from its /health on a published loopback port, polled every 5 ms; median of the runs.
# Prints a Markdown table for docs/BENCHMARKS.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/deploy/podman/containers.conf}
RUNS=5 ORIGINAL=0
for a in "$@"; do
  case $a in
    --original) ORIGINAL=1 ;;
    *) RUNS=$a ;;
  esac
done
images=()
for c in utils filesystem network git cortex; do images+=("sanctuary-$c localhost/sanctuary-$c:${FLEET_TAG:-latest}"); done
if [[ $ORIGINAL == 1 ]]; then
  ca=()
  if [[ -n "${SSL_CERT_FILE:-}" && -f "$SSL_CERT_FILE" ]]; then
    ca=(-v "$SSL_CERT_FILE:/run/host-ca.crt:ro" --build-arg PIP_CERT=/run/host-ca.crt)
  fi
  scripts/base-images.sh >/dev/null
  podman build -q --format docker "${ca[@]}" --build-arg BASE_IMAGE=localhost/sanctuary-debian:bookworm \
    -t localhost/sanctuary-original-python:bench deploy/bench/original-python >/dev/null
  images+=("original-python localhost/sanctuary-original-python:bench")
fi
echo "| image | size | binary | start to healthy (median of $RUNS) |"
echo "|---|---|---|---|"
for entry in "${images[@]}"; do
  read -r name image <<<"$entry"
  c=${name#sanctuary-}
  podman image exists "$image" || { echo "| $name | not built (scripts/fleet build) | | |"; continue; }
  size=$(podman image inspect "$image" --format '{{.Size}}' | awk '{printf "%.1f MB", $1/1e6}')
  bin=$( (stat -c %s "target/release/$name" 2>/dev/null || true) | awk '{printf "%.1f MB", $1/1e6}')
  times=()
  for _ in $(seq 1 "$RUNS"); do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    env=(-e RUST_LOG=warn)
    case $c in
      filesystem) env+=(-e FS_ROOTS=/tmp) ;;
      git) env+=(-e GIT_BASE_DIRS=/tmp) ;;
      cortex) env+=(-e CORTEX_STATE_DIR=/tmp/cortex -e CORTEX_CHROMA_URL=http://sanctuary-vector-db:8000 -e CORTEX_OLLAMA_URL=http://sanctuary-ollama:11434) ;;
    esac
    trap '[[ -n "${cid:-}" ]] && podman rm -f "$cid" >/dev/null 2>&1' EXIT
    cid=$(podman run -d --read-only --tmpfs /tmp --cap-drop=all -p "127.0.0.1:$port:8000" "${env[@]}" "$image" 2>/dev/null)
    ms=$(python3 - "$cid" "$port" <<'PY'
import subprocess, sys, time, urllib.request
cid, port = sys.argv[1], sys.argv[2]
deadline = time.time() + 30
while True:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
            if r.status == 200:
                healthy_ns = time.time_ns()
                break
    except Exception:
        if time.time() > deadline:
            print("timeout"); sys.exit()
        time.sleep(0.005)
started_ns = int(subprocess.run(["podman", "inspect", cid, "--format", "{{.State.StartedAt.UnixNano}}"],
                                capture_output=True, text=True).stdout.strip())
print(round((healthy_ns - started_ns) / 1e6))
PY
)
    podman rm -f "$cid" >/dev/null 2>&1
    times+=("$ms")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "| $name | $size | $bin | ${median} ms (runs: ${times[*]}) |"
done
