"""mcp_stdio.py — the minimal MCP client the benchmark scripts share: one server on stdio, spoken to
with newline-delimited JSON-RPC and no SDK, so a call's time is the server's work plus one pipe round
trip and the JSON. Standard library only."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path


class StdioServer:
    def __init__(self, label: str, argv: list[str], env: dict[str, str], protocol: str = "2025-11-25") -> None:
        self.label = label
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env)
        self.next_id = 0
        self.info = self.request("initialize", {"protocolVersion": protocol, "capabilities": {},
                                                "clientInfo": {"name": "sanctuary-bench", "version": "1"}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, msg: dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()

    def request(self, method: str, params: dict) -> dict:
        """The result of one request; a JSON-RPC error raises. Requests from the server (roots/list)
        are declined."""
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.label}: {method}: the server closed its stdout")
            msg = json.loads(line)
            if "method" in msg:
                if "id" in msg:
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32601, "message": "not supported"}})
                continue
            if msg.get("id") == rid:
                if "error" in msg:
                    raise RuntimeError(f"{self.label}: {method}: {msg['error']}")
                return msg["result"]

    def call(self, tool: str, args: dict) -> tuple[float, dict]:
        """(milliseconds, result) of one tool call; an `isError` result raises."""
        t0 = time.perf_counter()
        res = self.request("tools/call", {"name": tool, "arguments": args})
        elapsed = (time.perf_counter() - t0) * 1000
        if res.get("isError"):
            raise RuntimeError(f"{self.label}: {tool} failed: {text_of(res)[:500]}")
        return elapsed, res

    def cpu_s(self) -> float:
        """User + system CPU seconds the server has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def status_kb(self, key: str) -> int:
        """A field of /proc/<pid>/status in KiB (VmRSS, VmHWM); 0 when absent."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def text_of(res: dict) -> str:
    return "".join(c.get("text", "") for c in res.get("content", []))
