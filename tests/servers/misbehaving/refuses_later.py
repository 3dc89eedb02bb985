"""A server whose calls may be refused a while after they were taken: the gateway gives the
charge of a refused call back (a refund), and the test chooses when that happens.

It lists `work` and `refused`. Every `tools/call` it receives is written to the file named by
the first argument, one JSON line (its params) before anything else is done with it: what is in
the file is what the server received. `work` is answered `ran {arguments}` at once; `refused`
is answered with a JSON-RPC error after `arguments.delay` seconds (default 0), each call on a
thread of its own, so the calls behind it are answered meanwhile. Standard library only.
"""

import json
import os
import sys
import threading
import time

from _rpc import RpcError, initialize_result, record_pid, send

RECORD = sys.argv[1]
_out = threading.Lock()


def _send(message):
    with _out:
        send(message)


def _record(params):
    fd = os.open(RECORD, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(params) + "\n").encode())
    finally:
        os.close(fd)


def _refuse_later(request_id, delay):
    time.sleep(delay)
    _send({"jsonrpc": "2.0", "id": request_id, "error": {"code": -32603, "message": "the backend refused it"}})


def handle(request_id, method, params):
    if method == "initialize":
        return initialize_result("refuses-later")
    if method == "tools/list":
        return {"tools": [{"name": name, "inputSchema": {"type": "object"}} for name in ("work", "refused")]}
    if method == "ping":
        return {}
    if method == "tools/call":
        _record(params)
        arguments = params.get("arguments") or {}
        if params.get("name") == "refused":
            threading.Thread(target=_refuse_later, args=(request_id, float(arguments.get("delay", 0))),
                             daemon=True).start()
            return None
        return {"content": [{"type": "text", "text": "ran " + json.dumps(arguments, sort_keys=True)}]}
    raise RpcError(-32601, "Method not found")


def main():
    record_pid()
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        if "id" not in message or "method" not in message:
            continue
        try:
            result = handle(message["id"], message["method"], message.get("params") or {})
        except RpcError as exc:
            _send({"jsonrpc": "2.0", "id": message["id"], "error": {"code": exc.code, "message": exc.message}})
            continue
        if result is not None:
            _send({"jsonrpc": "2.0", "id": message["id"], "result": result})


if __name__ == "__main__":
    main()
