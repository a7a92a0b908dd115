#!/usr/bin/env bash
# dev-image.sh — build localhost/sanctuary-rust:<version>, a Rust toolchain image for the
# `development` target, from the host's toolchain (for machines that cannot pull rust:1.95).
# Then: RUST_IMAGE=localhost/sanctuary-rust:1.95 scripts/fleet up --dev
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/deploy/podman/containers.conf}
toolchain=$(rustc --print sysroot)
version=$(rustc --version | awk '{print $2}' | cut -d. -f1,2)
"$ROOT/scripts/base-images.sh" >/dev/null
podman build -q -v "$toolchain:/toolchain:ro" --build-arg BASE_IMAGE=localhost/sanctuary-debian:bookworm \
  -t "localhost/sanctuary-rust:$version" "$ROOT/deploy/rust-dev" >/dev/null
echo "dev-image: localhost/sanctuary-rust:$version from $toolchain"
