"""Offers some tools only to clients that declare a capability, as server-everything does:
`ask_the_model` to one that declares sampling; and, to one that declares roots, asks for its
roots while answering tools/list and offers `roots_answered` once the client answers them."""

import json
import sys

from _rpc import initialize_result, record_pid, send, serve

declared: dict = {}


def roots_answer() -> dict:
    send({"jsonrpc": "2.0", "id": "roots-1", "method": "roots/list"})
    for line in sys.stdin:
        message = json.loads(line) if line.strip() else {}
        if message.get("id") == "roots-1" and "method" not in message:
            return message
    return {}


def handle(method, params):
    if method == "initialize":
        declared.update(params.get("capabilities") or {})
        return initialize_result("capability-gated")
    if method == "tools/list":
        tools = [{"name": "plain", "inputSchema": {"type": "object"}}]
        if "sampling" in declared:
            tools.append({"name": "ask_the_model", "description": "Asks the client's model.", "inputSchema": {"type": "object"}})
        if "roots" in declared and isinstance(roots_answer().get("result", {}).get("roots"), list):
            tools.append({"name": "roots_answered", "description": "Lists the client's roots.", "inputSchema": {"type": "object"}})
        return {"tools": tools}
    return {}


if __name__ == "__main__":
    record_pid()
    serve(handle)
