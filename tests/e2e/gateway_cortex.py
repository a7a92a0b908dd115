#!/usr/bin/env python3
"""sanctuary-cortex through the real IBM ContextForge gateway, over a real ChromaDB.

1. The cluster registers itself (Streamable HTTP, minted JWT); the gateway lists its 18 tools.
2. Through POST /rpc: a full ingest of a small corpus with the local embedder, queries whose
   right answer is known come back first with their source and lines, a second ingest is an
   upsert (nothing re-written, same record count), a changed file is re-ingested incrementally,
   `cortex_ask` answers with a citation (Ollama is the test kit's stand-in, `ollama-standin`),
   the cache round-trips, stats report healthy backends, and a bad argument is an isError result
   that names it.
3. The same query over the legacy SSE transport, with a bearer token.

Needs `scripts/setup.sh contextforge chroma model` and built `sanctuary-cortex` and
`ollama-standin` (FLEET_BIN_DIR, default target/debug). Run: python3 tests/e2e/gateway_cortex.py
"""

from __future__ import annotations

import shutil
import subprocess
import os
import tempfile
from pathlib import Path

from fleet_e2e import BIN_DIR, ROOT, Cluster, Gateway, check, finish, free_port, http_json, result, result_text, wait_for

CLUSTER = "sanctuary-cortex"
TOOLS = [
    "check-sanctuary-model-status", "cortex-ask", "cortex-cache-get", "cortex-cache-set", "cortex-cache-stats",
    "cortex-cache-warmup", "cortex-collection-count", "cortex-collection-info", "cortex-delete-documents",
    "cortex-get-documents", "cortex-get-stats", "cortex-guardian-wakeup", "cortex-ingest-full",
    "cortex-ingest-incremental", "cortex-list-collections", "cortex-peek-collection", "cortex-query",
    "query-sanctuary-model",
]
CORPUS = {
    "protocols/p101.md": "# Protocol 101: git safety\n\nNever commit directly to the main branch. Work on a feature branch "
    "named feature/task-<id>-<slug>, run the tests before every commit, and open a pull request.\n",
    "guides/volcanoes.md": "# Volcanoes\n\nA volcano erupts when magma rises through the crust. Lava flows down the slopes "
    "and cools into basalt rock. Ash clouds can ground aircraft.\n",
    "guides/baking.md": "# Sourdough\n\nFeed the starter with flour and water, knead the dough, let it rise, and bake the "
    "bread in a hot oven with steam until the crust is dark.\n",
    "notes/space.txt": "The four largest moons of Jupiter are Io, Europa, Ganymede and Callisto, discovered by Galileo.\n",
}


class Chroma:
    """`chroma run` from .cache/chroma/venv on a free loopback port with a temporary data path."""

    def __init__(self) -> None:
        self.bin = ROOT / ".cache" / "chroma" / "venv" / "bin" / "chroma"
        if not self.bin.exists():
            raise SystemExit(f"ChromaDB is not installed ({self.bin}): run scripts/setup.sh chroma")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data = Path(tempfile.mkdtemp(prefix="cortex-e2e-chroma-"))
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Chroma":
        log = open(self.data / "chroma.log", "w")
        self.proc = subprocess.Popen(
            [str(self.bin), "run", "--host", "127.0.0.1", "--port", str(self.port), "--path", str(self.data / "db")],
            stdout=log, stderr=log, env=dict(os.environ, ANONYMIZED_TELEMETRY="False"),
        )
        if not wait_for("chroma heartbeat", lambda: http_json("GET", self.url + "/api/v2/heartbeat", timeout=2)[0] == 200, timeout=90):
            raise RuntimeError(f"chroma did not start; log: {self.data / 'chroma.log'}")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.data, ignore_errors=True)


