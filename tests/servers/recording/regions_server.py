"""A small MCP server on the mcp Python SDK (stdio) whose tools mark arguments `x-mcp-header`,
recording every tool call it executes.

A 2026-07-28 client mirrors such an argument into an `Mcp-Param-<Name>` HTTP header. Each
executed call is appended to the file named by the first argument as one JSON line,
`{"tool": ..., "arguments": ...}`, written by the tool itself: what is in the file is exactly
what ran.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

RECORD = sys.argv[1]
server = MCPServer("regions-recording")

Region = Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})]
Replicas = Annotated[int, Field(json_schema_extra={"x-mcp-header": "Replicas"})]


def _record(tool: str, arguments: dict[str, Any]) -> None:
    line = json.dumps({"tool": tool, "arguments": arguments}, sort_keys=True) + "\n"
    fd = os.open(RECORD, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


@server.tool()
def deploy(region: Region, replicas: Replicas = 1, note: str = "") -> str:
    """Deploy the service to a region."""
    _record("deploy", {"region": region, "replicas": replicas, "note": note})
    return f"deployed {replicas} to {region}"


@server.tool()
def drain(region: Region) -> str:
    """Drain every instance of a region (destructive)."""
    _record("drain", {"region": region})
    return f"drained {region}"


if __name__ == "__main__":
    server.run("stdio")
