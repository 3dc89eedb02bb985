"""Writes text that is not JSON-RPC on stdout. GARBAGE_MODE picks the flavour:

banner: one banner line, then a working server (real servers do this; it must still work)
only: log lines only, never an answer
http: says it listens on a port, as an HTTP server started over stdio would
"""

import os
import sys
import time

from _rpc import initialize_result, record_pid, serve

record_pid()
mode = os.environ.get("GARBAGE_MODE", "only")
if mode == "banner":
    print("Welcome to the banner server v1", flush=True)

    def handle(method, params):
        if method == "initialize":
            return initialize_result("banner")
        if method == "tools/list":
            return {"tools": [{"name": "ping", "inputSchema": {"type": "object"}}]}
        return {}

    serve(handle)
elif mode == "http":
    print("MCP server listening on http://localhost:3001/mcp", flush=True)
    time.sleep(300)
else:
    for line in sys.stdin:
        print(f"[info] got a request of {len(line)} bytes", flush=True)
        print("{not json at all", flush=True)
