"""What the refusing HTTP servers share (`refusing_sse.py`, `refusing_http.py`): which POSTs
of `echo` calls to refuse, the record of every message posted, and the answers of a server
whose one tool is `echo` (it answers `ran echo N`, N its argument `n`). Standard library only.
`hostile_tools.py`, over stdio, answers under the same ids of no use (`under_id_of_no_use`).

`REFUSE` says which POSTs of `echo` calls are refused, counted from 1 over the server's life, as
`N=HOW` pairs separated by commas (`REFUSE=2=500,4=drop`); `REFUSE_FROM=N=HOW` refuses the Nth
and every later one (a server that does not recover). Each server says which HOWs it knows.

`REFUSING_RECORD=FILE` gets one JSON line per message posted: `{"message": ..., "taken": true}`
when the server handled it (a `tools/call` taken is a tool that ran), `"taken": false` when it
was refused. What is in the file is what the server received and what it did with it. A
server may add `{"closed": ID}` when the client closed the connection of a message it took and
never answered.

`LIST_SECONDS=S` has every `tools/list` answered S seconds after it arrives (a server slow to
list its tools, at start and after).
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

RECORD = os.environ.get("REFUSING_RECORD", "")
# LIST_SECONDS=S: every tools/list is answered S seconds after it arrives (a server slow to list).
LIST_SECONDS = float(os.environ.get("LIST_SECONDS", "0"))


def _refusals() -> tuple[dict[int, str], tuple[int, str] | None]:
    each: dict[int, str] = {}
    for pair in filter(None, os.environ.get("REFUSE", "").split(",")):
        number, how = pair.split("=", 1)
        each[int(number)] = how
    start = os.environ.get("REFUSE_FROM", "")
    if start:
        number, how = start.split("=", 1)
        return each, (int(number), how)
    return each, None


REFUSE, REFUSE_FROM = _refusals()
_lock = threading.Lock()
_calls = 0


def record(message: Any, taken: bool) -> None:
    if not RECORD:
        return
    with _lock, open(RECORD, "a", encoding="utf-8") as out:
        out.write(json.dumps({"message": message, "taken": taken}) + "\n")


def record_closed(message: Any) -> None:
    """The client closed the connection of a message taken and never answered (`hang`): one
    line `{"closed": ID}`, ID the message's id."""
    if RECORD:
        with _lock, open(RECORD, "a", encoding="utf-8") as out:
            out.write(json.dumps({"closed": message.get("id") if isinstance(message, dict) else None}) + "\n")


def record_stream_ended() -> None:
    """The server closed a session's event stream (legacy SSE): one line `{"stream_ended": true}`."""
    if RECORD:
        with _lock, open(RECORD, "a", encoding="utf-8") as out:
            out.write(json.dumps({"stream_ended": True}) + "\n")


def refusal(message: Any) -> str | None:
    """How this message is refused (a HOW of `REFUSE`), or None when it is handled."""
    global _calls
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return None
    if (message.get("params") or {}).get("name") != "echo":
        return None  # the gateway's start-up probe, say
    with _lock:
        _calls += 1
        number = _calls
    if number in REFUSE:
        return REFUSE[number]
    if REFUSE_FROM is not None and number >= REFUSE_FROM[0]:
        return REFUSE_FROM[1]
    return None


# A server error of the implementation-defined kind many servers send (JSON-RPC reserves
# -32000 to -32099 for them): the `error` HOW answers a call with it, after running the tool.
SERVER_ERROR = {"code": -32000, "message": "the tool failed"}


def ran_then(how: str | None) -> str | None:
    """For a HOW `ran+X` (the message handled, the tool run, and then X done instead of the
    answer): X. None for any other HOW."""
    return how[len("ran+"):] if how is not None and how.startswith("ran+") else None


def not_a_tool_result(message: dict[str, Any]) -> dict[str, Any]:
    """The `bad` HOW's answer to a call it ran: a JSON-RPC result (the tool ran) that is not a
    tool's result, a number where an object belongs."""
    return {"jsonrpc": "2.0", "id": message["id"], "result": 5}


