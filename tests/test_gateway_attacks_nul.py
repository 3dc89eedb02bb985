"""NUL characters (`\\u0000`) from a hostile client, judged from the server's side.

JSON allows a NUL in any text, and Python keeps it; a server whose JSON parser keeps texts as
C strings (json-c; most C servers read a text with `json_object_get_string` and compare it
with `strcmp`) ends each text at its first NUL. Checked with this machine's libjson-c 0.16:
`{"name":"list_flows","name\\u0000":"delete_flow"}` is `{"name":"delete_flow"}` to it (the key
cut to `name`, the last value kept), and `"delete_flow\\u0000"` is read as `delete_flow`. A call
the gateway decides as `list_flows`, or as a tool no rule names, would run the denied tool
there. So a client message holding a NUL anywhere is refused (-32600, under its id), audited
`refused`, and nothing of it reaches the server (over HTTP: `test_gateway_http_attacks`).

The server is the Python-SDK flows server behind `tee_stdin.py`, which keeps every byte the
server read: the proof is that no NUL escape ever arrives, whatever the server would do with one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines
from test_gateway_redteam import flows_server, stdio_gateway

from policytui.gateway import wire

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

# Default allow, so a name the policy does not know would be forwarded: the setting in which a
# NUL-ended spelling of the denied or the hidden tool is worth the most to an attacker.
POLICY = {"version": "1", "default": "allow", "hide": ["read_secret"],
          "tools": {"delete_flow": {"action": "deny", "reason": "destructive"},
                    # Only notes that are text files: a note not ending in .txt is denied.
                    "list_flows": {"deny_if": [{"path": "args.note", "op": "regex", "value": r"^(?!.*\.txt$)"}]}}}
DENIED = {"namespace": "prod", "flow_id": "billing"}


def _call_line(request_id: Any, params: str) -> bytes:
    return b'{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{%s}}\n' % (
        json.dumps(request_id).encode(), params.encode())


# Each a call the gateway would decide as something else than a C-string server runs.
NUL_CALLS = {
    # json-c cuts the second key to `name` and keeps its value: delete_flow.
    "a second name key ending in NUL": '"name":"list_flows","name\\u0000":"delete_flow",'
                                       '"arguments":{"namespace":"prod","flow_id":"billing","note":"a.txt"}',
    # A tool no rule names (default allow) to the gateway, the denied or hidden tool to the server.
    "the denied name ending in NUL": '"name":"delete_flow\\u0000","arguments":{"namespace":"prod","flow_id":"billing"}',
    "the hidden name ending in NUL": '"name":"read_secret\\u0000","arguments":{}',
    # A .txt note to the gateway's condition, `secret.key` to the server.
    "an argument cut short by a NUL": '"name":"list_flows","arguments":{"namespace":"nul","note":"secret.key\\u0000.txt"}',
    "a NUL in an argument's key": '"name":"list_flows","arguments":{"namespace":"nulkey","note":"a.txt","note\\u0000":"b.key"}',
}


def _no_nul_reached(received: bytes) -> None:
    assert b"\\u0000" not in received, "a NUL escape reached the server"


async def test_a_nul_anywhere_in_a_stdio_call_is_refused_audited_and_never_forwarded(tmp_path: Path) -> None:
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path)) as gw:
        for n, params in enumerate(NUL_CALLS.values()):
            await gw.write(_call_line(n, params))
        await gw.send({"jsonrpc": "2.0", "id": "after", "method": "tools/call",
                       "params": {"name": "list_flows", "arguments": {"namespace": "after", "note": "readme.txt"}}})
        answers = [await gw.answer(n) for n in range(len(NUL_CALLS))]
        after = await gw.answer("after")
        received = (tmp_path / "received.bin").read_bytes()
        executed = gw.executed()
    for label, answer in zip(NUL_CALLS, answers, strict=True):
        assert answer is not None and answer.get("error") == {"code": wire.INVALID_REQUEST, "message": wire.HOLDS_NUL}, (
            label, answer)
    assert after is not None and "result" in after and "POLICY" not in json.dumps(after), after
    _no_nul_reached(received)
    assert [e["arguments"]["namespace"] for e in executed] == ["after"]
    records = [(r["tool"], r["decision"], r["rule"], r.get("reason")) for r in outcome_lines(tmp_path / "audit.jsonl")
               if r["decision"] != "probe"]
    # Each refused line may be a call, which is never named from an ambiguous message.
    assert records == [(None, "refused", "wire", wire.HOLDS_NUL)] * len(NUL_CALLS) + [
        ("list_flows", "allowed", "tools.list_flows", "")]
