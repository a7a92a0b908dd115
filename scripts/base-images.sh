#!/usr/bin/env bash
# base-images.sh — build the Debian base images the fleet's images start from, without a registry:
# `debootstrap --variant=minbase <suite>` into a temporary directory, then `podman import`.
# Used on machines that cannot pull images (like CI here); elsewhere the official images are pulled.
#
#   scripts/base-images.sh            localhost/sanctuary-debian:bookworm and :trixie (if missing)
#   scripts/base-images.sh --force    rebuild them
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/deploy/podman/containers.conf}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
force=0; [[ "${1:-}" == "--force" ]] && force=1
for suite in bookworm trixie; do
  image="localhost/sanctuary-debian:$suite"
  if [[ $force == 0 ]] && podman image exists "$image"; then echo "base-images: $image present"; continue; fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/debootstrap-$suite.XXXXXX")
  t0=$SECONDS
  debootstrap --variant=minbase "$suite" "$dir" "$MIRROR" > "$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; exit 1; }
  tar -C "$dir" -c . | podman import -q - "$image" > /dev/null
  rm -rf "$dir" "$dir.log"
  echo "base-images: built $image in $((SECONDS - t0))s"
done