class StandIn:
    """The test kit's Ollama stand-in (`ollama-standin`)."""

    def __init__(self) -> None:
        self.bin = BIN_DIR / "ollama-standin"
        if not self.bin.exists():
            raise SystemExit(f"{self.bin} is missing: run `cargo build -p fleet-testkit`")
        self.proc = subprocess.Popen([str(self.bin), "--host", "127.0.0.1", "--port", "0"], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        self.url = line.strip().removeprefix("listening on ")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def structured(body) -> dict:
    return result(body).get("structuredContent") or {}


def main() -> None:
    corpus = Path(tempfile.mkdtemp(prefix="cortex-e2e-corpus-"))
    state = Path(tempfile.mkdtemp(prefix="cortex-e2e-state-"))
    for rel, text in CORPUS.items():
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text(text)
    model = ROOT / ".cache" / "models" / "all-MiniLM-L6-v2"
    if not (model / "model.safetensors").exists():
        raise SystemExit(f"the local model is missing from {model}: run scripts/setup.sh model")
    chroma = Chroma().start()
    ollama = StandIn()
    gw = Gateway()
    took = gw.start()
    print(f"# contextforge on {gw.url} ({took:.1f}s), chroma on {chroma.url}, ollama stand-in on {ollama.url}")
    clusters: list[Cluster] = []
    try:
        env = gw.cluster_env(**{
            "CORTEX_CHROMA_URL": chroma.url,
            "CORTEX_OLLAMA_URL": ollama.url,
            "CORTEX_EMBEDDER": "local",
            "CORTEX_MODEL_DIR": str(model),
            "CORTEX_STATE_DIR": str(state),
            "CORTEX_SOURCE_ROOT": str(corpus),
            "CORTEX_COLLECTION": "e2e_chunks",
        })
        a = Cluster(CLUSTER, env)
        a.env["FLEET_ADVERTISE_URL"] = f"{a.url}/mcp"
        a.start()
        clusters.append(a)
        check("cluster registered itself with the gateway", bool(wait_for("registration", lambda: a.registered(), timeout=30)), a.registration())
        entry = gw.gateway_named(CLUSTER)
        tools = gw.tools_of(entry["id"]) if entry else []
        check("gateway discovered the 18 cortex tools", tools == sorted(f"{CLUSTER}-{t}" for t in TOOLS), tools)

        status, body = gw.rpc(f"{CLUSTER}-cortex-ingest-full", {})
        ing = structured(body)
        check("full ingest through POST /rpc", status == 200 and ing.get("files_ingested") == 4 and ing.get("status") == "success", body)
        chunks = ing.get("chunks_upserted", 0)

        for query, want in [
            ("Can I commit straight to the main branch?", "protocols/p101.md"),
            ("What happens when lava flows from a volcano?", "guides/volcanoes.md"),
            ("Which moons of Jupiter did Galileo find?", "notes/space.txt"),
        ]:
            status, body = gw.rpc(f"{CLUSTER}-cortex-query", {"query": query, "max_results": 2})
            results = structured(body).get("results") or [{}]
            top = results[0]
            check(f"query {query!r} returns {want} first", top.get("source") == want and 0 <= top.get("score", -1) <= 1
                  and top.get("location", {}).get("start_line") == 1, body)

        status, body = gw.rpc(f"{CLUSTER}-cortex-ingest-full", {})
        again = structured(body)
        check("re-ingest is an upsert: nothing rewritten", again.get("files_unchanged") == 4 and again.get("chunks_upserted") == 0, body)
        status, body = gw.rpc(f"{CLUSTER}-cortex-collection-count", {})
        check("no duplicate records after re-ingest", structured(body).get("count") == chunks, body)

        (corpus / "notes/space.txt").write_text("Mars has two small moons named Phobos and Deimos.\n")
        status, body = gw.rpc(f"{CLUSTER}-cortex-ingest-incremental", {"file_paths": ["notes/space.txt"]})
        check("a changed file is re-ingested incrementally", structured(body).get("files_ingested") == 1, body)
        status, body = gw.rpc(f"{CLUSTER}-cortex-query", {"query": "moons of Mars", "max_results": 1})
        top = (structured(body).get("results") or [{}])[0]
        check("the query sees the new content", "Phobos" in top.get("content", "") and top.get("source") == "notes/space.txt", body)

        status, body = gw.rpc(f"{CLUSTER}-cortex-ask", {"question": "How should I commit changes under Protocol 101?"})
        ask = structured(body)
        check("cortex_ask answers with a cited source (Ollama stand-in)", ask.get("status") == "success"
              and "[1]" in ask.get("answer", "") and (ask.get("sources") or [{}])[0].get("source") == "protocols/p101.md", body)

        gw.rpc(f"{CLUSTER}-cortex-cache-set", {"query": "What is Protocol 101?", "answer": "The git safety rules."})
        status, body = gw.rpc(f"{CLUSTER}-cortex-cache-get", {"query": "What is Protocol 101?"})
        check("cache set/get round-trips through the gateway", structured(body).get("answer") == "The git safety rules.", body)

        status, body = gw.rpc(f"{CLUSTER}-cortex-get-stats", {})
        stats = structured(body)
        check("stats: healthy, 4 documents, backends listed", stats.get("health_status") == "healthy" and stats.get("total_documents") == 4
              and [b["name"] for b in stats.get("backends", [])] == ["chroma", "embedder", "ollama"], body)

        status, body = gw.rpc(f"{CLUSTER}-cortex-ingest-incremental", {"file_paths": ["../../etc/passwd"]})
        check("a path escaping the root is an isError result naming the argument",
              result(body).get("isError") is True and "invalid file_paths[0]" in result_text(body), body)

        # Legacy SSE, bearer token.
        b = Cluster(CLUSTER, dict(env, MCPGATEWAY_JWT_SECRET="", MCPGATEWAY_BEARER_TOKEN=gw.token(), FLEET_GATEWAY_NAME="sanctuary-cortex-sse"))
        b.env["FLEET_ADVERTISE_URL"] = f"http://127.0.0.1:{b.port}/sse"
        b.start()
        clusters.append(b)
        check("SSE cluster registered itself", bool(wait_for("SSE registration", lambda: b.registered(), timeout=30)), b.registration())
        status, body = gw.rpc("sanctuary-cortex-sse-cortex-query", {"query": "sourdough starter and oven", "max_results": 1})
        check("query through the gateway over SSE", (structured(body).get("results") or [{}])[0].get("source") == "guides/baking.md", body)
    finally:
        for cl in clusters:
            cl.stop()
        gw.stop()
        ollama.stop()
        chroma.stop()
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
    finish("gateway e2e (cortex)")


if __name__ == "__main__":
    main()
