"""A small MCP server on the mcp Python SDK that logs what each tool call did, recording what
it is sent.

`logging_server.py RECORD` serves on stdio; `logging_server.py RECORD http` serves Streamable
HTTP at `/mcp` on a free loopback port, printing `listening on PORT` once it listens. Its tool
`work` sends a log message (`notifications/message`, level info) naming its argument (`times`
of them when asked), tied to the request that ran it, then answers; `announce` sends `notifications/tools/list_changed`. Each executed call, and each `logging/setLevel` the
server receives, is appended to RECORD as one JSON line: `{"tool": ..., "arguments": ...}` or
`{"setLevel": LEVEL}`.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from typing import Any

import mcp_types as types
from mcp.server.mcpserver import Context, MCPServer

RECORD = sys.argv[1]
server = MCPServer("logging-recording")


def _record(line: dict[str, Any]) -> None:
    fd = os.open(RECORD, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(line, sort_keys=True) + "\n").encode("utf-8"))
    finally:
        os.close(fd)


@server.tool()
async def work(note: str, ctx: Context, times: int = 1) -> str:
    """Do some work on a note and log what was done (`times` log messages)."""
    _record({"tool": "work", "arguments": {"note": note} if times == 1 else {"note": note, "times": times}})
    for _ in range(times):
        await ctx.info(f"worked on {note}")
    return f"did {note}"


@server.tool()
async def announce(ctx: Context) -> str:
    """Tell the client that the list of tools changed."""
    _record({"tool": "announce", "arguments": {}})
    await ctx.session.send_tool_list_changed()
    return "announced"


async def _set_level(ctx: Any, params: types.SetLevelRequestParams) -> types.EmptyResult:
    _record({"setLevel": params.level})
    return types.EmptyResult()


server._lowlevel_server.add_request_handler("logging/setLevel", types.SetLevelRequestParams, _set_level)


def _serve_http() -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"listening on {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(server.streamable_http_app(), log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    if sys.argv[2:] == ["http"]:
        _serve_http()
    else:
        server.run("stdio")
