"""A small MCP server on the mcp Python SDK (stdio) that records every tool call it executes.

Each executed call is appended to the file named by the first argument as one JSON line,
`{"tool": ..., "arguments": ...}`, written by the tool itself: what is in the file is exactly
what ran. The tools mimic a workflow server's read, write and delete tools.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel

RECORD = sys.argv[1]
server = MCPServer("flows-recording")


def _record(tool: str, arguments: dict[str, Any]) -> None:
    line = json.dumps({"tool": tool, "arguments": arguments}, sort_keys=True) + "\n"
    fd = os.open(RECORD, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8", "surrogatepass"))
    finally:
        os.close(fd)


@server.tool()
def list_flows(namespace: str = "", note: Any = None) -> str:
    """List the flows of a namespace."""
    _record("list_flows", {"namespace": namespace, "note": note})
    return f"flows of {namespace!r}: hello, nightly"


@server.tool()
def delete_flow(namespace: str, flow_id: str) -> str:
    """Delete a flow (destructive)."""
    _record("delete_flow", {"namespace": namespace, "flow_id": flow_id})
    return f"deleted {namespace}.{flow_id}"


@server.tool()
def read_secret(name: str = "") -> str:
    """Read a secret value."""
    _record("read_secret", {"name": name})
    return "s3cr3t"


@server.tool()
def list_paths(paths: list[str]) -> str:
    """List the given paths (a list parameter: the SDK parses JSON text into it)."""
    _record("list_paths", {"paths": paths})
    return f"listed {len(paths)} path(s)"


@server.tool()
def purge_ids(ids: list[int]) -> str:
    """Purge records by id (integers: the validator coerces "1" and true into 1)."""
    _record("purge_ids", {"ids": ids})
    return f"purged {ids}"


@server.tool()
def copy_with(source: str, opts: dict[str, Any] | None = None) -> str:
    """Copy a file with options (an object parameter: the SDK parses JSON text into it)."""
    _record("copy_with", {"source": source, "opts": opts})
    return f"copied {source}"


@server.tool()
def set_options(options: dict[str, Any]) -> str:
    """Set a flow's options, named as a server that matches names by their Unicode normal form
    (NFC) reads them: `lo\u0308schen` is the option `l\u00f6schen`, and of two keys that are one
    name in NFC the later one's value is kept, as a dict built from them keeps it."""
    named = {unicodedata.normalize("NFC", key): value for key, value in options.items()}
    _record("set_options", {"options": named})
    return f"set {sorted(named)}"


class _Notify(BaseModel):
    notify: bool


@server.tool()
async def run_flow(namespace: str, flow_id: str, ctx: Context) -> str:
    """Run a flow, then ask the client whether to notify its owners (an elicitation). A client
    that answers the question with an error fails the call with that JSON-RPC error: the SDK
    passes it out of the tool, after the run."""
    _record("run_flow", {"namespace": namespace, "flow_id": flow_id})
    answer = await ctx.elicit("Notify the flow's owners?", _Notify)
    return f"ran {namespace}.{flow_id} ({answer.action})"


if __name__ == "__main__":
    server.run("stdio")
