#!/usr/bin/env python3
"""sanctuary-network through the real IBM ContextForge gateway.

1. The cluster registers itself (Streamable HTTP, minted JWT); the gateway lists its 5 tools.
2. Through POST /rpc: `fetch` of a loopback page returns its article as Markdown (navigation and
   footer gone), pagination names the next start_index, a redirect is followed, robots.txt refuses
   a disallowed page, the SSRF guard refuses the cloud metadata address and a redirect to it,
   `fetch_url`, `check_site_status` and `http_request` answer, and `web_search` without a backend
   says what to configure.
3. The same `fetch` over the legacy SSE transport, with a bearer token.

The page server is a Python http.server on 127.0.0.1, reachable by the cluster only because the
test puts 127.0.0.1 on NET_ALLOW. Needs `scripts/contextforge.sh install` and a built
`sanctuary-network` (FLEET_BIN_DIR, default target/debug). Run: python3 tests/e2e/gateway_network.py
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fleet_e2e import Cluster, Gateway, check, finish, result, result_text, wait_for

CLUSTER = "sanctuary-network"

ARTICLE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Gateway field report</title></head>
<body>
<nav><a href="/">Home</a> <a href="/about">About us</a> <a href="/shop">Shop the collection</a></nav>
<article>
<h1>Gateway field report</h1>
<p>The federation layer forwarded every request from the client to the cluster that owns the tool,
and the cluster answered within its time budget. Operators reported that registration happened on its
own as soon as the gateway came up, and that no host-side script was needed to tell the gateway which
tools exist. This paragraph is long enough for the readability heuristics to treat it as content.</p>
<h2>Findings</h2>
<ul><li>Tools were discovered automatically.</li><li>Refusals carried their reasons.</li></ul>
<p>A second paragraph keeps the article comfortably above the extraction threshold so that the
converter keeps the whole story instead of falling back to the full page, which would also be fine
but would not show the extraction at work through the gateway.</p>
</article>
<footer>Copyright 2026 Field Reports Ltd. All rights reserved.</footer>
</body></html>"""


