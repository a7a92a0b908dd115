#!/usr/bin/env bash
# e2e-compose.sh — prove `podman compose up` of the whole fleet on a machine that can install
# Debian packages and reach PyPI but cannot pull from any container registry (like CI here).
#
#   scripts/e2e-compose.sh
#
# 1. installs podman, podman-compose (a current one into .cache if the system's is too old),
#    netavark, aardvark-dns, runc, iptables and debootstrap when missing;
# 2. builds the images: Debian bases (debootstrap), the five clusters from host release binaries,
#    ChromaDB and ContextForge from PyPI, and the TEST-ONLY Ollama stand-in;
# 3. writes a throwaway .env (fresh secrets), a workspace for the filesystem cluster, a git
#    repository with a bare origin for the git cluster, and fetches cortex's embedding model;
# 4. runs tests/e2e/compose_e2e.py: up, health, self-registration, calls through the gateway,
#    limits, crash restart and re-registration, cortex persistence across down/up, down -v.
# Every check prints a line; any failure exits non-zero.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/deploy/podman/containers.conf}
t0=$SECONDS
say() { echo "[e2e-compose $((SECONDS - t0))s] $*"; }

need=()
for pkg in podman:podman netavark:/usr/lib/podman/netavark aardvark-dns:/usr/lib/podman/aardvark-dns \
           runc:runc iptables:iptables debootstrap:debootstrap; do
  name=${pkg%%:*} probe=${pkg#*:}
  if [[ $probe == /* ]]; then [[ -x $probe ]] || need+=("$name"); else command -v "$probe" >/dev/null || need+=("$name"); fi
done
if [[ ${#need[@]} -gt 0 ]]; then
  say "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
podman --version

say "building images"
scripts/fleet build --local-images --test-ollama

E2E="$ROOT/.cache/e2e-compose"
rm -rf "$E2E" && mkdir -p "$E2E/workspace/docs" "$E2E/git"
cp README.md "$E2E/workspace/"
cp docs/*.md "$E2E/workspace/docs/"
printf 'The fleet e2e marker is lapis-lazuli-%s.\n' "$RANDOM" > "$E2E/workspace/marker.txt"
git init -q --bare "$E2E/git/origin.git"
git init -q -b main "$E2E/git/work"
git -C "$E2E/git/work" -c user.name=e2e -c user.email=e2e@example.invalid commit -q --allow-empty -m "initial commit"
git -C "$E2E/git/work" remote add origin /repo/origin.git
git -C "$E2E/git/work" -c protocol.file.allow=always push -q "$E2E/git/origin.git" main
chown -R 65532:65532 "$E2E/workspace" "$E2E/git"

scripts/setup.sh model

gen() { python3 -c 'import secrets; print(secrets.token_urlsafe(48))'; }
cat > "$E2E/.env" <<EOF
JWT_SECRET_KEY=$(gen)
AUTH_ENCRYPTION_SECRET=$(gen)
PLATFORM_ADMIN_EMAIL=admin@example.com
PLATFORM_ADMIN_PASSWORD=Aa1!$(gen)
DEFAULT_USER_PASSWORD=Aa1!$(gen)
FLEET_TAG=$(git rev-parse --short HEAD)
FS_WORKSPACE=$E2E/workspace
FS_WORKSPACE_MODE=ro
GIT_REPO=$E2E/git
GIT_REPO_PATH=/repo/work
CORTEX_MODEL_HOST_DIR=$ROOT/.cache/models/all-MiniLM-L6-v2
CORTEX_SOURCES=$E2E/workspace
CORTEX_EMBEDDER=local
NET_ALLOW=sanctuary-vector-db
EOF
export FLEET_ENV_FILE="$E2E/.env"

say "running the checks"
python3 tests/e2e/compose_e2e.py
say "done"
