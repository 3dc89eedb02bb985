"""A client attacking the approvals queue from its side of the gateway.

`python -m policytui gateway --approvals queue` holds calls for a human; the client tries to
cancel calls it did not make with ids of the wrong type, to bury the call a human looks for
under a flood of held calls, and to put terminal controls in front of the person who runs
`policytui approvals`. Judged from the server's side (what reached it, behind `tee_stdin.py`),
the audit log and the approvals command.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from test_gateway_approvals_withdrawn import (
    POLICY,
    answer,
    approvals,
    audited,
    cancelled,
    delete,
    until_waiting,
)
from test_gateway_redteam import call, everything_server, flows_server, stdio_gateway

from policytui.gateway.approver import MAX_HELD_BYTES_PER_GRANT, MAX_HELD_PER_GRANT

pytestmark = pytest.mark.servers

NOT_KEPT = "the approvals queue could not keep the call"


async def listed(tmp: Path) -> list[dict[str, Any]]:
    shown = await asyncio.to_thread(approvals, tmp, "list", "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout or "[]")  # type: ignore[no-any-return]


async def until_listed(tmp: Path, count: int, seconds: float = 30) -> list[dict[str, Any]]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while len(entries := await listed(tmp)) != count:
        assert loop.time() < deadline, f"{len(entries)} listed, expected {count}"
        await asyncio.sleep(0.2)
    return entries


async def test_a_cancel_naming_true_or_a_float_withdraws_nothing(tmp_path: Path, test_servers: Path) -> None:
    """JSON-RPC ids are strings or integers: `true` is not the request 1 (Python reads True == 1)
    and 7.0 is not the request 7. Before, `requestId: true` withdrew the held call 1."""
    policy = {"version": "1", "default": "allow", "tools": {"echo": {"action": "require_approval"}}}
    async with stdio_gateway(tmp_path, policy, everything_server(test_servers), "--approvals", "queue") as gw:
        await gw.send(call(1, "echo", {"message": "one"}))
        await gw.send(call(7, "echo", {"message": "seven"}))
        held = {e["arguments"]["message"]: e["id"] for e in await until_listed(tmp_path, 2)}
        for odd in (True, 1.0, "1", 7.0, "7", -1, 2**53, [1], {"id": 1}, None):
            await gw.send(cancelled(odd))
        # Inside a batch (refused whole), with a member too many, and before the request it names.
        await gw.write(b'[{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}]\n')
        await gw.send({**cancelled(7), "extra": 1})
        await gw.send(cancelled(9))
        await gw.send(call(9, "echo", {"message": "nine"}))
        await asyncio.sleep(1)
        assert sorted(e["arguments"]["message"] for e in await listed(tmp_path)) == ["nine", "one", "seven"]
        await gw.send(cancelled(9))

        assert (await answer(tmp_path, "approve", held["one"])).returncode == 0
        done = await gw.answer(1)
        assert done is not None and "one" in json.dumps(done), done
        await gw.send(cancelled(7))
        await until_listed(tmp_path, 0)
        late = await answer(tmp_path, "approve", held["seven"])
        assert late.returncode == 1 and "was withdrawn by its client" in late.stderr, late
    assert gw.received_calls() == ["echo"]
    assert [m["params"]["arguments"] for m in gw.received() if m.get("method") == "tools/call"
            and m["params"]["name"] == "echo"] == [{"message": "one"}]
    assert sorted(audited(gw), key=str) == [("allowed", "approved", "ok"), ("denied", "cancelled", None),
                                            ("denied", "cancelled", None)]


async def test_a_flood_of_held_calls_is_denied_past_the_bound(tmp_path: Path) -> None:
    """A client that sends held calls without end: past MAX_HELD_PER_GRANT waiting calls (or
    MAX_HELD_BYTES_PER_GRANT of arguments) of its grant, each further one is denied at once,
    audited `approval: unavailable`, and never reaches the queue or the server. Before, every
    one was queued: thousands of entries to search, the state store filled with arguments, and
    the gateway polling each one five times a second."""
    big = "x" * (MAX_HELD_BYTES_PER_GRANT // 4 - (1 << 20))  # 4 fit (a message is at most 8 MiB), 5 do not
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        for n in range(5):
            await gw.send(call(f"big{n}", "delete_flow", {"namespace": "prod", "flow_id": f"big{n}", "pad": big}))
        refused = await gw.answer("big4")
        assert refused is not None and NOT_KEPT in json.dumps(refused), refused
        await until_listed(tmp_path, 4)
        for n in range(4):
            await gw.send(cancelled(f"big{n}"))
        await until_listed(tmp_path, 0)

        for n in range(MAX_HELD_PER_GRANT + 2):
            await gw.send(delete(n, f"f{n}"))
        for n in (MAX_HELD_PER_GRANT, MAX_HELD_PER_GRANT + 1):
            refused = await gw.answer(n)
            assert refused is not None and NOT_KEPT in json.dumps(refused), refused
        entries = await until_listed(tmp_path, MAX_HELD_PER_GRANT)
        assert await gw.answer(0, timeout=0.2) is None  # held, not answered

        # One withdrawn makes room for one more, which a human can approve.
        await gw.send(cancelled(0))
        await until_listed(tmp_path, MAX_HELD_PER_GRANT - 1)
        await gw.send(delete("real", "real"))
        held = await until_waiting_for(tmp_path, "real")
        assert (await answer(tmp_path, "approve", held)).returncode == 0
        done = await gw.answer("real")
        assert done is not None and "deleted prod.real" in json.dumps(done), done
        assert len(entries) == MAX_HELD_PER_GRANT
    assert [e["arguments"]["flow_id"] for e in gw.executed()] == ["real"]
    outcomes = audited(gw)
    assert outcomes.count(("denied", "unavailable", None)) == 3
    assert outcomes.count(("allowed", "approved", "ok")) == 1
    assert ("allowed", "approved", "ok") in outcomes
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert "already wait for approval" in log


async def until_waiting_for(tmp: Path, flow: str) -> str:
    for _ in range(150):
        for entry in await listed(tmp):
            if entry["arguments"].get("flow_id") == flow:
                return str(entry["id"])
        await asyncio.sleep(0.2)
    raise AssertionError(f"{flow} never listed")


HOSTILE = "\x9b2J\u202egnp\x1b]0;owned\x07\u2028"


async def test_arguments_reach_the_approvers_terminal_without_controls(tmp_path: Path) -> None:
    """Arguments with C1 controls (U+009B is a CSI), bidi overrides and escapes, and a padding
    argument that sorts first: `policytui approvals` in text and with `--json` prints none of the
    controls raw, and the list still shows the argument the padding would push out of sight.
    Before, `--json` printed U+009B and U+202E as they were, and `list` cut all arguments at
    120 characters together."""
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        arguments = {"aaaa": "p" * 500, "namespace": "prod", "flow_id": HOSTILE}
        await gw.send(call(1, "delete_flow", arguments))
        await until_waiting(tmp_path, {HOSTILE})
        entry = (await listed(tmp_path))[0]
        assert entry["arguments"] == arguments
        outputs = [await asyncio.to_thread(approvals, tmp_path, *argv) for argv in (
            ("list",), ("list", "--json"), ("show", entry["id"]), ("show", entry["id"], "--json"))]
        for output in outputs:
            assert output.returncode == 0, output.stderr
            for control in ("\x9b", "\u202e", "\x1b", "\x07", "\u2028"):
                assert control not in output.stdout, (control, output.stdout[:300])
        assert json.loads(outputs[3].stdout)["arguments"] == arguments
        assert '"flow_id": "\\x9b2J\\u202egnp' in outputs[0].stdout, outputs[0].stdout
        assert '"namespace": "prod"' in outputs[0].stdout
        await gw.send(cancelled(1))
        await until_listed(tmp_path, 0)
    assert gw.executed() == []
