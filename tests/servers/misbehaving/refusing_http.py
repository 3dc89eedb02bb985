"""A Streamable HTTP MCP server that refuses some of the messages posted to it, or fails to
answer them. Prints its port on stdout once listening on 127.0.0.1. Standard library only.

Every client message is a POST to `/mcp`; a request's answer is the POST's body (one
`application/json` body). `initialize` opens a session (`Mcp-Session-Id`); later messages must
carry it. GET `/mcp` is 405 (no stream of its own), DELETE ends the session. Its one tool,
`echo`, answers `ran echo N` (N is its argument `n`).

Which POSTs of `echo` calls it refuses (`REFUSE`, `REFUSE_FROM`) and the record of every
message posted (`REFUSING_RECORD`) are as `_refusing.py` says. HOW is:

- an HTTP status (`400`, `413`, `500`, `503`): answered at once, the message not handled;
- `drop`: the connection closed without an answer, the message not handled;
- `exit`: the server process exits without answering, the message not handled (the server is
  gone: later connections are refused);
- `hang`: the message handled (the tool run), the POST never answered; when the client closes
  its connection, `{"closed": ID}` is recorded;
- `cut`: the message handled, answered with an event stream that ends (one log notification,
  then the connection closed) before the answer comes;
- `short`: the message handled, answered with an `application/json` body that stops half-way
  (its `Content-Length` promises more, then the connection is closed);
- `invalid`: the message handled, answered with a 200 `application/json` body that is not JSON;
- `bad`: the message handled (the tool run), answered with a JSON-RPC result that is not a
  tool's result (`"result": 5`);
- `both`: the message handled (the tool run), answered with a result beside an error;
  `both+escaped` the same with the key `result` spelled with a JSON escape (`"res\\u0075lt"`);
  `both+null` an error beside a `"result": null`; `both+odd` a result beside `"error": 5`;
- `quoted`: the message handled, answered with a JSON-RPC error alone, whose `data` is
  `{"result": "none"}`;
- `deep:N`: the message handled (the tool run), answered with a result nested N arrays deep,
  its id last;
- `stream+X` (X one of `both`, `both+escaped`, `both+null`, `both+odd`, `bad`, `quoted`, `deep:N`): the same answer as
  X, sent as the one event of a `text/event-stream` body instead of an `application/json` one;
- `ran+X`: the message handled (the tool run), and then X instead of its answer: an HTTP
  status (`ran+500`, `ran+502`, `ran+202`: the status with no answer), `ran+drop` (the
  connection closed), `ran+text` (a 200 `text/plain` body);
- `error`: the message handled, answered with a JSON-RPC error of code -32000 (the
  implementation-defined server error many servers send);
- `expire`: the session has expired: this message and every later one on the session are 404
  (not handled), as the protocol has a server answer a session it no longer knows; a new
  `initialize` opens a new session.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from _refusing import (
    SERVER_ERROR,
    answer,
    nested_result,
    not_a_tool_result,
    null_result_beside_error,
    ran_then,
    record,
    record_closed,
    refusal,
    result_beside_error,
    result_beside_error_escaped,
    result_beside_odd_error,
)

SESSIONS: set[str] = set()

# The HOWs that run the tool and answer with what the protocol does not allow: each one's
# answer, as the bytes of one JSON text.
ANSWERS: dict[str, Any] = {
    "bad": lambda message: json.dumps(not_a_tool_result(message)).encode(),
    "both": lambda message: json.dumps(result_beside_error(message)).encode(),
    "both+escaped": lambda message: result_beside_error_escaped(message).encode(),
    "both+null": lambda message: json.dumps(null_result_beside_error(message)).encode(),
    "both+odd": lambda message: json.dumps(result_beside_odd_error(message)).encode(),
    # An error alone (the tool failed) whose data names a key `result`: the server's refusal.
    "quoted": lambda message: json.dumps({"jsonrpc": "2.0", "id": message["id"],
                                          "error": {**SERVER_ERROR, "data": {"result": "none"}}}).encode(),
}
_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client reuses its connection for each POST

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str = "", **headers: str) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _closed_without_answer(self) -> None:
        self.close_connection = True
        self.connection.shutdown(2)

    def do_GET(self) -> None:
        self._send(405, allow="POST, DELETE")

    def do_DELETE(self) -> None:
        with _lock:
            SESSIONS.discard(self.headers.get("Mcp-Session-Id", ""))
        self._send(200)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.split("?")[0] != "/mcp":
            self._send(404)
            return
        message = json.loads(body)
        is_request = isinstance(message, dict) and "id" in message and "method" in message
        session = self.headers.get("Mcp-Session-Id", "")
        if isinstance(message, dict) and message.get("method") == "initialize":
            session = uuid.uuid4().hex
            with _lock:
                SESSIONS.add(session)
            record(message, True)
            self._send(200, json.dumps(answer(message, "refusing-http")).encode(), "application/json",
                       Mcp_Session_Id=session)
            return
        with _lock:
            known = session in SESSIONS
        if not known:
            record(message, False)
            self._send(404, b'{"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Session not found"}}',
                       "application/json")
            return
        how = refusal(message)
        if how == "expire":
            with _lock:
                SESSIONS.discard(session)
            record(message, False)
            self._send(404, b'{"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Session not found"}}',
                       "application/json")
            return
        after = ran_then(how)
        if after is not None:
            record(message, True)
            if after == "drop":
                self._closed_without_answer()
            elif after == "text":
                self._send(200, b"ran it", "text/plain")
            else:
                self._send(int(after), b"refused after running", "text/plain")
            return
        if how == "error":
            record(message, True)
            self._send(200, json.dumps({"jsonrpc": "2.0", "id": message["id"], "error": SERVER_ERROR}).encode(),
                       "application/json")
            return
        if how in ("drop", "exit"):
            record(message, False)
            self._closed_without_answer()
            if how == "exit":
                os._exit(0)
            return
        if how is not None and how.isdigit():
            record(message, False)
            self._send(int(how), b"refused", "text/plain")
            return
        record(message, True)
        if how == "hang":
            while self.rfile.read(1):  # until the client closes the connection
                pass
            record_closed(message)
            self.close_connection = True
            return
        if not is_request:
            self._send(202)
            return
        whole = json.dumps(answer(message, "refusing-http")).encode()
        streamed = how is not None and how.startswith("stream+")
        answering = how[len("stream+"):] if streamed and how is not None else how
        nested = nested_result(message, answering) if answering is not None else None
        if answering in ANSWERS or nested is not None:
            body = nested.encode() if nested is not None else ANSWERS[answering](message)
            if streamed:
                self._send(200, b"event: message\ndata: " + body + b"\n\n", "text/event-stream",
                           Cache_Control="no-store")
            else:
                self._send(200, body, "application/json")
        elif how == "invalid":
            self._send(200, b"this is not JSON {", "application/json")
        elif how == "short":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(whole)))
            self.end_headers()
            self.wfile.write(whole[: len(whole) // 2])
            self.wfile.flush()
            self._closed_without_answer()
        elif how == "cut":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            note = {"jsonrpc": "2.0", "method": "notifications/message",
                    "params": {"level": "info", "data": "working on it"}}
            self.wfile.write(f"event: message\ndata: {json.dumps(note)}\n\n".encode())
            self.wfile.flush()
            self._closed_without_answer()
        else:
            self._send(200, whole, "application/json")


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()
