"""A minimal Streamable HTTP MCP server (JSON responses) that wants `Authorization: Bearer
$EXPECTED_TOKEN`, or the token as HTTP basic auth's user with no password (what a client sends
for `http://TOKEN@host/mcp`); at `/k/TOKEN/mcp` or `/v1/TOKEN/mcp` the token in the path is enough, as services
that put the key in the endpoint's URL do. Prints its port on stdout once listening. Standard
library only.

With ECHO_TOKEN=1 it repeats the token in its instructions and a tool's description, to prove
clients keep it out of files and the gateway keeps it from its own clients. With ECHO_AUTH=1 the
tool's description repeats the Authorization header it was sent, as it came. With EXPECTED_USER
set, HTTP basic auth of that user with the token as the password is enough too (what a client
sends for `http://USER:TOKEN@host/mcp`). A query (`/mcp?api_key=...`) is no part of the path,
nor are matrix parameters (`/mcp;jsessionid=...`).

With REDIRECT set, every POST is answered 302 with REDIRECT as its Location (a path, or a whole
URL); with DROP=1, every POST's connection is closed without an answer.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = os.environ.get("EXPECTED_TOKEN", "")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _reply(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._reply(405, None, {"Allow": "POST"})

    def do_DELETE(self):
        self._reply(200)

    def do_POST(self):
        if os.environ.get("REDIRECT"):
            self._reply(302, None, {"Location": os.environ["REDIRECT"]})
            return
        if os.environ.get("DROP"):
            self.close_connection = True  # nothing sent: the client reads a closed connection
            return
        if self.path == "/page":  # a web page where an MCP endpoint was expected
            page = b"<html><body>Welcome</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        path = "/".join(part.partition(";")[0] for part in self.path.partition("?")[0].split("/"))
        key_in_path = path in (f"/k/{TOKEN}/mcp", f"/v1/{TOKEN}/mcp")
        if path != "/mcp" and not key_in_path:
            self._reply(404)
            return
        basic = "Basic " + base64.b64encode(f"{TOKEN}:".encode()).decode()
        user = os.environ.get("EXPECTED_USER")
        signed_in = "Basic " + base64.b64encode(f"{user}:{TOKEN}".encode()).decode() if user else basic
        if not key_in_path and self.headers.get("Authorization") not in (f"Bearer {TOKEN}", basic, signed_in):
            self._reply(401, {"error": "unauthorized"}, {"WWW-Authenticate": 'Bearer realm="test"'})
            return
        message = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        if "id" not in message:
            self._reply(202)
            return
        method = message.get("method")
        if method == "initialize":
            result = {
                "protocolVersion": "2025-06-18",
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "token-http", "version": "1.0"},
            }
            if os.environ.get("ECHO_TOKEN"):
                result["instructions"] = f"Authenticated with {TOKEN}."
        elif method == "tools/list":
            result = {
                "tools": [
                    {
                        "name": "whoami",
                        "description": f"Who you are (as {TOKEN})."
                        if os.environ.get("ECHO_TOKEN")
                        else f"Who you are (Authorization: {self.headers.get('Authorization')})."
                        if os.environ.get("ECHO_AUTH") else "Who you are.",
                        "inputSchema": {"type": "object"},
                    }
                ]
            }
        else:
            self._reply(
                200,
                {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": "no"}},
            )
            return
        self._reply(200, {"jsonrpc": "2.0", "id": message["id"], "result": result})


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    sys.stdout.flush()
    server.serve_forever()
