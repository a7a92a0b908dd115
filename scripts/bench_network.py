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
import os
import shlex
import statistics
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mcp_stdio import StdioServer, text_of

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


def fetch(s: StdioServer, url: str) -> tuple[float, str]:
    ms, result = s.call("fetch", {"url": url, "max_length": 5000})
    return ms, text_of(result)


def markdown_length(s: StdioServer, url: str) -> int:
    """Characters of the whole converted page (one more call with the largest max_length)."""
    return len(text_of(s.request("tools/call", {"name": "fetch", "arguments": {"url": url, "max_length": 999999}})))


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]


def run(args: argparse.Namespace) -> None:
    body = page(args.size)
    httpd, url = serve(body)
    servers = []
    for spec in args.server:
        name, _, command = spec.partition("=")
        servers.append(StdioServer(name, shlex.split(command), dict(os.environ, RUST_LOG="warn")))
    idle = {s.label: s.status_kb("VmRSS") for s in servers}
    samples: dict[str, list[float]] = {s.label: [] for s in servers}
    first: dict[str, str] = {}
    for s in servers:  # warm-up: imports, connection pools, allocator
        for _ in range(2):
            _, text = fetch(s, url)
            first[s.label] = text
    for _ in range(args.n):
        for s in servers:
            ms, _ = fetch(s, url)
            samples[s.label].append(ms)
    lengths = {s.label: markdown_length(s, url) for s in servers}
    peak = {s.label: s.status_kb("VmHWM") for s in servers}
    for s in servers:
        s.close()
    httpd.shutdown()

    print(f"Page: {len(body):,} bytes of HTML, served from 127.0.0.1; each call `fetch {{url, max_length: 5000}}` downloads and converts the whole page.")
    print()
    print("| server | p50 ms | p90 ms | max ms | n | idle RSS MiB | peak RSS MiB | Markdown chars (whole page) |")
    print("|---|---|---|---|---|---|---|---|")
    for s in servers:
        xs = samples[s.label]
        mib = lambda k: f"{k / 1024:.1f}" if k else "?"  # noqa: E731
        print(f"| {s.label} | {statistics.median(xs):.1f} | {pct(xs, 90):.1f} | {max(xs):.1f} | {len(xs)} | {mib(idle[s.label])} | {mib(peak[s.label])} | {lengths[s.label]:,} |")
    print()
    for s in servers:
        head = first[s.label][:160].replace("\n", " ⏎ ")
        print(f"- {s.label} output begins: `{head}`")


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
