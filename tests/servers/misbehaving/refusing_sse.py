"""A legacy HTTP+SSE MCP server whose message endpoint refuses some of the messages posted to
it. Prints its port on stdout once listening on 127.0.0.1. Standard library only.

`GET /sse` opens the event stream (its first event names `/messages?session_id=...`, where the
client posts its messages); answers come on that stream, as the legacy transport has them.
Its one tool, `echo`, answers `ran echo N` (N is its argument `n`).

`REFUSE` says which POSTs of `echo` calls are refused, counted from 1 over the server's life, as
`N=HOW` pairs separated by commas (`REFUSE=2=500,4=drop`); `REFUSE_FROM=N=HOW` refuses the Nth
and every later one (a server that does not recover). HOW is an HTTP status (`400`, `413`,
`500`: answered at once, the message not handled), `drop` (the connection closed without an
answer, the message not handled) or `hang` (the message handled, the tool run, and neither
the POST nor the call ever answered).

`SSE_RECORD=FILE` gets one JSON line per message posted: `{"message": ..., "taken": true}` when
the server handled it (a `tools/call` taken is a tool that ran), `"taken": false` when it was
refused. What is in the file is what the server received and what it did with it.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

RECORD = os.environ.get("SSE_RECORD", "")


def _refusals() -> tuple[dict[int, str], tuple[int, str] | None]:
    each: dict[int, str] = {}
    for pair in filter(None, os.environ.get("REFUSE", "").split(",")):
        number, how = pair.split("=", 1)
        each[int(number)] = how
    start = os.environ.get("REFUSE_FROM", "")
    if start:
        number, how = start.split("=", 1)
        return each, (int(number), how)
    return each, None


REFUSE, REFUSE_FROM = _refusals()
# The legacy transport's sessions: the messages each one's event stream has still to send.
SESSIONS: dict[str, queue.Queue[dict[str, Any]]] = {}
_lock = threading.Lock()
_calls = 0


def _record(message: Any, taken: bool) -> None:
    if not RECORD:
        return
    with _lock, open(RECORD, "a", encoding="utf-8") as out:
        out.write(json.dumps({"message": message, "taken": taken}) + "\n")


def _refusal(message: Any) -> str | None:
    """How this message is refused, or None when it is handled."""
    global _calls
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return None
    if (message.get("params") or {}).get("name") != "echo":
        return None  # the gateway's start-up probe, say
    with _lock:
        _calls += 1
        number = _calls
    if number in REFUSE:
        return REFUSE[number]
    if REFUSE_FROM is not None and number >= REFUSE_FROM[0]:
        return REFUSE_FROM[1]
    return None


def _answer(message: dict[str, Any]) -> dict[str, Any]:
    method, params = message.get("method"), message.get("params") or {}
    result: dict[str, Any]
    if method == "initialize":
        result = {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                  "serverInfo": {"name": "refusing-sse", "version": "1.0"}}
    elif method == "tools/list":
        result = {"tools": [{"name": "echo", "inputSchema": {"type": "object"}}]}
    elif method == "tools/call" and params.get("name") == "echo":
        result = {"content": [{"type": "text", "text": f"ran echo {(params.get('arguments') or {}).get('n')}"}]}
    elif method == "tools/call":
        result = {"content": [{"type": "text", "text": f"Unknown tool: {params.get('name')}"}], "isError": True}
    elif method == "ping":
        result = {}
    else:
        return {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": "Method not found"}}
    return {"jsonrpc": "2.0", "id": message["id"], "result": result}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client reuses its connection for each POST

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _empty(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        if urlparse(self.path).path != "/sse":
            self._empty(404)
            return
        session = uuid.uuid4().hex
        answers: queue.Queue[dict[str, Any]] = queue.Queue()
        SESSIONS[session] = answers
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(f"event: endpoint\ndata: /messages?session_id={session}\n\n".encode())
            self.wfile.flush()
            while True:
                message = answers.get()
                self.wfile.write(f"event: message\ndata: {json.dumps(message)}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            SESSIONS.pop(session, None)
            self.close_connection = True

    def do_POST(self) -> None:
        url = urlparse(self.path)
        answers = SESSIONS.get(parse_qs(url.query).get("session_id", [""])[0])
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if url.path != "/messages" or answers is None:
            self._empty(404)
            return
        message = json.loads(body)
        how = _refusal(message)
        if how == "drop":
            _record(message, False)
            self.close_connection = True
            self.connection.shutdown(2)  # closed without an answer
            return
        if how == "hang":
            _record(message, True)  # taken and run, then never answered
            threading.Event().wait()
            return
        if how is not None:
            _record(message, False)
            self._empty(int(how))
            return
        _record(message, True)
        self._empty(202)
        if isinstance(message, dict) and "id" in message and "method" in message:
            answers.put(_answer(message))


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()
