#!/usr/bin/env bash
# contextforge.sh — run IBM ContextForge (PyPI mcp-contextforge-gateway) on loopback for local
# development, tests and benchmarks, and talk to its API.
#
#   scripts/contextforge.sh install            venv in $CF_VENV (Python 3.12/3.13 required)
#   scripts/contextforge.sh start              background on $CF_HOST:$CF_PORT; prints the PID when healthy
#   scripts/contextforge.sh stop [PID]         SIGTERM, then SIGKILL after 10 s; also its forked workers
#   scripts/contextforge.sh reset              delete the database (the gateway forgets every registration)
#   scripts/contextforge.sh token              an admin bearer token
#   scripts/contextforge.sh secret             the JWT secret (give it to clusters as MCPGATEWAY_JWT_SECRET)
#   scripts/contextforge.sh gateways | tools   list registrations / federated tools
#   scripts/contextforge.sh call TOOL [JSON]   tools/call through POST /rpc; exit 1 on error or isError
#
# Environment: CF_VENV (.cache/contextforge/venv), CF_VERSION (1.1.0), CF_PYTHON, CF_HOST (127.0.0.1),
# CF_PORT (4444), CF_STATE (.cache/contextforge/state-$CF_PORT), CF_ADMIN_EMAIL (admin@example.com),
# CF_START_TIMEOUT (240). Any ContextForge setting exported before `start` passes through.
# Defaults differ from ContextForge's own in three places, all for loopback testing:
# SSRF_ALLOW_LOCALHOST=true, RATE_LIMITING_ENABLED=false, LOG_LEVEL=ERROR.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CF_VENV=${CF_VENV:-$ROOT/.cache/contextforge/venv}
CF_VERSION=${CF_VERSION:-1.1.0}
CF_HOST=${CF_HOST:-127.0.0.1}
CF_PORT=${CF_PORT:-4444}
CF_STATE=${CF_STATE:-$ROOT/.cache/contextforge/state-$CF_PORT}
CF_ADMIN_EMAIL=${CF_ADMIN_EMAIL:-admin@example.com}
CF_START_TIMEOUT=${CF_START_TIMEOUT:-240}
CF_URL="http://$CF_HOST:$CF_PORT"
PY="$CF_VENV/bin/python"

die() { echo "contextforge.sh: $*" >&2; exit 1; }
need_venv() { [[ -x "$CF_VENV/bin/mcpgateway" ]] || die "not installed in $CF_VENV (run: $0 install)"; }

find_python() {
  if [[ -n "${CF_PYTHON:-}" ]]; then echo "$CF_PYTHON"; return; fi
  local c
  for c in python3.13 python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3 python3; do
    command -v "$c" >/dev/null 2>&1 || continue
    if "$c" -c 'import sys; sys.exit(0 if (3,12) <= sys.version_info[:2] < (3,14) else 1)' 2>/dev/null; then
      command -v "$c"; return
    fi
  done
  die "ContextForge $CF_VERSION needs Python 3.12 or 3.13 (set CF_PYTHON); Debian's 3.11 would silently get 1.0.7"
}

# Secrets live in $CF_STATE/env so start, token and the clusters agree. They are throwaway.
ensure_state() {
  mkdir -p "$CF_STATE/tmp"
  if [[ ! -f "$CF_STATE/env" ]]; then
    local gen='import secrets; print(secrets.token_urlsafe(48))'
    ( umask 077
      cat > "$CF_STATE/env" <<ENV
export JWT_SECRET_KEY='$("$PY" -c "$gen")'
export AUTH_ENCRYPTION_SECRET='$("$PY" -c "$gen")'
export PLATFORM_ADMIN_EMAIL='$CF_ADMIN_EMAIL'
export PLATFORM_ADMIN_PASSWORD='Aa1!$("$PY" -c "$gen")'
export DEFAULT_USER_PASSWORD='Aa1!$("$PY" -c "$gen")'
ENV
    )
  fi
  # shellcheck disable=SC1091
  source "$CF_STATE/env"
  export HOST="$CF_HOST" PORT="$CF_PORT"
  export DATABASE_URL="sqlite:///$CF_STATE/mcp.db"
  export TMPDIR="$CF_STATE/tmp"
  export MCPGATEWAY_UI_ENABLED=${MCPGATEWAY_UI_ENABLED:-false}
  export MCPGATEWAY_ADMIN_API_ENABLED=${MCPGATEWAY_ADMIN_API_ENABLED:-false}
  export SSRF_ALLOW_LOCALHOST=${SSRF_ALLOW_LOCALHOST:-true}
  export RATE_LIMITING_ENABLED=${RATE_LIMITING_ENABLED:-false}
  export LOG_LEVEL=${LOG_LEVEL:-ERROR}
}

