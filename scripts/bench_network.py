#!/usr/bin/env python3
"""Benchmark helper for sanctuary-network against mcp-server-fetch (standard library only).

    bench_network.py run --server NAME=COMMAND [--server ...] [-n 30] [--size 1048576]

Serves a generated HTML page of about SIZE bytes (an article with navigation, sidebar, headings,
paragraphs, lists, tables and code, like a long documentation or news page) from a Python
http.server on 127.0.0.1, starts each MCP server on stdio, speaks raw JSON-RPC to it (initialize,
initialized, then sequential `tools/call fetch {url, max_length: 5000}`), and prints Markdown rows:
p50/p90/max latency of fetch+convert, idle and peak RSS (VmRSS after initialize, VmHWM at the end,
from /proc), and the size of the Markdown each produced. Servers are interleaved call by call so
machine noise hits both alike. Every call downloads and converts the whole page: the caller sets
up each server so that neither robots.txt nor a page cache short-cuts the work.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECTION = """
<section id="s{i}">
  <h2>Section {i}: operating the fleet under load</h2>
  <p>Paragraph one of section {i}. The cluster keeps every tool call inside its time budget and reports
  failures as results the model can read. <a href="/docs/{i}">Details for section {i}</a> explain the
  configuration, and <em>emphasis</em> and <strong>strong text</strong> appear as they would in prose.</p>
  <p>Paragraph two of section {i}. Operators measured latency at the gateway and at the cluster and found
  that most of the time is spent in the gateway's own bookkeeping rather than in the tool itself.</p>
  <ul><li>Item one of {i}</li><li>Item two of {i}, with <code>inline_code()</code></li><li>Item three of {i}</li></ul>
  <table><tr><th>Metric</th><th>Value</th></tr><tr><td>p50 {i}</td><td>{i}.5 ms</td></tr><tr><td>p99 {i}</td><td>{i}.9 ms</td></tr></table>
  <pre><code>fn section_{i}() -> u32 {{ {i} }}</code></pre>
  <blockquote><p>A quoted remark in section {i}, attributed to an operator.</p></blockquote>
</section>"""

HEAD = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fleet operations handbook</title>
<style>body{font-family:sans-serif}</style><script>var analytics = {};</script></head><body>
<header><nav><a href="/">Home</a> <a href="/docs">Docs</a> <a href="/blog">Blog</a> <a href="/pricing">Pricing</a></nav></header>
<aside class="sidebar"><h3>On this page</h3><ul><li><a href="#s0">Start</a></li></ul><div class="ad">Advertisement</div></aside>
<main><article><h1>Fleet operations handbook</h1>"""

TAIL = """</article></main><footer>Copyright 2026. All rights reserved. <a href="/terms">Terms</a></footer></body></html>"""


def page(size: int) -> bytes:
    parts = [HEAD]
    total = len(HEAD) + len(TAIL)
    i = 0
    while total < size:
        s = SECTION.format(i=i)
        parts.append(s)
        total += len(s)
        i += 1
    parts.append(TAIL)
    return "".join(parts).encode()


def serve(body: bytes) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/page.html":
                status, ctype, data = 200, "text/html; charset=utf-8", body
            else:
                status, ctype, data = 404, "text/plain", b"not found"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/page.html"


def rss_kib(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Server:
    """One MCP server on stdio, spoken to with raw JSON-RPC lines."""

    def __init__(self, name: str, command: str) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            shlex.split(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=dict(os.environ, RUST_LOG="warn"),
        )
        self.next_id = 0
        self.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench_network", "version": "1"}})
        self.notify("notifications/initialized")

    def send(self, msg: dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()

    def notify(self, method: str) -> None:
        self.send({"jsonrpc": "2.0", "method": method})

    def request(self, method: str, params: dict) -> dict:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.name} closed its stdout")
            msg = json.loads(line)
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{self.name}: {msg['error']}")
                return msg["result"]

    def fetch(self, url: str) -> tuple[float, str]:
        t0 = time.perf_counter()
        result = self.request("tools/call", {"name": "fetch", "arguments": {"url": url, "max_length": 5000}})
        elapsed = (time.perf_counter() - t0) * 1000
        text = "".join(c.get("text", "") for c in result.get("content", []))
        if result.get("isError"):
            raise RuntimeError(f"{self.name}: {text[:300]}")
        return elapsed, text

    def markdown_length(self, url: str) -> int:
        """Characters of the whole converted page (one more call with the largest max_length)."""
        result = self.request("tools/call", {"name": "fetch", "arguments": {"url": url, "max_length": 999999}})
        return sum(len(c.get("text", "")) for c in result.get("content", []))

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]


def run(args: argparse.Namespace) -> None:
    body = page(args.size)
    httpd, url = serve(body)
    servers = []
    for spec in args.server:
        name, _, command = spec.partition("=")
        servers.append(Server(name, command))
    idle = {s.name: rss_kib(s.proc.pid, "VmRSS") for s in servers}
    samples: dict[str, list[float]] = {s.name: [] for s in servers}
    first: dict[str, str] = {}
    for s in servers:  # warm-up: imports, connection pools, allocator
        for _ in range(2):
            _, text = s.fetch(url)
            first[s.name] = text
    for _ in range(args.n):
        for s in servers:
            ms, _ = s.fetch(url)
            samples[s.name].append(ms)
    lengths = {s.name: s.markdown_length(url) for s in servers}
    peak = {s.name: rss_kib(s.proc.pid, "VmHWM") for s in servers}
    for s in servers:
        s.stop()
    httpd.shutdown()

    print(f"Page: {len(body):,} bytes of HTML, served from 127.0.0.1; each call `fetch {{url, max_length: 5000}}` downloads and converts the whole page.")
    print()
    print("| server | p50 ms | p90 ms | max ms | n | idle RSS MiB | peak RSS MiB | Markdown chars (whole page) |")
    print("|---|---|---|---|---|---|---|---|")
    for s in servers:
        xs = samples[s.name]
        mib = lambda k: f"{k / 1024:.1f}" if k else "?"  # noqa: E731
        print(f"| {s.name} | {statistics.median(xs):.1f} | {pct(xs, 90):.1f} | {max(xs):.1f} | {len(xs)} | {mib(idle[s.name])} | {mib(peak[s.name])} | {lengths[s.name]:,} |")
    print()
    for s in servers:
        head = first[s.name][:160].replace("\n", " ⏎ ")
        print(f"- {s.name} output begins: `{head}`")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--server", action="append", required=True, help="NAME=COMMAND (stdio MCP server)")
    r.add_argument("-n", type=int, default=30)
    r.add_argument("--size", type=int, default=1024 * 1024)
    args = ap.parse_args()
    if args.cmd == "run":
        run(args)


if __name__ == "__main__":
    sys.exit(main())
