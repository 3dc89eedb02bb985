"""Answers initialize, then fails tools/list (LIST_MODE=error), or answers it with no
tools list (LIST_MODE=shape), or with a cursor that loops (LIST_MODE=loop), or answers the
first tools/list and never another (LIST_MODE=once)."""

import os
import time

from _rpc import RpcError, initialize_result, record_pid, serve

MODE = os.environ.get("LIST_MODE", "error")
LISTED: list[bool] = []  # LIST_MODE=once: whether tools/list was answered already


def handle(method, params):
    if method == "initialize":
        return initialize_result("list-fails")
    if method == "tools/list":
        if MODE == "error":
            raise RpcError(-32603, "database connection lost")
        if MODE == "once":
            if LISTED:
                time.sleep(3600)
            LISTED.append(True)
            return {"tools": [{"name": "a", "inputSchema": {"type": "object"}}]}
        if MODE == "shape":
            return {"items": []}
        return {"tools": [{"name": "a", "inputSchema": {"type": "object"}}], "nextCursor": "same"}
    raise RpcError(-32601, "unknown")


if __name__ == "__main__":
    record_pid()
    serve(handle)