token() {
  need_venv; ensure_state
  if [[ -f "$CF_STATE/token" && $(( $(date +%s) - $(stat -c %Y "$CF_STATE/token") )) -lt 3000 ]]; then
    cat "$CF_STATE/token"; return
  fi
  "$PY" -m mcpgateway.utils.create_jwt_token --username "$CF_ADMIN_EMAIL" --admin \
      --exp 60 --secret "$JWT_SECRET_KEY" 2>/dev/null | tail -n1 > "$CF_STATE/token.new"
  mv "$CF_STATE/token.new" "$CF_STATE/token"
  cat "$CF_STATE/token"
}

api() {  # api METHOD PATH [JSON] -> sets API_STATUS, API_BODY
  local out; out=$(mktemp)
  API_STATUS=$(curl -sS -o "$out" -w '%{http_code}' -X "$1" "$CF_URL$2" \
      -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -H 'Accept: application/json' ${3:+--data "$3"}) || { rm -f "$out"; die "gateway not reachable at $CF_URL"; }
  API_BODY=$(cat "$out"); rm -f "$out"
}

jsonpy() { "$PY" -c "import json,sys; d=json.load(sys.stdin); $1"; }

case "${1:-}" in
  install)
    if [[ -x "$CF_VENV/bin/mcpgateway" ]]; then
      installed=$("$CF_VENV/bin/pip" show mcp-contextforge-gateway 2>/dev/null || true)
      if grep -q "^Version: $CF_VERSION$" <<<"$installed"; then echo "contextforge $CF_VERSION already installed in $CF_VENV"; exit 0; fi
    fi
    pybin=$(find_python); t0=$(date +%s)
    [[ -x "$CF_VENV/bin/python" ]] || "$pybin" -m venv "$CF_VENV"
    "$CF_VENV/bin/pip" install -q --upgrade pip
    "$CF_VENV/bin/pip" install -q "mcp-contextforge-gateway==$CF_VERSION"
    echo "installed contextforge $CF_VERSION in $CF_VENV ($(( $(date +%s) - t0 ))s)"
    ;;
  start)
    need_venv; ensure_state
    if curl -sf -o /dev/null "$CF_URL/health"; then die "something already answers on $CF_URL"; fi
    cd "$CF_STATE"     # ContextForge reads ./.env; run where there is none
    nohup "$CF_VENV/bin/mcpgateway" --host "$CF_HOST" --port "$CF_PORT" >> "$CF_STATE/gateway.log" 2>&1 &
    pid=$!; echo "$pid" > "$CF_STATE/pid"; t0=$(date +%s)
    until curl -sf -o /dev/null "$CF_URL/health"; do
      kill -0 "$pid" 2>/dev/null || { tail -n 30 "$CF_STATE/gateway.log" >&2; die "gateway exited during startup"; }
      (( $(date +%s) - t0 < CF_START_TIMEOUT )) || { kill "$pid"; die "not healthy after ${CF_START_TIMEOUT}s"; }
      sleep 0.5
    done
    echo "contextforge healthy at $CF_URL after $(( $(date +%s) - t0 ))s (log: $CF_STATE/gateway.log)" >&2
    echo "$pid"
    ;;
  stop)
    pid=${2:-$(cat "$CF_STATE/pid" 2>/dev/null || true)}
    [[ -n "$pid" ]] || die "no PID given and none recorded in $CF_STATE/pid"
    grep -q mcpgateway "/proc/$pid/cmdline" 2>/dev/null || { echo "PID $pid is not running"; exit 0; }
    kids=$(cat "/proc/$pid/task/"*/children 2>/dev/null || true)
    kill -TERM "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "killed $pid"; else echo "stopped $pid"; fi
    for k in $kids; do kill -0 "$k" 2>/dev/null && kill -TERM "$k" 2>/dev/null; done; true
    ;;
  reset) rm -f "$CF_STATE/mcp.db" "$CF_STATE/token"; echo "database removed" ;;
  token) token ;;
  secret) need_venv; ensure_state; echo "$JWT_SECRET_KEY" ;;
  gateways)
    TOKEN=$(token); api GET "/gateways?include_inactive=true&limit=0"
    jsonpy 'print("\n".join("%s %s %s %s reachable=%s" % (g["id"], g["slug"], g["transport"], g["url"], g["reachable"]) for g in (d if isinstance(d, list) else d["items"])))' <<<"$API_BODY"
    ;;
  tools)
    TOKEN=$(token); api GET "/tools?limit=0"
    jsonpy 'print("\n".join("%s\t%s" % (t["name"], t.get("gatewaySlug") or "-") for t in (d if isinstance(d, list) else d["items"])))' <<<"$API_BODY"
    ;;
  call)
    [[ $# -ge 2 ]] || die "usage: $0 call TOOL [JSON_ARGS]"
    TOKEN=$(token)
    body=$(TOOL="$2" ARGS="${3:-{\}}" "$PY" -c 'import json,os
print(json.dumps({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":os.environ["TOOL"],"arguments":json.loads(os.environ["ARGS"])}}))')
    api POST /rpc "$body"; echo "$API_BODY"
    [[ "$API_STATUS" == 200 ]] && jsonpy 'sys.exit(0 if "result" in d and not d["result"].get("isError") else 1)' <<<"$API_BODY"
    ;;
  *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
