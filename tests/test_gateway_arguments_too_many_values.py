"""A call whose arguments hold millions of values, from a hostile client, judged from the
server's side.

A tool with conditions has every text of its arguments read each way a server may read it
(path resolved, cut at a URL's query, in NFC, inside JSON text once parsed). Under the 8 MiB
line limit a client could send 2.7 million empty texts, which took the gateway's one thread 9 s
to judge, during which no other message of any client was served (a ping waited as long), and
it could send one such call after another. Such a call is now denied unread
(`policytui.decision.argument_size`), audited once, and never reaches the server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from audit_support import outcome_lines
from test_gateway_redteam import flows_server, stdio_gateway

from policytui.decision.argument_size import MOST_VALUES
from policytui.decision.decide import TOO_MANY_VALUES

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

POLICY = {"version": "1", "default": "deny",
          "tools": {"list_flows": {"deny_if": [{"path": "args.namespace", "op": "eq", "value": "prod"}]}}}


def _call_line(request_id: int, namespace: str, note: object) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                       "params": {"name": "list_flows", "arguments": {"namespace": namespace, "note": note}}},
                      separators=(",", ":")).encode() + b"\n"


async def test_arguments_with_millions_of_values_are_denied_unread_and_never_forwarded(tmp_path: Path) -> None:
    many = [""] * 2_700_000  # 7 MiB on the wire, under the line limit
    as_json_text = json.dumps(["/a/../b"] * (MOST_VALUES * 2))  # one text, parsed by the server
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path)) as gw:
        await gw.write(_call_line(1, "many", many))
        await gw.write(_call_line(2, "json-text", as_json_text))
        await gw.write(_call_line(3, "few", [""] * 1000))
        answers = [await gw.answer(n, 60) for n in (1, 2, 3)]
        received = [m["params"]["arguments"]["namespace"] for m in gw.received() if m.get("method") == "tools/call"
                    and m["params"]["name"] == "list_flows"]
    for answer in answers[:2]:
        assert answer is not None and answer["result"]["isError"] is True, answer
        assert answer["result"]["content"][0]["text"] == f"[POLICY DENIED] {TOO_MANY_VALUES}"
    assert answers[2] is not None and answers[2]["result"]["isError"] is False, answers[2]
    assert received == ["few"]
    records = [(r["tool"], r["decision"], r["rule"]) for r in outcome_lines(tmp_path / "audit.jsonl")
               if r["decision"] != "probe"]
    assert records == [("list_flows", "denied", "tools.list_flows.arguments")] * 2 + [
        ("list_flows", "allowed", "tools.list_flows")]


async def test_a_held_call_with_millions_of_values_is_denied_unread_not_shown_for_approval(tmp_path: Path) -> None:
    """Writing 2.7 million values out for the person asked to approve took 6 s of the gateway's
    thread (and queued a call of 7 MiB): such a call is denied before anyone is asked."""
    policy = {"version": "1", "default": "deny", "tools": {"list_flows": {"action": "require_approval"}}}
    async with stdio_gateway(tmp_path, policy, flows_server(tmp_path), "--approval-timeout", "3") as gw:
        await gw.write(_call_line(1, "many", [""] * 2_700_000))
        answer = await gw.answer(1, 60)
        asked = [m for m in gw.messages() if m.get("method") == "elicitation/create"]
        received = [m for m in gw.received() if m.get("method") == "tools/call" and m["params"]["name"] == "list_flows"]
    assert answer is not None and answer["result"]["content"][0]["text"] == f"[POLICY DENIED] {TOO_MANY_VALUES}", answer
    assert asked == [] and received == []
    records = [(r["tool"], r["decision"], r["rule"]) for r in outcome_lines(tmp_path / "audit.jsonl")
               if r["decision"] != "probe"]
    assert records == [("list_flows", "denied", "tools.list_flows.arguments")]


async def test_a_recorded_call_with_millions_of_values_is_recorded_by_its_digest(tmp_path: Path) -> None:
    """`--record` redacts every argument it writes: 2.7 million of them held the gateway's
    thread for seconds, with any tool. Such a call is recorded as an audit line is, by its
    arguments' digest, and `policytui replay` reads it as a call whose arguments were not kept."""
    recording = tmp_path / "calls.jsonl"
    policy = {"version": "1", "default": "allow", "tools": {}}
    async with stdio_gateway(tmp_path, policy, flows_server(tmp_path), "--record", str(recording)) as gw:
        await gw.write(_call_line(1, "many", [""] * 2_700_000))
        await gw.write(_call_line(2, "few", ["a"]))
        answers = [await gw.answer(n, 60) for n in (1, 2)]
    assert all(a is not None and a["result"]["isError"] is False for a in answers), answers
    lines = [json.loads(line) for line in recording.read_text(encoding="utf-8").splitlines()]
    calls = {line["tool"] + ":" + str(line.get("arguments", {}).get("namespace")): line for line in lines
             if line["tool"] == "list_flows"}
    assert set(calls) == {"list_flows:None", "list_flows:few"}, sorted(calls)
    assert "arguments" not in calls["list_flows:None"] and len(calls["list_flows:None"]["args_sha256"]) == 64
    assert calls["list_flows:few"]["arguments"] == {"namespace": "few", "note": ["a"]}
    replayed = subprocess.run([sys.executable, "-m", "policytui", "replay", str(recording), "--policy",
                               str(tmp_path / "policy.json")], capture_output=True, text=True, timeout=120)
    assert replayed.returncode == 0 and "Traceback" not in replayed.stderr, replayed.stderr
