"""Shared helpers for the end-to-end tests: the real ContextForge gateway, the real cluster
binaries, and small check/report functions. Standard library only."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CF_SCRIPT = ROOT / "scripts" / "contextforge.sh"
BIN_DIR = Path(os.environ.get("FLEET_BIN_DIR", ROOT / "target" / "debug"))

_failures: list[str] = []
_passed = 0


def check(name: str, ok: bool, detail: object = "") -> bool:
    """Record one check; print it; never raise, so every check of a run is reported."""
    global _passed
    if ok:
        _passed += 1
        print(f"ok   - {name}", flush=True)
    else:
        _failures.append(name)
        print(f"FAIL - {name}: {detail}", flush=True)
    return ok


def finish(suite: str) -> None:
    if _failures:
        print(f"{suite}: {len(_failures)} of {_passed + len(_failures)} checks FAILED: {', '.join(_failures)}")
        sys.exit(1)
    print(f"{suite}: all {_passed} checks passed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, predicate, timeout: float = 30.0, interval: float = 0.2):
    """Poll `predicate` until it returns a truthy value; return it, or None after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - polling tolerates transient failures
            last = e
        time.sleep(interval)
    print(f"     (timed out after {timeout}s waiting for {what}; last: {last!r})", flush=True)
    return None


def http_json(method: str, url: str, body=None, token: str | None = None, timeout: float = 30.0):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("Accept", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


class Gateway:
    """The real ContextForge, through scripts/contextforge.sh, on its own port and state dir."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, CF_PORT=str(self.port), CF_STATE=str(ROOT / ".cache" / "contextforge" / f"e2e-{self.port}"))
        self.pid: str | None = None

    def _cf(self, *args: str) -> str:
        out = subprocess.run([str(CF_SCRIPT), *args], env=self.env, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"contextforge.sh {' '.join(args)} failed: {out.stderr.strip()} {out.stdout.strip()}")
        return out.stdout.strip()

    def start(self) -> float:
        t0 = time.monotonic()
        self.pid = self._cf("start").splitlines()[-1]
        return time.monotonic() - t0

    def stop(self) -> None:
        if self.pid:
            self._cf("stop", self.pid)
            self.pid = None

    def reset(self) -> None:
        self._cf("reset")

    def secret(self) -> str:
        return self._cf("secret")

    def token(self) -> str:
        return self._cf("token")

    def cluster_env(self, **extra: str) -> dict[str, str]:
        """What a cluster needs to register itself with this gateway, re-checking every second."""
        return {
            "MCP_GATEWAY_URL": self.url,
            "MCPGATEWAY_JWT_SECRET": self.secret(),
            "FLEET_REGISTRATION_CHECK_INTERVAL": "1s",
            "FLEET_REGISTRATION_MAX_BACKOFF": "2s",
            **extra,
        }

    def api(self, method: str, path: str, body=None):
        return http_json(method, self.url + path, body, token=self.token())

    def gateway_named(self, name: str):
        status, body = self.api("GET", "/gateways?include_inactive=true&limit=0")
        items = body if isinstance(body, list) else (body or {}).get("items", [])
        return next((g for g in items if g.get("name") == name), None) if status == 200 else None

    def tools_of(self, gateway_id: str) -> list[str]:
        status, body = self.api("GET", f"/tools?gateway_id={gateway_id}&limit=0")
        items = body if isinstance(body, list) else (body or {}).get("items", [])
        return sorted(t["name"] for t in items) if status == 200 else []

    def rpc(self, tool: str, arguments: dict):
        status, body = self.api("POST", "/rpc", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
        return status, body


class Cluster:
    """One cluster binary in HTTP mode on a free loopback port."""

    def __init__(self, binary: str, env: dict[str, str], port: int | None = None):
        self.binary = BIN_DIR / binary
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, PORT=str(self.port), HOST="127.0.0.1", FLEET_ALLOW_LOOPBACK="1", RUST_LOG="info", **env)
        self.env.pop("FLEET_FAULT_TOOLS", None)
        self.proc: subprocess.Popen | None = None
        self.log_path = ROOT / ".cache" / "e2e-logs" / f"{binary}-{self.port}.log"

    def start(self) -> "Cluster":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([str(self.binary)], env=self.env, stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"))
        if not wait_for(f"{self.binary.name} health", lambda: self.health(), timeout=20):
            raise RuntimeError(f"{self.binary.name} did not become healthy; log: {self.log_path}")
        return self

    def health(self):
        status, body = http_json("GET", self.url + "/health", timeout=3)
        return body if status == 200 else None

    def registration(self) -> dict:
        h = self.health() or {}
        return h.get("registration", {})

    def registered(self) -> dict | None:
        """The registration state when it is `registered`, else None (for wait_for)."""
        reg = self.registration()
        return reg if reg.get("state") == "registered" else None

    def stop(self) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return None
        return self.proc.returncode if self.proc else None


def result(body) -> dict:
    return (body or {}).get("result") or {}


def result_text(body) -> str:
    return "".join(c.get("text", "") for c in result(body).get("content", []))
