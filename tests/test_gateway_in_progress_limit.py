"""A client that writes calls without waiting for their answers, in front of a slow server.

A real `python -m policytui gateway` over stdio in front of the real server-everything behind
`tee_stdin.py` (what the server read, byte for byte), whose `trigger-long-running-operation`
answers after the seconds it is given. The client writes every call at once and waits for
none: the gateway takes as many as one client may have in progress (`--max-in-progress`,
default 64) and refuses the rest at once, each audited; pings and cancellations always pass;
answers coming back make room again, and a call cancelled once the server has it keeps its
place until the server answers it or --call-timeout gives up on it. Judged from the server's
side and in the audit log.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import select
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
# Each slow call the cancelling client makes takes the server this long: far past the time
# the test waits for the gateway's refusals, and past --call-timeout, so the gateway gives up
# on each before the server is done.
CANCELLED_SECONDS = 60
CALL_TIMEOUT = 3
# Over HTTP each call and each cancellation is a POST of its own: the loop takes longer.
HTTP_CALL_TIMEOUT = 10
TOO_MANY_OF_4 = ("Too Many Requests: this client has 4 requests in progress, the most the gateway takes at once "
                 "(--max-in-progress); send it again once one is answered")


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
    again, as many as the places the server freed (the cancelled call, which server-everything
    never answers, keeps its own). Before, the gateway forwarded all 84 (and would any number
    more)."""
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

        # The server answers the calls it took: as many again pass, the cancelled one still
        # in progress on the server.
        await _answers(gw, list(range(2, limit + 1)), SECONDS * 3)
        await gw.write(_lines(*(_slow(f"again-{i}", 0.1) for i in range(limit))))
        again = await _answers(gw, [f"again-{i}" for i in range(limit)], 30)
        assert all("result" in again.pop(f"again-{i}") for i in range(limit - 1)), again
        assert "Too Many Requests" in again[f"again-{limit - 1}"]["error"]["message"], again
        assert len(_received_calls(gw)) == 2 * limit - 1
    audit = [a for a in gw.audited_calls() if a["tool"] == SLOW]
    assert len([a for a in audit if a["decision"] == "refused"]) == 21  # no call was refused twice
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
        assert {answer["error"]["message"] for answer in refused} == {TOO_MANY_OF_4}
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
        assert {answer.json()["error"]["message"] for answer in refused} == {TOO_MANY_OF_4}
        taken = [m for m in gw.received() if m.get("method") == "tools/call" and m["params"]["name"] == SLOW]
        assert len(taken) == 4  # before: 24
        for thread, _ in posts:
            thread.join(SECONDS * 3)
        assert all(out["answer"].status == 200 for _, out in posts if "result" in out["answer"].events()[0])
    refusals = [a for a in outcome_lines(tmp_path / "audit.jsonl") if a["decision"] == "refused"]
    assert len(refusals) == 20 and {a["tool"] for a in refusals} == {SLOW}


def _called_and_cancelled(count: int) -> bytes:
    """`count` slow calls, each cancelled right after it is sent, as a client in a loop does."""
    return _lines(*(m for i in range(count) for m in (_slow(i, CANCELLED_SECONDS), cancelled(i))))


async def test_a_cancelled_call_keeps_its_place_until_the_server_is_done_with_it(
        tmp_path: Path, test_servers: Path) -> None:
    """A stdio client with 4 places calls the slow tool and cancels it, 20 times in a loop:
    the server gets 4 calls (and their cancellations, which server-everything lets run to
    their end and never answers), the other 16 are refused at once and audited `refused`, the
    4 audited `cancelled` once each and never answered; once --call-timeout gives up on them,
    calls pass again. Before, each cancellation freed its place at once and all 20 calls
    reached the server."""
    async with stdio_gateway(tmp_path, POLICY, everything_server(test_servers), "--max-in-progress", "4",
                             "--call-timeout", str(CALL_TIMEOUT)) as gw:
        started = time.monotonic()
        await gw.write(_called_and_cancelled(20))
        await asyncio.sleep(0.5)
        assert _received_calls(gw) == [0, 1, 2, 3]  # before: 0 to 19
        refused = await _answers(gw, list(range(4, 20)), CALL_TIMEOUT)
        assert time.monotonic() - started < CALL_TIMEOUT  # at once: none waited for the server
        assert {answer["error"]["message"] for answer in refused.values()} == {TOO_MANY_OF_4}, refused
        assert _received_cancellations(gw) == [0, 1, 2, 3]  # each told once, never again at the time-out
        # Still held: a call now is refused too.
        await gw.write(_lines(_slow("held", 0.1)))
        held = await gw.answer("held", CALL_TIMEOUT)
        assert held is not None and held["error"]["message"] == TOO_MANY_OF_4, held

        # --call-timeout gives up on them: calls pass again, as many as the limit.
        await asyncio.sleep(max(0.0, CALL_TIMEOUT + 0.5 - (time.monotonic() - started)))
        await gw.write(_lines(*(_slow(f"again-{i}", 0.1) for i in range(4))))
        again = await _answers(gw, [f"again-{i}" for i in range(4)], 30)
        assert all("result" in answer for answer in again.values()), again
        for request_id in range(4):
            assert gw.raw_answer(request_id) is None  # a cancelled call is never answered
        assert _received_cancellations(gw) == [0, 1, 2, 3]
    audit = [a for a in gw.audited_calls() if a["tool"] == SLOW]
    assert [a.get("upstream") for a in audit].count("cancelled") == 4  # once each, not again at the time-out
    assert [a["decision"] for a in audit].count("refused") == 17
    assert len(audit) == 4 + 17 + 4


