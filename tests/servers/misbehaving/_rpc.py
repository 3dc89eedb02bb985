"""A bare JSON-RPC-over-stdio loop (standard library only, so these servers start fast).

Each misbehaving server in this folder is a real process speaking (or failing to speak) MCP
on stdin/stdout; this module holds the plumbing they share.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

Handler = Callable[[str, dict[str, Any]], Any]

NO_REPLY = object()
# The id of the request being handled, for a handler that answers it later (after NO_REPLY),
# and the request as sent.
current_id: Any = None
current_message: dict[str, Any] = {}


class RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def record_pid(extra: list[int] | None = None) -> None:
    """Write this process's pid (and any helpers') where the test asked, one per line."""
    path = os.environ.get("MISBEHAVING_PIDFILE")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.writelines(f"{pid}\n" for pid in [os.getpid(), *(extra or [])])


def initialize_result(name: str, instructions: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "protocolVersion": "2025-06-18",
        "capabilities": {"tools": {}},
        "serverInfo": {"name": name, "version": "0.0.1"},
    }
    if instructions:
        result["instructions"] = instructions
    return result


def send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def serve(handler: Handler) -> None:
    """Answer requests until stdin closes."""
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        message = json.loads(line)
        method = message.get("method", "")
        if "id" not in message:
            continue  # notifications need no answer
        global current_id, current_message
        current_id, current_message = message["id"], message
        try:
            result = handler(method, message.get("params") or {})
        except RpcError as exc:
            send(
                {
                    "jsonrpc": "2.0",
                    "id": message["id"],
                    "error": {"code": exc.code, "message": exc.message},
                }
            )
            continue
        if result is NO_REPLY:
            continue
        send({"jsonrpc": "2.0", "id": message["id"], "result": result})
