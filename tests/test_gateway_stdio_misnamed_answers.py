"""A server started as a command that answers a call under an id of no use: none, null, the id
as a string where the request's is an integer, an id no request has, or a JSON-RPC error
under a null id (a server's "could not read the request"). The server answered, so the tool
may have run: with one call waiting the answer can be no other's, and that call fails at once,
-32603 "the upstream MCP server sent an invalid result", audited `invalid`, its charge kept.
With two waiting, whose answer it is cannot be told: it is logged and dropped, and each call
is answered when the server answers it under its own id. The late answer of a call given up
on (timed out, cancelled, or failed by such an answer) is dropped quietly, never taken for the
answer of the one call then waiting. The same rule holds over legacy SSE
(test_gateway_sse_refused_posts.py).

Each test starts `python -m policytui gateway` over stdio in front of
`tests/servers/misbehaving/hostile_tools.py` (`MISNAMED` answers a call under an id of no use,
`HOLD` holds a call's answer back until the next call), which writes down every call it
receives: what reached the server, what the client read, the audit log and the gateway's log
are checked together.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines
from test_gateway_hostile_server import RawClient, gateway

pytestmark = pytest.mark.usefixtures("one_window")

# A call time-out far beyond every wait below: a call that waits it out fails the test.
LONG_CALL_TIMEOUT = "300"
ANSWER_WAIT = 60.0
FAST = 30.0
INVALID = {"code": -32603, "message": "the upstream MCP server sent an invalid result"}
ONCE = {"version": "1", "default": "allow",
        "tools": {"echo": {"limits": [{"counter": "echo", "window": "hour", "max": 1}]}}}
OPEN = {"version": "1", "default": "allow"}
NO_USE = ["noid", "nullid", "strid", "otherid", "nullerror"]
DROPPED = "answered naming no request waiting"


def served(tmp: Path, policy: dict[str, Any], *options: str, **env: str) -> Any:
    """The gateway in front of hostile_tools.py with `env`, its audit log and its own log in
    `tmp`, the calls the server receives written down with their arguments."""
    return gateway(tmp, policy, "--audit", str(tmp / "audit.jsonl"), "--log", str(tmp / "gateway.log"),
                   *options, HOSTILE_RECORD_ARGUMENTS="1", **env)


def send_echo(client: RawClient, n: int) -> int:
    """Send the call `echo` numbered `n` (its argument `call`, which its answer repeats)
    without waiting for its answer; its id."""
    client._next += 1
    client.send({"jsonrpc": "2.0", "id": client._next, "method": "tools/call",
                 "params": {"name": "echo", "arguments": {"call": n}}})
    return client._next


def answer_of(client: RawClient, request_id: int, wait: float = FAST) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(client.receive_raw(request_id, wait))
    return answer


def text_of(answer: dict[str, Any]) -> str:
    assert "result" in answer, answer
    return " ".join(item.get("text", "") for item in answer["result"]["content"])


def received(tmp: Path) -> list[int]:
    """The number of each call of `echo` the server received (and ran)."""
    path = tmp / "received.txt"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    return [arguments["call"] for name, arguments in lines if name == "echo"]


def audited(tmp: Path) -> list[tuple[str, Any]]:
    return [(line["decision"], line.get("upstream")) for line in outcome_lines(tmp / "audit.jsonl")
            if line["tool"] == "echo"]


def logged(tmp: Path) -> str:
    return (tmp / "gateway.log").read_text(encoding="utf-8")


def until_received(tmp: Path, count: int, seconds: float = FAST) -> None:
    """Wait until the server has received `count` calls of `echo`."""
    deadline = time.monotonic() + seconds
    while len(received(tmp)) < count:
        assert time.monotonic() < deadline, f"the server received {received(tmp)} within {seconds} s"
        time.sleep(0.02)


@pytest.mark.parametrize("how", NO_USE)
def test_the_one_call_waiting_answered_under_an_id_of_no_use_fails_at_once_and_keeps_its_charge(
    tmp_path: Path, how: str
) -> None:
    """Before, the gateway dropped the answer unread: the call waited the whole call time-out
    and was audited `timeout` only then."""
    with served(tmp_path, ONCE, "--call-timeout", LONG_CALL_TIMEOUT, MISNAMED=f"1={how}") as client:
        started = time.monotonic()
        first = answer_of(client, send_echo(client, 1), ANSWER_WAIT)
        assert first.get("error") == INVALID, first
        assert time.monotonic() - started < FAST
        second = answer_of(client, send_echo(client, 2))
        assert text_of(second).startswith("[POLICY DENIED] rate limit 1 per hour reached"), second
        assert client.process.poll() is None
    assert received(tmp_path) == [1]
    assert audited(tmp_path) == [("allowed", "invalid"), ("denied", None)]


@pytest.mark.parametrize("how", NO_USE)
def test_an_answer_under_an_id_of_no_use_while_two_calls_wait_is_logged_and_dropped(
    tmp_path: Path, how: str
) -> None:
    """The first call's answer is held until the second call arrives; the server then sends
    the second's answer under an id of no use, and each call's own answer. Whose answer the
    first one was cannot be told: dropped, and each call gets its own answer."""
    with served(tmp_path, OPEN, "--call-timeout", LONG_CALL_TIMEOUT, HOLD="1", MISNAMED=f"2={how}+own") as client:
        first, second = send_echo(client, 1), send_echo(client, 2)
        assert text_of(answer_of(client, first, ANSWER_WAIT)) == "ran echo 1"
        assert text_of(answer_of(client, second, ANSWER_WAIT)) == "ran echo 2"
    assert received(tmp_path) == [1, 2]
    assert audited(tmp_path) == [("allowed", "ok"), ("allowed", "ok")]
    log = logged(tmp_path)
    assert log.count(DROPPED) == 1 and "while 2 wait: dropped" in log, log


def test_the_own_answer_of_a_call_failed_by_an_answer_of_no_use_is_not_taken_for_the_next(tmp_path: Path) -> None:
    """The server answers the first call under no id (it fails, `invalid`), and its own answer
    only once the second call waits alone: that late answer is dropped quietly, and the second
    call gets its own."""
    with served(tmp_path, OPEN, "--call-timeout", LONG_CALL_TIMEOUT, HOLD="1", MISNAMED="1=noid+own") as client:
        assert answer_of(client, send_echo(client, 1), ANSWER_WAIT).get("error") == INVALID
        assert text_of(answer_of(client, send_echo(client, 2), ANSWER_WAIT)) == "ran echo 2"
    assert received(tmp_path) == [1, 2]
    assert audited(tmp_path) == [("allowed", "invalid"), ("allowed", "ok")]
    assert DROPPED not in logged(tmp_path)


@pytest.mark.parametrize("given_up", ["timeout", "cancelled"])
def test_the_late_answer_of_a_call_given_up_on_is_not_taken_for_the_one_call_waiting(
    tmp_path: Path, given_up: str
) -> None:
    """The first call times out (a short call time-out) or its client cancels it; its answer
    comes once the second call waits alone, under the first call's id. The gateway remembers
    the calls it gave up on: the late answer is dropped quietly, and the second call is
    answered by its own."""
    options = ("--call-timeout", "2") if given_up == "timeout" else ("--call-timeout", LONG_CALL_TIMEOUT)
    with served(tmp_path, OPEN, *options, HOLD="1") as client:
        first = send_echo(client, 1)
        if given_up == "timeout":
            error = answer_of(client, first, ANSWER_WAIT)["error"]
            assert error["message"] == "Request 'tools/call' timed out", error
        else:
            until_received(tmp_path, 1)
            client.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": first}})
        assert text_of(answer_of(client, send_echo(client, 2), ANSWER_WAIT)) == "ran echo 2"
    assert received(tmp_path) == [1, 2]
    assert audited(tmp_path) == [("allowed", given_up), ("allowed", "ok")]
    assert DROPPED not in logged(tmp_path)


def test_a_log_line_written_as_json_is_no_answer_of_the_one_call_waiting(tmp_path: Path) -> None:
    """A JSON object naming no method, id, result or error is a log line some servers write
    on stdout, not an answer: skipped, and the call gets its own answer."""
    with served(tmp_path, OPEN, "--call-timeout", LONG_CALL_TIMEOUT, JSON_LOG="1") as client:
        assert text_of(answer_of(client, send_echo(client, 1), ANSWER_WAIT)) == "ran echo 1"
    assert audited(tmp_path) == [("allowed", "ok")]
    assert DROPPED not in logged(tmp_path)