class Pages(BaseHTTPRequestHandler):
    """A small site: an article, robots.txt, a redirect, JSON, and redirects to private targets."""

    def log_message(self, *args) -> None:  # keep the test output readable
        pass

    def send(self, status: int, ctype: str, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        routes = {
            "/robots.txt": (200, "text/plain", "User-agent: *\nDisallow: /private\n"),
            "/article.html": (200, "text/html; charset=utf-8", ARTICLE),
            "/private/notes.html": (200, "text/html", "<p>private notes</p>"),
            "/data.json": (200, "application/json", json.dumps({"ok": True})),
        }
        if self.path == "/moved":
            self.send(301, "text/plain", "", {"Location": "/article.html"})
        elif self.path == "/to-metadata":
            self.send(302, "text/plain", "", {"Location": "http://169.254.169.254/latest/meta-data/"})
        elif self.path in routes:
            self.send(*routes[self.path])
        else:
            self.send(404, "text/plain", "not found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        self.send(201, "application/json", json.dumps({"received": json.loads(body or "null"), "method": "POST"}))


def main() -> None:
    site = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{site.server_address[1]}"
    gw = Gateway()
    took = gw.start()
    print(f"# contextforge started on {gw.url} in {took:.1f}s; page server at {base}")
    # Mint the admin token once (with retries: minting runs the gateway's Python, which can fail
    # transiently on a loaded machine) and reuse it for every API call of this run.
    token = wait_for("an admin token", gw.token, timeout=60, interval=1.0)
    if not token:
        raise RuntimeError("could not mint a gateway token")
    gw.token = lambda: token
    clusters: list[Cluster] = []
    try:
        env = gw.cluster_env(**{
            "NET_ALLOW": "127.0.0.1",
        })
        a = Cluster(CLUSTER, env)
        a.env["FLEET_ADVERTISE_URL"] = f"{a.url}/mcp"
        a.start()
        clusters.append(a)
        check("cluster registered itself with the gateway", bool(wait_for("registration", lambda: a.registered(), timeout=30)), a.registration())
        entry = gw.gateway_named(CLUSTER)
        tools = gw.tools_of(entry["id"]) if entry else []
        expected = sorted(f"{CLUSTER}-{t}" for t in ["fetch", "fetch-url", "check-site-status", "http-request", "web-search"])
        check("gateway discovered the 5 network tools", tools == expected, tools)

        status, body = gw.rpc(f"{CLUSTER}-fetch", {"url": f"{base}/article.html"})
        text = result_text(body)
        check("fetch of a loopback page through POST /rpc", status == 200 and not result(body).get("isError"), body)
        check("the page came back as Markdown of its article",
              text.startswith(f"Contents of {base}/article.html:\n") and "## Findings" in text and "- Tools were discovered automatically." in text,
              text)
        check("navigation and footer were dropped", "Shop the collection" not in text and "All rights reserved" not in text, text)

        status, body = gw.rpc(f"{CLUSTER}-fetch", {"url": f"{base}/article.html", "max_length": 120})
        check("pagination marker names the next start_index", "start_index of 120" in result_text(body), result_text(body))
        status, body = gw.rpc(f"{CLUSTER}-fetch", {"url": f"{base}/moved"})
        check("a redirect is followed and named", f"(redirected to {base}/article.html)" in result_text(body), result_text(body))

        status, body = gw.rpc(f"{CLUSTER}-fetch", {"url": f"{base}/private/notes.html"})
        check("robots.txt refuses a disallowed page (isError)", result(body).get("isError") is True and "robots.txt" in result_text(body), body)
        status, body = gw.rpc(f"{CLUSTER}-fetch", {"url": "http://169.254.169.254/latest/meta-data/"})
        check("the SSRF guard refuses the cloud metadata address", result(body).get("isError") is True and "cloud metadata endpoint" in result_text(body), body)
        status, body = gw.rpc(f"{CLUSTER}-fetch", {"url": f"{base}/to-metadata"})
        check("and a redirect to it, at that hop", result(body).get("isError") is True and "reached through redirect 1" in result_text(body), body)

        status, body = gw.rpc(f"{CLUSTER}-fetch-url", {"url": f"{base}/data.json"})
        sc = result(body).get("structuredContent") or {}
        check("fetch_url returns status and content", sc.get("status") == 200 and sc.get("content") == '{"ok": true}', body)
        status, body = gw.rpc(f"{CLUSTER}-check-site-status", {"url": f"{base}/article.html"})
        sc = result(body).get("structuredContent") or {}
        check("check_site_status reports the status class", sc.get("state") == "up" and sc.get("status_class") == "2xx success", body)
        status, body = gw.rpc(f"{CLUSTER}-http-request", {"method": "POST", "url": f"{base}/submit", "json": {"n": 7}})
        sc = result(body).get("structuredContent") or {}
        check("http_request POSTs JSON and parses the answer", sc.get("status") == 201 and (sc.get("json") or {}).get("received") == {"n": 7}, body)
        status, body = gw.rpc(f"{CLUSTER}-web-search", {"query": "mcp gateway"})
        check("web_search without a backend says what to configure",
              result(body).get("isError") is True and "BRAVE_API_KEY" in result_text(body), body)

        # Legacy SSE, bearer token.
        b = Cluster(CLUSTER, dict(env, MCPGATEWAY_JWT_SECRET="", MCPGATEWAY_BEARER_TOKEN=gw.token(), FLEET_GATEWAY_NAME="sanctuary-network-sse"))
        b.env["FLEET_ADVERTISE_URL"] = f"http://127.0.0.1:{b.port}/sse"
        b.start()
        clusters.append(b)
        check("SSE cluster registered itself", bool(wait_for("SSE registration", lambda: b.registered(), timeout=30)), b.registration())
        status, body = gw.rpc("sanctuary-network-sse-fetch", {"url": f"{base}/article.html"})
        check("fetch through the gateway over SSE", "## Findings" in result_text(body), body)
    finally:
        for cl in clusters:
            cl.stop()
        gw.stop()
        site.shutdown()
    finish("gateway e2e (network)")


if __name__ == "__main__":
    main()
