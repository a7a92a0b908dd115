#!/usr/bin/env python3
"""A cluster binary through the official MCP Python SDK (mcp 2.x), over all three transports.

For each of Streamable HTTP, legacy SSE and stdio: initialize, list tools, call a tool and check
its structured result, call with a bad argument and check the isError text, and call an unknown
tool and check the JSON-RPC error. Then 20 concurrent SSE sessions, each checking its own reply.

Run with the SDK venv: .cache/py/bin/python tests/e2e/python_clients.py [cluster-binary] [tool JSON...]
Defaults exercise sanctuary-utils.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp import MCPError

sys.path.insert(0, str(Path(__file__).parent))
from fleet_e2e import BIN_DIR, Cluster, check, finish  # noqa: E402


def is_error(result) -> bool:
    return bool(getattr(result, "is_error", None) or getattr(result, "isError", None))


def structured(result):
    return getattr(result, "structured_content", None) or getattr(result, "structuredContent", None)


def text(result) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


async def exercise(label: str, session: ClientSession) -> None:
    init = await session.initialize()
    name = init.server_info.name if hasattr(init, "server_info") else init.serverInfo.name
    check(f"{label}: initialize names the server", name == "sanctuary-utils", name)
    tools = [t.name for t in (await session.list_tools()).tools]
    check(f"{label}: tools/list has the 20 utils tools", len(tools) == 20 and "convert_time" in tools, tools)
    r = await session.call_tool("convert_time", {"source_timezone": "America/New_York", "time": "16:30", "target_timezone": "Asia/Kathmandu", "date": "2026-01-15"})
    s = structured(r) or {}
    check(f"{label}: convert_time gives +10.75h", not is_error(r) and s.get("time_difference") == "+10.75h", s or text(r))
    r = await session.call_tool("calculator_calculate", {"expression": "1/0"})
    check(f"{label}: bad input is an isError result naming the problem", is_error(r) and "division by zero" in text(r), text(r))
    try:
        await session.call_tool("no_such_tool", {})
        check(f"{label}: unknown tool is a JSON-RPC error", False, "no error")
    except MCPError as e:
        code = getattr(e, "code", None)
        check(f"{label}: unknown tool is a JSON-RPC -32602 error", code == -32602, e)


async def main() -> None:
    binary = BIN_DIR / "sanctuary-utils"
    server = Cluster("sanctuary-utils", {"UTILS_LOCAL_TIMEZONE": "UTC"}).start()
    try:
        async with streamable_http_client(f"{server.url}/mcp") as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await exercise("streamable-http", session)
        async with sse_client(f"{server.url}/sse") as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await exercise("sse", session)
        params = StdioServerParameters(command=str(binary), args=[], env={"PATH": os.environ.get("PATH", ""), "RUST_LOG": "warn"})
        async with stdio_client(params) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await exercise("stdio", session)

        async def one(i: int) -> bool:
            async with sse_client(f"{server.url}/sse") as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    await session.initialize()
                    want = f"python session {i}"
                    r = await session.call_tool("string_reverse", {"text": want})
                    return (structured(r) or {}).get("result") == want[::-1]

        results = await asyncio.gather(*(one(i) for i in range(20)))
        check("20 concurrent SSE sessions each got their own reply", all(results), results)
    finally:
        server.stop()
    finish("python SDK clients")


if __name__ == "__main__":
    asyncio.run(main())