def result_beside_error(message: dict[str, Any]) -> dict[str, Any]:
    """The `both` HOW's answer to a call it ran: a tool's result and an error in one answer,
    which JSON-RPC does not allow (a reader that takes the error alone refunds a call that ran)."""
    return {"jsonrpc": "2.0", "id": message["id"], "result": {"content": []}, "error": SERVER_ERROR}


def null_result_beside_error(message: dict[str, Any]) -> dict[str, Any]:
    """The `both+null` HOW's answer to a call it ran: an error beside a key `result` that is
    null. Still both keys in one answer: no refusal the gateway may refund (the tool ran)."""
    return {"jsonrpc": "2.0", "id": message["id"], "result": None, "error": SERVER_ERROR}


def result_beside_odd_error(message: dict[str, Any]) -> dict[str, Any]:
    """The `both+odd` HOW's answer to a call it ran: a tool's result beside a member `error`
    that is no error object (`5`). Still both keys in one answer: `invalid`, as over stdio."""
    return {"jsonrpc": "2.0", "id": message["id"], "result": {"content": []}, "error": 5}


def result_beside_error_escaped(message: dict[str, Any]) -> str:
    """The `both+escaped` HOW's answer, as JSON text: `result_beside_error` with its key
    `result` spelled with a JSON escape (`"res\\u0075lt"`), the same key to any JSON reader,
    missed by one that looks for the text `"result"`."""
    return json.dumps(result_beside_error(message)).replace('"result"', '"res\\u0075lt"')


def nested_result(message: dict[str, Any], how: str) -> str | None:
    """The `deep:N` HOW's answer to a call it ran, as JSON text: a tool's result whose
    structured content nests N arrays deep, its id the last member (a reader must get past
    the nesting to find it). None for any other HOW."""
    if not how.startswith("deep:"):
        return None
    levels = int(how.removeprefix("deep:"))
    nested = "[" * levels + "]" * levels
    return '{"jsonrpc": "2.0", "result": {"content": [], "structuredContent": {"deep": ' + nested + \
        '}}, "id": ' + json.dumps(message["id"]) + "}"


# The HOWs that answer a call they ran with its result under an id of no use: none, null,
# the id as a string (the request's is an integer), an id no request has; `nullerror` sends
# instead a JSON-RPC error under a null id (the "Parse error" of a server that could not read
# a message), which says nothing of whether the tool ran.
MISNAMED: dict[str, Any] = {"noid": ..., "nullid": None, "strid": str,
                            "otherid": lambda request_id: request_id + 1000, "nullerror": None}
PARSE_ERROR = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}


def misnamed_answer(message: dict[str, Any], how: str, server_name: str) -> dict[str, Any] | None:
    """The answer of a `MISNAMED` HOW: the call's own answer under that id (none for `noid`).
    None for any other HOW."""
    if how not in MISNAMED:
        return None
    return under_id_of_no_use(answer(message, server_name), how)


def under_id_of_no_use(answered: dict[str, Any], how: str) -> dict[str, Any]:
    """`answered` (a call's own answer) as the `MISNAMED` HOW `how` sends it."""
    if how == "nullerror":
        return dict(PARSE_ERROR)
    renamed = {key: value for key, value in answered.items() if key != "id"}
    rename = MISNAMED[how]
    if rename is not ...:
        renamed["id"] = rename(answered["id"]) if rename is not None else None
    return renamed


def answer(message: dict[str, Any], server_name: str) -> dict[str, Any]:
    """The answer to a request the server handles."""
    method, params = message.get("method"), message.get("params") or {}
    result: dict[str, Any]
    if method == "initialize":
        result = {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                  "serverInfo": {"name": server_name, "version": "1.0"}}
    elif method == "tools/list":
        time.sleep(LIST_SECONDS)
        result = {"tools": [{"name": "echo", "inputSchema": {"type": "object"}}]}
    elif method == "tools/call" and params.get("name") == "echo":
        result = {"content": [{"type": "text", "text": f"ran echo {(params.get('arguments') or {}).get('n')}"}]}
    elif method == "tools/call":
        result = {"content": [{"type": "text", "text": f"Unknown tool: {params.get('name')}"}], "isError": True}
    elif method == "ping":
        result = {}
    else:
        return {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": "Method not found"}}
    return {"jsonrpc": "2.0", "id": message["id"], "result": result}
