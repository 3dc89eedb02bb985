"""A Streamable HTTP MCP server whose answers can be huge. Prints its port on stdout once
listening on 127.0.0.1. Standard library only.

Tools:
- `echo` answers at once, small (the connection still serves after a huge answer).
- `huge` is answered with one `application/json` body of `HUGE_REPLY_MB` megabytes (default
  200), written a megabyte at a time so that the server itself stays small.
- `huge_event` is answered with an event stream whose one event is that large.
- `zipped` is answered with a small gzip-compressed body, though the client asked for none.

`HUGE_LISTING=1` answers every `tools/list` with such a body instead.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HUGE_MB = int(os.environ.get("HUGE_REPLY_MB", "200"))
HUGE_LISTING = os.environ.get("HUGE_LISTING") == "1"
MEGABYTE = b"A" * (1 << 20)
TOOLS = ["echo", "huge", "huge_event", "zipped"]


def _huge_message(request_id: object) -> tuple[bytes, bytes]:
    """A well-formed JSON-RPC answer, only too long: its head and tail around HUGE_MB of text."""
    head = f'{{"jsonrpc":"2.0","id":{json.dumps(request_id)},"result":{{"content":[{{"type":"text","text":"'
    return head.encode(), b'"}]}}'


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _reply(self, status: int, body: dict | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _huge_json(self, request_id: object) -> None:
        head, tail = _huge_message(request_id)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(head) + HUGE_MB * len(MEGABYTE) + len(tail)))
        self.end_headers()
        self.wfile.write(head)
        for _ in range(HUGE_MB):
            self.wfile.write(MEGABYTE)
        self.wfile.write(tail)

    def _huge_event(self, request_id: object) -> None:
        head, tail = _huge_message(request_id)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()  # no length: the stream ends when the connection closes
        self.wfile.write(b"event: message\ndata: " + head)
        for _ in range(HUGE_MB):
            self.wfile.write(MEGABYTE)
        self.wfile.write(tail + b"\n\n")

    def _zipped(self, request_id: object) -> None:
        body = {"jsonrpc": "2.0", "id": request_id, "result": {"content": [{"type": "text", "text": "zipped"}]}}
        data = gzip.compress(json.dumps(body).encode())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.send_response(405)
        self.send_header("Allow", "POST")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_DELETE(self):
        self._reply(200)

    def do_POST(self):
        message = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        if "id" not in message:
            self._reply(202)
            return
        request_id, method = message["id"], message.get("method")
        try:
            if method == "initialize":
                result: dict = {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "huge-http", "version": "1.0"},
                }
            elif method == "tools/list" and HUGE_LISTING:
                self._huge_json(request_id)
                return
            elif method == "tools/list":
                result = {"tools": [{"name": name, "inputSchema": {"type": "object"}} for name in TOOLS]}
            elif method == "tools/call":
                name = (message.get("params") or {}).get("name")
                if name == "huge":
                    self._huge_json(request_id)
                    return
                if name == "huge_event":
                    self._huge_event(request_id)
                    return
                if name == "zipped":
                    self._zipped(request_id)
                    return
                result = {"content": [{"type": "text", "text": f"ran {name}"}]}
            else:
                self._reply(200, {"jsonrpc": "2.0", "id": request_id, "error": {"code": -32601, "message": "no"}})
                return
            self._reply(200, {"jsonrpc": "2.0", "id": request_id, "result": result})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what it should do with a huge answer


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    sys.stdout.flush()
    server.serve_forever()
