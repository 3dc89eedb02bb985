"""A small MCP server (stdio, standard library only) that asks its client things on its own,
outside any call, and records the answers it gets.

`asking_server.py RECORD` serves on stdio. Its first line in RECORD is `{"pid": PID}`. On
SIGUSR1 (sent by the test, from outside: no request of anyone's is in progress) it sends a
`ping`, a `sampling/createMessage` (about a ledger's note), an `elicitation/create` and a
`roots/list`, as a server does from a background task when a job ends; each answer it gets is
appended to RECORD as `{"id": ..., "result": ...}` or `{"id": ..., "error": ...}` (ids
`ping-N`, `sampling-N`, `elicitation-N`, `roots-N` for the Nth signal). Its tool `announce`
sends `notifications/tools/list_changed` before its answer (a test waits for it to know the
client's stream is open); `work` answers at once; `wait` records `{"tool": "wait"}` and answers
SLOW_SECONDS later (a call in progress while the test makes the server ask). It lists one resource, `note://ledger`,
takes `resources/subscribe` and refuses every `resources/unsubscribe` ("no subscription to
end"), recording each as `{"method": ..., "uri": ...}` as it arrives. A subscribe to
`note://slow` is answered SLOW_SECONDS after it arrives (a server that looks the resource up
first), so a client can leave while it waits.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from typing import Any

RECORD = sys.argv[1]
SLOW_SECONDS = 2.0
_write_lock = threading.Lock()

TOOLS = [
    {"name": "announce", "description": "Tell the client that the list of tools changed.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "work", "description": "Do some work.", "inputSchema": {"type": "object", "properties": {}}},
    {"name": "wait", "description": "Work for a while.", "inputSchema": {"type": "object", "properties": {}}},
]


def _record(line: dict[str, Any]) -> None:
    fd = os.open(RECORD, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(line, sort_keys=True) + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def _send(message: dict[str, Any]) -> None:
    with _write_lock:  # the asking thread writes too: one message per line, never interleaved
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def _ask(n: int) -> None:
    text = {"type": "text", "text": "Summarize the ledger note alice-private-ledger"}
    _send({"jsonrpc": "2.0", "id": f"ping-{n}", "method": "ping"})
    _send({"jsonrpc": "2.0", "id": f"sampling-{n}", "method": "sampling/createMessage",
           "params": {"messages": [{"role": "user", "content": text}], "maxTokens": 20}})
    _send({"jsonrpc": "2.0", "id": f"elicitation-{n}", "method": "elicitation/create",
           "params": {"message": "Approve the transfer of alice-private-ledger?",
                      "requestedSchema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}})
    _send({"jsonrpc": "2.0", "id": f"roots-{n}", "method": "roots/list"})


def _asking() -> None:
    n = 0
    while True:
        signal.sigwait({signal.SIGUSR1})
        n += 1
        _ask(n)


class _Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.error = {"code": code, "message": message}


def _answer(method: str, params: dict[str, Any]) -> dict[str, Any]:
    if method == "initialize":
        return {"protocolVersion": params.get("protocolVersion", "2025-06-18"),
                "capabilities": {"tools": {"listChanged": True}, "resources": {"subscribe": True}},
                "serverInfo": {"name": "asking-recording", "version": "0.0.1"}}
    if method == "tools/list":
        return {"tools": TOOLS}
    if method == "tools/call" and params.get("name") == "announce":
        _send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
        return {"content": [{"type": "text", "text": "announced"}]}
    if method == "tools/call" and params.get("name") == "work":
        return {"content": [{"type": "text", "text": "worked"}]}
    if method == "tools/call" and params.get("name") == "wait":
        _record({"tool": "wait"})
        time.sleep(SLOW_SECONDS)
        return {"content": [{"type": "text", "text": "waited"}]}
    if method == "ping":
        return {}
    if method == "resources/list":
        return {"resources": [{"uri": "note://ledger", "name": "ledger"}]}
    if method in ("resources/subscribe", "resources/unsubscribe"):
        _record({"method": method, "uri": params.get("uri")})
        if method == "resources/unsubscribe":
            raise _Refused(-32602, "no subscription to end")
        if params.get("uri") == "note://slow":
            time.sleep(SLOW_SECONDS)
        return {}
    raise LookupError(method)


def main() -> None:
    # SIGUSR1 is taken by the asking thread alone (blocked here, so no handler interrupts a write).
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    threading.Thread(target=_asking, daemon=True).start()
    _record({"pid": os.getpid()})
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        if "method" not in message:  # an answer to one of our requests
            _record({key: message[key] for key in ("id", "result", "error") if key in message})
            continue
        if "id" not in message:
            continue  # notifications need no answer
        try:
            _send({"jsonrpc": "2.0", "id": message["id"], "result": _answer(message["method"], message.get("params") or {})})
        except _Refused as refused:
            _send({"jsonrpc": "2.0", "id": message["id"], "error": refused.error})
        except LookupError:
            _send({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": "Method not found"}})


if __name__ == "__main__":
    main()
