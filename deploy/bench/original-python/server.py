"""Stand-in for an original cluster server: the same stack (FastMCP on uvicorn, with the modules
the original imported), one tool and /health. Its start-up is a lower bound on the original's,
which also imported the project's own packages."""

import os

import httpx  # noqa: F401  (imported by the original's servers)
import pydantic  # noqa: F401
import sse_starlette  # noqa: F401
import tiktoken  # noqa: F401
from fastmcp import FastMCP
from starlette.responses import JSONResponse

mcp = FastMCP("sanctuary_utils")


@mcp.tool
def calculator_add(a: float, b: float) -> float:
    return a + b


@mcp.custom_route("/health", methods=["GET"])
async def health(_request):
    return JSONResponse({"status": "healthy"})


if __name__ == "__main__":
    mcp.run(transport="sse", host="0.0.0.0", port=int(os.environ.get("PORT", "8000")))
