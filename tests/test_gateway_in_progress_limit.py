"""A client that writes calls without waiting for their answers, in front of a slow server.

A real `python -m policytui gateway` over stdio in front of the real server-everything behind
`tee_stdin.py` (what the server read, byte for byte), whose `trigger-long-running-operation`
answers after the seconds it is given. The client writes every call at once and waits for
none: the gateway takes as many as one client may have in progress (`--max-in-progress`,
default 64) and refuses the rest at once, each audited; pings and cancellations always pass;
answers coming back make room again. Judged from the server's side and in the audit log.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines
from gateway_support import RECORDING, http_gateway
from test_gateway_approvals_withdrawn import cancelled
from test_gateway_http_attacks import ALICE, _in_thread, _wait_for, legacy_headers, modern_headers
from test_gateway_http_attacks import Gateway as HttpGateway
from test_gateway_http_attacks import call as modern_call
from test_gateway_redteam import Gateway, call, everything_server, stdio_gateway

from policytui.cli import gateway_cmd
from policytui.gateway import server

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

POLICY: dict[str, Any] = {"version": "1", "default": "allow"}
SLOW = "trigger-long-running-operation"
# How long each slow call takes the server: long enough that none is answered before every
# refusal is checked.
SECONDS = 4


def _lines(*messages: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(m).encode() + b"\n" for m in messages)


def _slow(request_id: Any, seconds: float = SECONDS) -> dict[str, Any]:
    return call(request_id, SLOW, {"duration": seconds, "steps": 1})


def _received_calls(gw: Gateway) -> list[Any]:
    """The ids of the slow calls the server read."""
    return [m["id"] for m in gw.received() if m.get("method") == "tools/call" and m["params"]["name"] == SLOW]


def _received_cancellations(gw: Gateway) -> list[Any]:
    return [m["params"]["requestId"] for m in gw.received() if m.get("method") == "notifications/cancelled"]


async def _answers(gw: Gateway, ids: list[Any], timeout: float) -> dict[Any, dict[str, Any]]:
    found: dict[Any, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    for request_id in ids:
        answer = await gw.answer(request_id, max(0.0, deadline - time.monotonic()))
        assert answer is not None, f"no answer to {request_id!r} within {timeout} s"
        found[request_id] = answer
    return found


def test_the_command_line_default_is_the_gateways() -> None:
    assert gateway_cmd.MAX_IN_PROGRESS == server.MAX_IN_PROGRESS == 64


async def test_calls_past_the_limit_are_refused_at_once_and_audited_while_cancellations_pass(
        tmp_path: Path, test_servers: Path) -> None:
    """84 slow calls written at once: the server receives the first 64, the other 20 are
    answered at once with an error saying why, audited `refused`, and never reach it; a
    cancellation written after them and a ping still pass; once the server answers, calls pass
    again. Before, the gateway forwarded all 84 (and would any number more)."""
    limit = server.MAX_IN_PROGRESS
    async with stdio_gateway(tmp_path, POLICY, everything_server(test_servers)) as gw:
        started = time.monotonic()
        await gw.write(_lines(*(_slow(i) for i in range(1, limit + 21)), cancelled(1),
                              {"jsonrpc": "2.0", "id": "p", "method": "ping"}))
        refused = await _answers(gw, [*range(limit + 1, limit + 21), "p"], SECONDS)
        assert time.monotonic() - started < SECONDS  # at once: none waited for the server
        assert refused.pop("p")["result"] == {}
        for answer in refused.values():
            assert answer["error"]["message"] == (
                f"Too Many Requests: this client has {limit} requests in progress, the most the gateway "
                "takes at once (--max-in-progress); send it again once one is answered"), answer
        await asyncio.sleep(0.5)
        assert sorted(_received_calls(gw)) == list(range(1, limit + 1))  # before: 1 to 84
        assert _received_cancellations(gw) == [1]  # the cancellation past the limit reached it
        audit = [a for a in gw.audited_calls() if a["tool"] == SLOW]
        assert len([a for a in audit if a["decision"] == "refused"]) == 20
        assert {a["reason"] for a in audit if a["decision"] == "refused"} == {
            refused[limit + 1]["error"]["message"]}

        # The server answers the calls it took: as many again pass.
        await _answers(gw, list(range(2, limit + 1)), SECONDS * 3)
        await gw.write(_lines(*(_slow(f"again-{i}", 0.1) for i in range(limit))))
        again = await _answers(gw, [f"again-{i}" for i in range(limit)], 30)
        assert all("result" in answer for answer in again.values()), again
        assert len(_received_calls(gw)) == 2 * limit
    audit = [a for a in gw.audited_calls() if a["tool"] == SLOW]
    assert len([a for a in audit if a["decision"] == "refused"]) == 20  # no call was refused twice
    assert len(audit) == 2 * limit + 20


def _limited_to_four(tmp_path: Path, everything: Path) -> tuple[list[str], list[str]]:
    """The options of an HTTP gateway taking 4 requests in progress from a client (Alice's token,
    the audit log in tmp_path), and its server: the everything server behind the recording tee."""
    (tmp_path / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    (tmp_path / "tokens.json").write_text(json.dumps({ALICE: "alice"}), encoding="utf-8")
    options = ["--policy", str(tmp_path / "policy.json"), "--tokens", str(tmp_path / "tokens.json"),
               "--state-dir", str(tmp_path / "state"), "--audit", str(tmp_path / "audit.jsonl"),
               "--max-in-progress", "4"]
    upstream = [sys.executable, str(RECORDING / "tee_stdin.py"), str(tmp_path / "received.bin"), "--",
                str(everything), "stdio"]
    return options, upstream


def test_an_http_session_past_its_limit_is_refused_at_once_and_its_cancellation_passes(
        tmp_path: Path, everything: Path) -> None:
    """The same over HTTP, per session, with the limit set: 4 of 24 slow calls POSTed at once on
    one session reach the server, the other 20 are refused at once and audited, a cancellation
    POSTed past the limit reaches the server, and another session of the same grant is not
    held back. Before, all 24 were forwarded."""
    options, upstream = _limited_to_four(tmp_path, everything)
    with http_gateway(options, upstream, tmp_path / "gateway.log") as listening:
        gw = HttpGateway(listening, tmp_path)
        session = gw.initialize(ALICE)
        headers = legacy_headers(ALICE, session)
        posts = [_in_thread(lambda i=i: gw.post(headers, json.dumps(_slow(i)).encode())) for i in range(24)]
        _wait_for(lambda: sum(1 for _, out in posts if "answer" in out) >= 20, SECONDS)
        refused = [out["answer"].events()[0] for _, out in posts if "answer" in out]
        assert len(refused) == 20 and all("error" in answer for answer in refused), refused
        assert {answer["error"]["message"] for answer in refused} == {
            "Too Many Requests: this client has 4 requests in progress, the most the gateway takes at once "
            "(--max-in-progress); send it again once one is answered"}
        taken = [m for m in gw.received() if m.get("method") == "tools/call" and m["params"]["name"] == SLOW]
        assert len(taken) == 4  # before: 24
        # A cancellation past the limit passes (its id is one of the 4 the server took).
        first = next(i for i in range(24) if "answer" not in posts[i][1])
        cancel = gw.post(headers, json.dumps(cancelled(first)).encode())
        assert cancel.status == 202, cancel
        _wait_for(lambda: any(m.get("method") == "notifications/cancelled" for m in gw.received()), 10)
        # Another session of the grant has a limit of its own.
        other = gw.initialize(ALICE)
        answer = gw.post(legacy_headers(ALICE, other), json.dumps(_slow("other", 0.1)).encode())
        assert "result" in answer.events()[0], answer
        for thread, _ in posts:
            thread.join(SECONDS * 3)
    refusals = [a for a in outcome_lines(tmp_path / "audit.jsonl") if a["decision"] == "refused"]
    assert len(refusals) == 20 and {a["tool"] for a in refusals} == {SLOW}


def test_requests_without_a_session_past_the_grants_limit_are_refused_at_once(
        tmp_path: Path, everything: Path) -> None:
    """A 2026-07-28 client over HTTP sends each request without a session, each POST on a
    connection of its own: its grant stands for the client. 24 slow calls POSTed at once with
    the limit at 4: 4 reach the server, 20 are refused at once (429, the same error) and
    audited. Before, every one was forwarded."""
    options, upstream = _limited_to_four(tmp_path, everything)
    with http_gateway(options, upstream, tmp_path / "gateway.log") as listening:
        gw = HttpGateway(listening, tmp_path)
        headers = modern_headers(ALICE, "tools/call", SLOW)
        posts = [_in_thread(lambda i=i: gw.post(headers, modern_call(i, SLOW, {"duration": SECONDS, "steps": 1})))
                 for i in range(24)]
        _wait_for(lambda: sum(1 for _, out in posts if "answer" in out) >= 20, SECONDS)
        refused = [out["answer"] for _, out in posts if "answer" in out]
        assert len(refused) == 20 and {answer.status for answer in refused} == {429}, refused
        assert {answer.json()["error"]["message"] for answer in refused} == {
            "Too Many Requests: this client has 4 requests in progress, the most the gateway takes at once "
            "(--max-in-progress); send it again once one is answered"}
        taken = [m for m in gw.received() if m.get("method") == "tools/call" and m["params"]["name"] == SLOW]
        assert len(taken) == 4  # before: 24
        for thread, _ in posts:
            thread.join(SECONDS * 3)
        assert all(out["answer"].status == 200 for _, out in posts if "result" in out["answer"].events()[0])
    refusals = [a for a in outcome_lines(tmp_path / "audit.jsonl") if a["decision"] == "refused"]
    assert len(refusals) == 20 and {a["tool"] for a in refusals} == {SLOW}
