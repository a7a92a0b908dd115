#!/usr/bin/env bash
# setup.sh — install the tools the tests and benchmarks use, all inside the checkout (.cache/).
#
#   scripts/setup.sh [python] [contextforge] [node] [chroma] [model] [all]      (default: all)
#
#   python        .cache/py: a venv with the MCP Python SDK (mcp==2.3.0) for client tests and benchmarks
#   contextforge  .cache/contextforge/venv: IBM ContextForge 1.1.0 (needs Python 3.12/3.13)
#   node          .cache/node: @modelcontextprotocol/inspector 2.12.0 (its CLI is a real MCP client) and
#                 @modelcontextprotocol/conformance 0.1.16 (the official protocol test suite)
#   chroma        .cache/chroma/venv: the ChromaDB server (PyPI chromadb==1.5.9, `chroma run`) that
#                 sanctuary-cortex's tests and benchmark start on a free loopback port
#   model         .cache/models/all-MiniLM-L6-v2: cortex's local embedding model (scripts/fetch-model.sh)
#
# Idempotent: what is already installed at the pinned version is left alone.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE="$ROOT/.cache"
MCP_VERSION=${MCP_VERSION:-2.3.0}
INSPECTOR_VERSION=${INSPECTOR_VERSION:-2.12.0}
CONFORMANCE_VERSION=${CONFORMANCE_VERSION:-0.1.16}
CHROMA_VERSION=${CHROMA_VERSION:-1.5.9}
mkdir -p "$CACHE"

want=("$@"); [[ ${#want[@]} -eq 0 ]] && want=(all)
has() { local w; for w in "${want[@]}"; do [[ "$w" == "$1" || "$w" == all ]] && return 0; done; return 1; }

if has python; then
  if ! "$CACHE/py/bin/python" -c "import mcp, importlib.metadata as m; assert m.version('mcp') == '$MCP_VERSION'" 2>/dev/null; then
    python3 -m venv "$CACHE/py"
    "$CACHE/py/bin/pip" install -q --upgrade pip
    "$CACHE/py/bin/pip" install -q "mcp==$MCP_VERSION"
  fi
  echo "setup: python MCP SDK $MCP_VERSION in .cache/py"
fi

if has contextforge; then
  "$ROOT/scripts/contextforge.sh" install
fi

if has node; then
  pinned() { grep -q "\"version\": \"$2\"" "$CACHE/node/node_modules/@modelcontextprotocol/$1/package.json" 2>/dev/null; }
  if ! pinned inspector "$INSPECTOR_VERSION" || ! pinned conformance "$CONFORMANCE_VERSION"; then
    mkdir -p "$CACHE/node"
    ( cd "$CACHE/node" && { [[ -f package.json ]] || npm init -y >/dev/null; } &&
      npm install --no-audit --no-fund --loglevel=error "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" \
        "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" >/dev/null )
  fi
  echo "setup: MCP Inspector $INSPECTOR_VERSION and conformance suite $CONFORMANCE_VERSION in .cache/node"
fi

if has chroma; then
  if ! "$CACHE/chroma/venv/bin/python" -c "import importlib.metadata as m; assert m.version('chromadb') == '$CHROMA_VERSION'" 2>/dev/null; then
    python3 -m venv "$CACHE/chroma/venv"
    "$CACHE/chroma/venv/bin/pip" install -q --upgrade pip
    "$CACHE/chroma/venv/bin/pip" install -q "chromadb==$CHROMA_VERSION"
  fi
  echo "setup: ChromaDB $CHROMA_VERSION in .cache/chroma/venv (bin/chroma)"
fi

if has model; then
  "$ROOT/scripts/fetch-model.sh" >/dev/null
  echo "setup: all-MiniLM-L6-v2 in .cache/models/all-MiniLM-L6-v2"
fi