async def test_a_cancelled_call_keeps_its_place_until_the_server_answers_it(tmp_path: Path) -> None:
    """A server that ignores cancellations and answers (the recording asking_server, whose
    `wait` answers 2 s later, one call at a time): of 20 calls a client with 4 places makes and
    cancels in a loop, 4 reach it and 16 are refused; a call made before the server answered
    any is refused too, and once it has answered the first (the answer dropped: the client
    cancelled it), one call passes and the next is refused. Before, all 20 reached the server."""
    server_cmd = [sys.executable, str(RECORDING / "asking_server.py"), str(tmp_path / "asked.jsonl")]
    waits = (call(i, "wait", {}) for i in range(20))
    async with stdio_gateway(tmp_path, POLICY, server_cmd, "--max-in-progress", "4") as gw:
        await gw.write(_lines(*(m for each in waits for m in (each, cancelled(each["id"])))))
        await asyncio.sleep(0.5)
        received = [m["id"] for m in gw.received()
                    if m.get("method") == "tools/call" and m["params"]["name"] in ("wait", "work")]
        assert received == [0, 1, 2, 3]  # before: 0 to 19
        refused = await _answers(gw, list(range(4, 20)), 1)
        assert {answer["error"]["message"] for answer in refused.values()} == {TOO_MANY_OF_4}, refused
        await gw.write(_lines(call("early", "work", {})))
        early = await gw.answer("early", 1)
        assert early is not None and early["error"]["message"] == TOO_MANY_OF_4, early

        await asyncio.sleep(2.5)  # the server has answered the first `wait`
        await gw.write(_lines(call("after", "work", {}), call("after-too", "work", {})))
        too = await gw.answer("after-too", 1)
        assert too is not None and too["error"]["message"] == TOO_MANY_OF_4, too
        after = await gw.answer("after", 30)  # the server answers it once its other `wait`s end
        assert after is not None and after["result"]["content"][0]["text"] == "worked", after
        for request_id in range(4):
            assert gw.raw_answer(request_id) is None  # a cancelled call is never answered
    audit = gw.audited_calls()
    assert [a.get("upstream") for a in audit if a["tool"] == "wait"].count("cancelled") == 4
    assert [a["decision"] for a in audit].count("refused") == 16 + 2


def _slow_calls_received(gw: HttpGateway) -> int:
    return sum(1 for m in gw.received() if m.get("method") == "tools/call" and m["params"]["name"] == SLOW)


def _refused_or_received(gw: HttpGateway, post: Any, received: int) -> dict[str, Any] | None:
    """Wait for a slow call just POSTed: its answer when the gateway answers it first (a
    refusal), else None once the server has it (its count of slow calls past `received`)."""
    _wait_for(lambda: "answer" in post[1] or _slow_calls_received(gw) > received, HTTP_CALL_TIMEOUT)
    if "answer" in post[1]:
        answer: dict[str, Any] = post[1]["answer"].events()[0]
        return answer
    return None


