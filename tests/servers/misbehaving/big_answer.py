"""A server whose `big` tool answers `arguments.mb` mebibytes of text (default 40): more than a
client that reads nothing can take in, so the gateway's answer to it stays half written.
Standard library only."""

import json
import sys

from _rpc import RpcError, initialize_result, record_pid, serve


def handle(method, params):
    if method == "initialize":
        return initialize_result("big-answer")
    if method == "tools/list":
        return {"tools": [{"name": "big", "inputSchema": {"type": "object"}}]}
    if method == "ping":
        return {}
    if method == "tools/call" and params.get("name") == "big":
        size = int(float((params.get("arguments") or {}).get("mb", 40)) * (1 << 20))
        return {"content": [{"type": "text", "text": "A" * size}]}
    raise RpcError(-32602, f"Unknown tool: {json.dumps(params.get('name'))}")


if __name__ == "__main__":
    record_pid()
    serve(handle)
    sys.exit(0)
