"""An MCP server over HTTP whose answers can be huge or compressed. Prints its port on stdout
once listening on 127.0.0.1. Standard library only.

It speaks Streamable HTTP at `/mcp` and the legacy HTTP+SSE transport at `/sse` (the event
stream) with `/messages?session_id=...` (where the client posts), with the same tools:

- `echo` answers at once, small (the connection still serves after a huge answer).
- `huge` is answered with one message of `HUGE_REPLY_MB` mebibytes (default 200; a call's
  argument `mb` overrides it): over Streamable HTTP one `application/json` body, over SSE one
  event. It is written a mebibyte at a time, so that the server itself stays small.
- `huge_event` (Streamable HTTP) is answered with an event stream whose one event is that large.
- `zipped` (Streamable HTTP) is answered with a small body compressed though the client asked
  for none: in gzip, or in the encoding its argument `encoding` names (`deflate`, or any other
  name, which only labels the body).

`HUGE_LISTING=1` answers every `tools/list` with such a message instead. `ENCODING=gzip` (or
`deflate`) compresses every body as it is written, though the client asked for none: `huge`
then sends a few hundred kilobytes that unpack to the full size. `ENCODING=x-squeeze` labels
every body with an encoding nobody can decode.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import uuid
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HUGE_MB = int(os.environ.get("HUGE_REPLY_MB", "200"))
HUGE_LISTING = os.environ.get("HUGE_LISTING") == "1"
ENCODING = os.environ.get("ENCODING", "")
MEGABYTE = b"A" * (1 << 20)
TOOLS = ["echo", "huge", "huge_event", "zipped"]
# The legacy transport's sessions: what each one's event stream has still to send.
SESSIONS: dict[str, queue.Queue[Iterator[bytes]]] = {}


def _huge_message(request_id: object, mb: int) -> Iterator[bytes]:
    """A well-formed JSON-RPC answer, only long: its head and tail around `mb` MiB of text."""
    yield f'{{"jsonrpc":"2.0","id":{json.dumps(request_id)},"result":{{"content":[{{"type":"text","text":"'.encode()
    for _ in range(mb):
        yield MEGABYTE
    yield b'"}]}}'


def _small(message: dict) -> Iterator[bytes]:
    yield json.dumps(message).encode()


def _encoded(chunks: Iterator[bytes], encoding: str = ENCODING) -> Iterator[bytes]:
    """The body as `encoding` says, compressed as it is written."""
    if encoding not in ("gzip", "deflate"):
        yield from chunks
        return
    compressor = zlib.compressobj(wbits=31 if encoding == "gzip" else 15)
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def _answer(message: dict) -> tuple[str, Iterator[bytes]]:
    """How a request is answered: ("json", message), ("event", message) for an event stream,
    (an encoding, message) for a body in that encoding whatever ENCODING says."""
    request_id, method = message["id"], message.get("method")
    params = message.get("params") or {}
    if method == "initialize":
        result: dict = {
            "protocolVersion": "2025-06-18",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "huge-http", "version": "1.0"},
        }
    elif method == "tools/list" and HUGE_LISTING:
        return "json", _huge_message(request_id, HUGE_MB)
    elif method == "tools/list":
        result = {"tools": [{"name": name, "inputSchema": {"type": "object"}} for name in TOOLS]}
    elif method == "tools/call":
        name = params.get("name")
        mb = int((params.get("arguments") or {}).get("mb", HUGE_MB))
        if name in ("huge", "huge_event"):
            return ("event" if name == "huge_event" else "json"), _huge_message(request_id, mb)
        if name == "zipped":
            return (params.get("arguments") or {}).get("encoding", "gzip"), _small({"jsonrpc": "2.0", "id": request_id,
                                      "result": {"content": [{"type": "text", "text": "zipped"}]}})
        result = {"content": [{"type": "text", "text": f"ran {name}"}]}
    else:
        return "json", _small({"jsonrpc": "2.0", "id": request_id, "error": {"code": -32601, "message": "no"}})
    return "json", _small({"jsonrpc": "2.0", "id": request_id, "result": result})


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _empty(self, status: int, **headers: str) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _body(self, content_type: str, chunks: Iterator[bytes], encoding: str = ENCODING) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()  # no length: the body ends when the connection closes (HTTP/1.0)
        for chunk in chunks:
            self.wfile.write(chunk)

    def _streamable(self, message: dict) -> None:
        kind, chunks = _answer(message)
        if kind == "event":
            self._body("text/event-stream", _encoded(_event(chunks)))
        elif kind == "json":
            self._body("application/json", _encoded(chunks))
        else:
            self._body("application/json", _encoded(chunks, kind), kind)

    def _event_stream(self) -> None:
        """The legacy transport's event stream: the endpoint to post to, then the answers."""
        session = uuid.uuid4().hex
        answers: queue.Queue[Iterator[bytes]] = queue.Queue()
        SESSIONS[session] = answers
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        if ENCODING:
            self.send_header("Content-Encoding", ENCODING)
        self.end_headers()
        compressor = zlib.compressobj(wbits=31 if ENCODING == "gzip" else 15)

        def send(chunk: bytes) -> None:
            if ENCODING in ("gzip", "deflate"):
                # Flushed at each event's end, so that the client reads every event as it comes.
                chunk = compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)
            self.wfile.write(chunk)
            self.wfile.flush()

        send(f"event: endpoint\ndata: /messages?session_id={session}\n\n".encode())
        while True:
            for chunk in answers.get():
                send(chunk)

    def do_GET(self):
        if urlparse(self.path).path == "/sse":
            try:
                self._event_stream()
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        self._empty(405, Allow="POST")

    def do_DELETE(self):
        self._empty(200)

    def do_POST(self):
        url = urlparse(self.path)
        message = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        if url.path == "/messages":
            answers = SESSIONS.get(parse_qs(url.query).get("session_id", [""])[0])
            if answers is None:
                self._empty(404)
                return
            if "id" in message:
                answers.put(_event(_answer(message)[1]))
            self._empty(202)
            return
        if "id" not in message:
            self._empty(202)
            return
        try:
            self._streamable(message)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what it should do with a huge answer


def _event(chunks: Iterator[bytes]) -> Iterator[bytes]:
    yield b"event: message\ndata: "
    yield from chunks
    yield b"\n\n"


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    sys.stdout.flush()
    server.serve_forever()