def test_an_http_sessions_cancelled_calls_keep_their_places_until_the_call_timeout(
        tmp_path: Path, everything: Path) -> None:
    """The stdio case over an HTTP session: each of 20 slow calls POSTed and cancelled by a
    `notifications/cancelled` POSTed once the server has it (or it was refused). 4 reach the
    server, 16 are refused and audited; the 4 are audited `cancelled` once each and their POSTs
    get no answer (202); once --call-timeout gives up on them, a call passes again. Before,
    all 20 reached the server."""
    options, upstream = _limited_to_four(tmp_path, everything)
    options += ["--call-timeout", str(HTTP_CALL_TIMEOUT)]
    with http_gateway(options, upstream, tmp_path / "gateway.log") as listening:
        gw = HttpGateway(listening, tmp_path)
        headers = legacy_headers(ALICE, gw.initialize(ALICE))
        started = time.monotonic()
        refusals, posts = [], []
        for i in range(20):
            received = _slow_calls_received(gw)  # before the POST: the server may read it at once
            post = _in_thread(lambda i=i: gw.post(headers, json.dumps(_slow(i, CANCELLED_SECONDS)).encode()))
            posts.append(post)
            refused = _refused_or_received(gw, post, received)
            if refused is not None:
                refusals.append(refused)
            else:
                last_taken = time.monotonic()  # the gateway's time-out for it counts from before
            assert gw.post(headers, json.dumps(cancelled(i)).encode()).status == 202
        assert _slow_calls_received(gw) == 4  # before: 20
        assert len(refusals) == 16 and {answer["error"]["message"] for answer in refusals} == {TOO_MANY_OF_4}
        assert time.monotonic() - started < HTTP_CALL_TIMEOUT  # none of the 4 given up on yet
        for thread, out in posts:
            thread.join(HTTP_CALL_TIMEOUT)
            assert out["answer"].status in (200, 202), out  # the cancelled calls: 202, no answer
        assert [out["answer"].status for _, out in posts].count(202) == 4
        time.sleep(max(0.0, last_taken + HTTP_CALL_TIMEOUT + 0.5 - time.monotonic()))
        answer = gw.post(headers, json.dumps(_slow("again", 0.1)).encode())
        assert "result" in answer.events()[0], answer
    audit = [a for a in outcome_lines(tmp_path / "audit.jsonl") if a["tool"] == SLOW]
    assert [a["decision"] for a in audit].count("refused") == 16
    assert [a.get("upstream") for a in audit].count("cancelled") == 4
    assert len(audit) == 16 + 4 + 1


def test_requests_without_a_session_cancelled_keep_their_places_until_the_call_timeout(
        tmp_path: Path, everything: Path) -> None:
    """A 2026-07-28 client cancels a call by closing its POST. 20 slow calls POSTed without a
    session, each POST closed once the server has its call: 4 reach the server, 16 are
    refused (429) and audited; once --call-timeout gives up on the 4, a call passes again.
    Before, all 20 reached the server."""
    options, upstream = _limited_to_four(tmp_path, everything)
    options += ["--call-timeout", str(HTTP_CALL_TIMEOUT)]
    with http_gateway(options, upstream, tmp_path / "gateway.log") as listening:
        gw = HttpGateway(listening, tmp_path)
        headers = modern_headers(ALICE, "tools/call", SLOW)
        started = time.monotonic()
        statuses = []
        for i in range(20):
            received = _slow_calls_received(gw)
            conn = http.client.HTTPConnection(gw.host, gw.port, timeout=HTTP_CALL_TIMEOUT)
            body = modern_call(i, SLOW, {"duration": CANCELLED_SECONDS, "steps": 1})
            conn.putrequest("POST", gw.path, skip_accept_encoding=True)
            for name, value in [*headers, ("Content-Length", str(len(body)))]:
                conn.putheader(name, value)
            conn.endheaders(body)
            _wait_for(lambda conn=conn, received=received: (select.select([conn.sock], [], [], 0.05)[0]
                                                            or _slow_calls_received(gw) > received),
                      HTTP_CALL_TIMEOUT)
            if select.select([conn.sock], [], [], 0)[0]:
                statuses.append(conn.getresponse().status)
            else:
                last_taken = time.monotonic()  # the gateway's time-out for it counts from before
            conn.close()  # the client cancels the call
        assert _slow_calls_received(gw) == 4  # before: 20
        assert statuses == [429] * 16, statuses
        assert time.monotonic() - started < HTTP_CALL_TIMEOUT  # none of the 4 given up on yet
        time.sleep(max(0.0, last_taken + HTTP_CALL_TIMEOUT + 0.5 - time.monotonic()))
        answer = gw.post(headers, modern_call("again", SLOW, {"duration": 0.1, "steps": 1}))
        assert answer.status == 200 and "result" in answer.json(), answer
    audit = [a for a in outcome_lines(tmp_path / "audit.jsonl") if a["tool"] == SLOW]
    assert [a["decision"] for a in audit].count("refused") == 16
    assert [a.get("upstream") for a in audit].count("cancelled") == 4
    assert len(audit) == 16 + 4 + 1
