"""Keys in Unicode compatibility form from a hostile client, judged from the server's side.

A server that reads keys in NFKC with their case folded reads the fullwidth `ｎａｍｅ` as
`name`, `ａｒｇｕｍｅｎｔｓ` as `arguments` and the ligature `ĳ` as `ij`. Beside the real
key, which of the two values it keeps is its parser's choice; alone, it is a member the gateway
read as missing. So a message with two keys in one object that are one name so folded is
refused (-32600, under its id), a `tools/call` whose params spell a member so is refused
(-32602, as a member in another letter case is), each audited `refused` with nothing of it
forwarded, and an `exists` condition finds an argument under such a key.

The server is the Python-SDK flows server behind `tee_stdin.py`, which keeps every byte the
server read: the proof is that no fullwidth or ligature key ever arrives.
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

# Default allow, so a name the policy does not know would be forwarded.
POLICY = {"version": "1", "default": "allow",
          "tools": {"delete_flow": {"action": "deny", "reason": "destructive"},
                    # Only notes that are text files: a note not ending in .txt is denied.
                    "list_flows": {"deny_if": [{"path": "args.note", "op": "regex", "value": r"^(?!.*\.txt$)"}]},
                    "set_options": {"deny_if": [{"path": "args.options.filter", "op": "exists", "value": True},
                                                {"path": "args.options.force", "op": "exists", "value": True}]}}}


def _call_line(request_id: Any, params: str) -> bytes:
    return b'{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{%s}}\n' % (
        json.dumps(request_id).encode(), params.encode())


FULLWIDTH_NAME = "\\uff4e\\uff41\\uff4d\\uff45"  # ｎａｍｅ, escaped
FULLWIDTH_ARGUMENTS = "\\uff41\\uff52\\uff47\\uff55\\uff4d\\uff45\\uff4e\\uff54\\uff53"  # ａｒｇｕｍｅｎｔｓ
# Each two keys in one object that are one name in compatibility form: the gateway would decide
# on one and a normalising server might read the other.
ALIKE = {
    "a fullwidth name beside the real one": f'"name":"list_flows","{FULLWIDTH_NAME}":"delete_flow",'
                                            '"arguments":{"namespace":"prod","flow_id":"billing","note":"a.txt"}',
    "fullwidth arguments beside the real ones": '"name":"list_flows","arguments":{"namespace":"x","note":"a.txt"},'
                                                f'"{FULLWIDTH_ARGUMENTS}":{{"namespace":"x","note":"secret.key"}}',
    "a fullwidth name as raw UTF-8": '"name":"list_flows","ｎａｍｅ":"delete_flow","arguments":{"namespace":"prod"}',
    # The ligature `ĳ` (U+0133), which case folding keeps (`ﬁ` is already `fi` once folded).
    "a ligature beside an argument": '"name":"set_options","arguments":{"options":{"ij":"all","\\u0133":"x"}}',
    "a fullwidth capital beside a nested key": '"name":"list_flows","arguments":{"namespace":"x",'
                                               '"note":{"kind":"txt","\\uff2bind":"key"}}',
}
# A member of the params spelt alone in compatibility form: the gateway read none.
LONE = {
    "fullwidth arguments alone": f'"name":"list_flows","{FULLWIDTH_ARGUMENTS}":{{"namespace":"x","note":"secret.key"}}',
    "a fullwidth name alone": f'"{FULLWIDTH_NAME}":"delete_flow","arguments":{{"namespace":"prod","flow_id":"b"}}',
}
LONE_REFUSAL = {"code": wire.INVALID_PARAMS, "message": "Invalid params: a key is `{}` in another Unicode form "
                "(NFKC: fullwidth, a ligature), which a server may read as that member (ambiguous)"}


def _never_reached(received: bytes) -> None:
    for spelling in (b"\\uff", b"\\u0133", "ｎ".encode()):
        assert spelling not in received, f"a key in compatibility form reached the server: {spelling!r}"


async def test_keys_alike_in_compatibility_form_are_refused_audited_and_never_forwarded(tmp_path: Path) -> None:
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path)) as gw:
        for n, params in enumerate([*ALIKE.values(), *LONE.values()]):
            await gw.write(_call_line(n, params))
        # An argument an `exists` rule reads, spelt fullwidth: found, so the rule holds.
        await gw.write(_call_line("fullwidth force", '"name":"set_options","arguments":{"options":{"\\uff46orce":true}}'))
        await gw.send({"jsonrpc": "2.0", "id": "after", "method": "tools/call",
                       "params": {"name": "list_flows", "arguments": {"namespace": "after", "note": "readme.txt"}}})
        answers = [await gw.answer(n) for n in range(len(ALIKE) + len(LONE))]
        force = await gw.answer("fullwidth force")
        after = await gw.answer("after")
        received = (tmp_path / "received.bin").read_bytes()
        executed = gw.executed()
    refusal = {"code": wire.INVALID_REQUEST, "message": wire.KEYS_ALIKE_IN_COMPATIBILITY_FORM}
    for label, answer in zip(ALIKE, answers[:len(ALIKE)], strict=True):
        assert answer is not None and answer.get("error") == refusal, (label, answer)
    for (label, member), answer in zip(zip(LONE, ("arguments", "name"), strict=True), answers[len(ALIKE):],
                                       strict=True):
        expected = {**LONE_REFUSAL, "message": LONE_REFUSAL["message"].format(member)}
        assert answer is not None and answer.get("error") == expected, (label, answer)
    assert force is not None and "[POLICY DENIED]" in json.dumps(force), force
    assert after is not None and "result" in after and "POLICY" not in json.dumps(after), after
    _never_reached(received)
    assert [e["arguments"]["namespace"] for e in executed] == ["after"]
    records = [(r["tool"], r["decision"], r["rule"], r.get("reason")) for r in outcome_lines(tmp_path / "audit.jsonl")
               if r["decision"] != "probe"]
    # A message read without doubt names its tool when it has one.
    lone = [(tool, "refused", "wire", LONE_REFUSAL["message"].format(member))
            for tool, member in (("list_flows", "arguments"), (None, "name"))]
    assert records[:len(ALIKE)] == [(None, "refused", "wire", wire.KEYS_ALIKE_IN_COMPATIBILITY_FORM)] * len(ALIKE)
    assert records[len(ALIKE):len(ALIKE) + len(LONE)] == lone, records
    assert [(tool, decision) for tool, decision, _, _ in records[len(ALIKE) + len(LONE):]] == [
        ("set_options", "denied"), ("list_flows", "allowed")], records

