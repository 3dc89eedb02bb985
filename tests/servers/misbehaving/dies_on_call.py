"""A server that dies while serving, when told to: the gateway in front of it must say so.

It lists `work` (answered `ran` at once), `slow` (answered after `arguments.seconds`, default 60,
on a thread of its own, so it is still running when the server dies), `exit` (the process exits
with `arguments.code`, default 3, after a line on stderr), `kill` (the process kills itself
with SIGKILL, as the OOM killer would), `mute` (the process closes its standard output and
lives on, answering nothing) and `deaf` (the process closes its standard input, answers `deaf`,
and lives on with its output open: answers of `slow` calls still come, nothing more is read)
and `deafen` (answers `deafening`, then reads the first bytes of the next message and closes its
standard input in the middle of it, living on with its output open: the writer of a long
message gets a broken pipe once part of it went). Standard library only.
"""

import json
import os
import signal
import sys
import threading
import time

from _rpc import initialize_result, record_pid, send

_out = threading.Lock()


def _send(message):
    with _out:
        send(message)


def _answer_later(request_id, seconds):
    time.sleep(seconds)
    _send({"jsonrpc": "2.0", "id": request_id, "result": {"content": [{"type": "text", "text": "slept"}]}})


def _call(request_id, name, arguments):
    if name == "work":
        return {"content": [{"type": "text", "text": "ran"}]}
    if name == "slow":
        threading.Thread(target=_answer_later, args=(request_id, float(arguments.get("seconds", 60))),
                         daemon=True).start()
        return None
    if name == "exit":
        print("fatal: the backend went away", file=sys.stderr, flush=True)
        os._exit(int(arguments.get("code", 3)))
    if name == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if name == "mute":
        os.close(sys.stdout.fileno())
        while True:
            time.sleep(60)
    if name == "deaf":
        os.close(sys.stdin.fileno())
        _send({"jsonrpc": "2.0", "id": request_id, "result": {"content": [{"type": "text", "text": "deaf"}]}})
        while True:
            time.sleep(60)
    if name == "deafen":
        _send({"jsonrpc": "2.0", "id": request_id, "result": {"content": [{"type": "text", "text": "deafening"}]}})
        os.read(sys.stdin.fileno(), 4096)  # the start of the next message, unbuffered
        os.close(sys.stdin.fileno())
        while True:
            time.sleep(60)
    raise LookupError(name)


def main():
    record_pid()
    tools = [{"name": name, "inputSchema": {"type": "object"}} for name in ("work", "slow", "exit", "kill", "mute", "deaf", "deafen")]
    for line in sys.stdin:
        message = json.loads(line)
        if "id" not in message:
            continue
        method, params = message.get("method"), message.get("params") or {}
        result = None
        error = None
        if method == "initialize":
            result = initialize_result("dies-on-call")
        elif method == "tools/list":
            result = {"tools": tools}
        elif method == "ping":
            result = {}
        elif method == "tools/call":
            try:
                result = _call(message["id"], params.get("name"), params.get("arguments") or {})
            except LookupError:
                error = {"code": -32602, "message": f"Unknown tool: {params.get('name')}"}
            if result is None and error is None:
                continue  # answered later, from its thread
        else:
            error = {"code": -32601, "message": "Method not found"}
        if error is not None:
            _send({"jsonrpc": "2.0", "id": message["id"], "error": error})
        else:
            _send({"jsonrpc": "2.0", "id": message["id"], "result": result})


if __name__ == "__main__":
    main()
