"""The gateway in front of a legacy HTTP+SSE server whose message endpoint refuses a POST:
`python -m policytui gateway --sse URL` as an MCP client starts it, in front of
`tests/servers/misbehaving/refusing_sse.py`, a real process that records every message posted
to it and whether it took it.

Over the legacy transport each client message is a POST of its own and every answer comes on
the event stream. A POST refused with an HTTP error status (the server did not take the
message), or whose connection closes without an answer, fails its own call at once, with one
sentence for the client and one in the log, audited `error` and refunded when the status says the
server did not take it (4xx, 501, 503), else (another 5xx, a connection closed once the POST was
sent: the tool may have run) `lost` with its charge kept; a POST taken and never answered fails as `timeout` after
`--timeout` (or `--call-timeout` if shorter), its charge kept; the next call is posted as usual. The MCP SDK's sender used to stop
at the first failed POST: that call, and every one after it, waited until the call time-out.
An answer on the stream that is not one of the protocol's (`"result": 5`) fails its call at
once as `invalid`, its charge kept; the SDK used to drop it, and the call waited the time-out.
So does an answer naming no call waiting (no id, null, another type), when only one call waits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines
from test_gateway_hostile_server import RawClient, running_gateway

pytestmark = pytest.mark.usefixtures("one_window")

SERVER = Path(__file__).resolve().parent / "servers" / "misbehaving" / "refusing_sse.py"
# A call at most 3 times an hour: a refunded call leaves room for one more.
POLICY = {"version": "1", "default": "allow",
          "tools": {"echo": {"limits": [{"counter": "echo", "window": "hour", "max": 3}]}}}
REFUSED = {
    "400": "the upstream MCP server refused the request with HTTP 400 (Bad Request)",
    "413": "the upstream MCP server refused the request with HTTP 413 (Request Entity Too Large)",
    "500": "the upstream MCP server refused the request with HTTP 500 (Internal Server Error)",
    "drop": "the upstream MCP server is unavailable (it closed the connection without answering the request)",
}
# Failing a call takes one POST; waiting for an answer that never comes took the call time-out.
FAST = 10.0


@contextmanager
def refusing_gateway(
    tmp: Path, *options: str, server: Path = SERVER, policy: dict[str, Any] = POLICY, **env: str
) -> Iterator[RawClient]:
    """`server` with `env` (REFUSE=..., REFUSE_FROM=...), and the gateway over stdio in front of
    it under `policy`, initialized; both stopped when the block ends. The server is
    refusing_sse.py (reached with `--sse`) or refusing_http.py (Streamable HTTP)."""
    process = subprocess.Popen([sys.executable, str(server)], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "REFUSING_RECORD": str(tmp / "received.jsonl"), **env})
    assert process.stdout is not None
    try:
        port = int(process.stdout.readline())
        target = ["--sse", f"http://127.0.0.1:{port}/sse"] if server == SERVER else [f"http://127.0.0.1:{port}/mcp"]
        (tmp / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
        command = [sys.executable, "-m", "policytui", "gateway", "--policy", str(tmp / "policy.json"),
                   "--state", "memory://", "--audit", str(tmp / "audit.jsonl"), "--log", str(tmp / "gateway.log"),
                   *options, *target]
        with running_gateway(tmp, command) as client:
            client.upstream = process
            yield client
    finally:
        process.kill()
        process.wait(timeout=10)


def echo(client: RawClient, n: int, wait: float = FAST) -> tuple[str, float]:
    """The text (or error message) the call `echo n` gets within `wait` seconds, and how long
    it took."""
    client._next += 1
    client.send({"jsonrpc": "2.0", "id": client._next, "method": "tools/call",
                 "params": {"name": "echo", "arguments": {"n": n}}})
    started = time.monotonic()
    answer: dict[str, Any] = json.loads(client.receive_raw(client._next, wait))
    took = time.monotonic() - started
    if "error" in answer:
        return str(answer["error"]["message"]), took
    return " ".join(item.get("text", "") for item in answer["result"]["content"]), took


def received(tmp: Path) -> list[tuple[int, bool]]:
    """The echo calls the server received: (n, whether it took the message and ran the tool)."""
    path = tmp / "received.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    return [(line["message"]["params"]["arguments"]["n"], line["taken"]) for line in lines
            if "message" in line and line["message"].get("method") == "tools/call"
            and line["message"]["params"]["name"] == "echo"]


def audited(tmp: Path) -> list[tuple[str, Any]]:
    return [(r["decision"], r.get("upstream")) for r in outcome_lines(tmp / "audit.jsonl") if r["tool"] == "echo"]


# What the audit log says of each refusal, and whether the server took (and ran) the call. A
# 4xx (or 501, 503) says the server did not take the message: `error`, refunded. A 500 and a
# dropped connection may come after the tool ran (`ran+500`: the server ran it, answered it on
# the stream and refused the POST): `lost`, the charge kept.
OUTCOME = {"400": ("error", False), "413": ("error", False), "500": ("lost", False), "drop": ("lost", False),
           "ran+500": ("lost", True)}


@pytest.mark.parametrize("how", list(OUTCOME))
def test_a_refused_post_fails_its_call_only_and_the_next_calls_are_served(tmp_path: Path, how: str) -> None:
    outcome, taken = OUTCOME[how]
    refunded = outcome == "error"
    with refusing_gateway(tmp_path, REFUSE=f"2={how}") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        text, took = echo(client, 2)
        # `ran+500`: the answer on the stream and the refused POST race; either way it is charged.
        assert text == REFUSED[how.removeprefix("ran+")] or (taken and text == "ran echo 2")
        assert took < FAST
        assert echo(client, 3)[0] == "ran echo 3"
        if refunded:
            assert echo(client, 4)[0] == "ran echo 4"  # the refused call was refunded: room for this one
        assert echo(client, 5)[0].startswith("[POLICY DENIED] rate limit 3 per hour reached")
        assert client.process.poll() is None
    # The server's side: never more runs than the limit allows.
    assert received(tmp_path) == [(1, True), (2, taken), (3, True)] + [(4, True)] * refunded
    second = ("allowed", "ok") if text == "ran echo 2" else ("allowed", outcome)
    assert audited(tmp_path) == [("allowed", "ok"), second, ("allowed", "ok")] + [("allowed", "ok")] * refunded + \
        [("denied", None)]
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    said = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert len(said) == (second[1] != "ok") and all("tools/call" in line for line in said), log
    assert "Traceback" not in log + (tmp_path / "stderr.txt").read_text(encoding="utf-8")


def test_a_server_that_refuses_every_post_from_then_on_fails_each_call_at_once(tmp_path: Path) -> None:
    with refusing_gateway(tmp_path, REFUSE_FROM="2=503") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        for n in (2, 3, 4, 5):
            text, took = echo(client, n)
            assert text == "the upstream MCP server refused the request with HTTP 503 (Service Unavailable)"
            assert took < FAST
        assert client.process.poll() is None
    assert received(tmp_path) == [(1, True), (2, False), (3, False), (4, False), (5, False)]
    # Each refused call refunded: none of them is a rate-limit denial.
    assert audited(tmp_path) == [("allowed", "ok")] + [("allowed", "error")] * 4


def test_a_post_taken_and_never_answered_times_out_and_keeps_its_charge(tmp_path: Path) -> None:
    """The server takes the message and runs the tool, then answers neither the POST nor the
    call: after `--timeout` the call fails as `timeout` and keeps its charge (the tool may be
    running), as a call that times out does on every transport; the next call is served."""
    with refusing_gateway(tmp_path, "--timeout", "2", REFUSE="2=hang") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        text, took = echo(client, 2)
        assert text.startswith("the upstream MCP server did not answer in time"), text
        assert took < FAST
        assert echo(client, 3)[0] == "ran echo 3"
        # 1, 2 (kept) and 3 used the three calls of the hour.
        assert echo(client, 4)[0].startswith("[POLICY DENIED] rate limit 3 per hour reached")
    assert received(tmp_path) == [(1, True), (2, True), (3, True)]
    assert audited(tmp_path) == [("allowed", "ok"), ("allowed", "timeout"), ("allowed", "ok"), ("denied", None)]


def test_what_bounds_a_call_the_server_takes_and_never_answers_is_what_the_docs_say(tmp_path: Path) -> None:
    """docs/gateway.md: a call whose POST the server answers (202) and whose answer never comes
    waits `--call-timeout`, not `--timeout`; a POST the server holds open is given up after
    `--timeout` (each POST's bound once serving too), or its call after `--call-timeout` if
    that is shorter, and the call posted behind a held POST waits for it, past its own
    `--call-timeout`. Each call fails as `timeout`, its charge kept. Before, the docs said such
    a call failed "within `--timeout`", whichever way the server kept its answer."""
    doc = " ".join((Path(__file__).resolve().parents[1] / "docs" / "gateway.md").read_text(encoding="utf-8").split())
    assert ("one whose POST the server answers (202) and whose answer never comes on the stream after "
            "`--call-timeout`; one whose POST the server holds open without answering after `--timeout`, which "
            "bounds each POST once serving has begun too, or after `--call-timeout` if that is shorter") in doc
    assert "a call sent behind a held POST is posted, and answered, once the held POST is given up" in doc
    for case in ("mute", "held", "behind"):
        (tmp_path / case).mkdir()
    # Answered 202 and never on the stream: the call time-out, though --timeout is shorter.
    with refusing_gateway(tmp_path / "mute", "--timeout", "1", "--call-timeout", "4", REFUSE="2=mute") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        took = echo(client, 2, 30)[1]
        assert 3.5 < took < 10, took
    # Held open: --timeout, though the call time-out is longer.
    with refusing_gateway(tmp_path / "held", "--timeout", "2", "--call-timeout", "60", REFUSE="2=hang") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        took = echo(client, 2, 30)[1]
        assert 1.5 < took < 10, took
    # Held open with a shorter call time-out: the call fails first; the next waits for the POST.
    with refusing_gateway(tmp_path / "behind", "--timeout", "15", "--call-timeout", "1", REFUSE="2=hang") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        took = echo(client, 2, 30)[1]
        assert took < 10, took
        text, waited = echo(client, 3, 30)
        assert text == "ran echo 3" and took + waited > 12, (text, took, waited)
    for case in ("mute", "held", "behind"):
        assert audited(tmp_path / case)[:2] == [("allowed", "ok"), ("allowed", "timeout")], case


# A call time-out far longer than an invalid answer may take to fail its call, and the wait for
# that answer: both well beyond what the gateway needs, both well within the time-out.
LONG_CALL_TIMEOUT = "120"
INVALID_WAIT = 60.0
INVALID_FAST = 30.0


@pytest.mark.parametrize("how", ["bad", "both", "both+escaped", "both+null", "both+odd"])
def test_a_result_that_is_not_a_tools_result_fails_its_call_at_once_and_keeps_its_charge(
    tmp_path: Path, how: str
) -> None:
    """The server runs the tool and answers on the stream with `"result": 5` (`bad`), or with a
    result beside an error (`both`, its key `result` spelled plainly or, `both+escaped`, with
    a JSON escape; `both+null`, a result that is null; `both+odd`, beside an error that is no
    error object, `"error": 5`): the call fails at once as `invalid`,
    its charge kept (the tool ran), with the words it gets over stdio, and the next calls are
    served as usual.
    Before, the MCP SDK dropped the `bad` event without its id, so the call waited the whole
    call time-out and failed in the SDK's words as `timeout`; it read `both` as its error alone,
    so the call was audited `error` and refunded, and ran past the limit; `both+escaped` it
    went on reading so once `both` was caught, as the text `"result"` alone was looked for;
    `both+odd` the SDK read as its result alone, the call `ok` (over stdio `invalid`)."""
    with refusing_gateway(tmp_path, "--call-timeout", LONG_CALL_TIMEOUT, REFUSE=f"2={how}") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        text, took = echo(client, 2, INVALID_WAIT)
        assert text == "the upstream MCP server sent an invalid result"
        assert took < INVALID_FAST
        assert echo(client, 3)[0] == "ran echo 3"
        assert echo(client, 4)[0].startswith("[POLICY DENIED] rate limit 3 per hour reached")
        assert client.process.poll() is None
    assert received(tmp_path) == [(1, True), (2, True), (3, True)]
    assert audited(tmp_path) == [("allowed", "ok"), ("allowed", "invalid"), ("allowed", "ok"), ("denied", None)]
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    said = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert len(said) == 1 and "invalid result" in said[0] and "tools/call" in said[0], log
    assert "Traceback" not in log + (tmp_path / "stderr.txt").read_text(encoding="utf-8")


def test_a_call_answered_with_an_invalid_result_uses_a_limit_of_one(tmp_path: Path) -> None:
    """Under a limit of 1 an hour, the call answered `"result": 5` used it: the next call is
    denied and never reaches the server."""
    once = {"version": "1", "default": "allow",
            "tools": {"echo": {"limits": [{"counter": "echo", "window": "hour", "max": 1}]}}}
    with refusing_gateway(tmp_path, "--call-timeout", LONG_CALL_TIMEOUT, policy=once, REFUSE="1=bad") as client:
        text, took = echo(client, 1, INVALID_WAIT)
        assert text == "the upstream MCP server sent an invalid result"
        assert took < INVALID_FAST
        assert echo(client, 2)[0].startswith("[POLICY DENIED] rate limit 1 per hour reached")
    assert received(tmp_path) == [(1, True)]
    assert audited(tmp_path) == [("allowed", "invalid"), ("denied", None)]


@pytest.mark.parametrize("how", ["noid", "nullid", "strid", "otherid", "nullerror"])
def test_an_answer_naming_no_call_waiting_fails_the_one_call_waiting_at_once(tmp_path: Path, how: str) -> None:
    """The server runs the tool and answers on the stream under an id of no use: none, null,
    the id as a string (the request's is an integer), an id no request has, or sends a
    JSON-RPC error under a null id in its place (nothing says the tool did not run). With one
    call waiting the answer can be no other's: that call fails at once as `invalid`, its
    charge kept, and the next calls are served. Before, the MCP SDK dropped the answer (or,
    `strid`, took it for the request 1's, which the gateway over stdio does not) and the call
    waited the whole call time-out."""
    with refusing_gateway(tmp_path, "--call-timeout", LONG_CALL_TIMEOUT, REFUSE=f"1={how}") as client:
        text, took = echo(client, 1, INVALID_WAIT)
        assert text == "the upstream MCP server sent an invalid result"
        assert took < INVALID_FAST
        assert echo(client, 2)[0] == "ran echo 2"
        assert echo(client, 3)[0] == "ran echo 3"
        assert echo(client, 4)[0].startswith("[POLICY DENIED] rate limit 3 per hour reached")
        assert client.process.poll() is None
    assert received(tmp_path) == [(1, True), (2, True), (3, True)]
    assert audited(tmp_path) == [("allowed", "invalid"), ("allowed", "ok"), ("allowed", "ok"), ("denied", None)]


def test_an_answer_naming_no_call_while_two_wait_is_dropped_and_both_time_out(tmp_path: Path) -> None:
    """The first call is taken and never answered (`mute`), the second answered under no id:
    whose answer it is cannot be told, so it is logged and dropped, and both calls end at the
    call time-out, audited `timeout`, their charges kept (both tools ran)."""
    with refusing_gateway(tmp_path, "--call-timeout", "3", REFUSE="1=mute,2=noid") as client:
        for n in (1, 2):
            client._next += 1
            client.send({"jsonrpc": "2.0", "id": client._next, "method": "tools/call",
                         "params": {"name": "echo", "arguments": {"n": n}}})
        for request_id in (client._next - 1, client._next):
            said = json.loads(client.receive_raw(request_id, INVALID_WAIT))["error"]["message"]
            assert said == "Request 'tools/call' timed out", said
        assert echo(client, 3)[0] == "ran echo 3"
        assert echo(client, 4)[0].startswith("[POLICY DENIED] rate limit 3 per hour reached")
    assert received(tmp_path) == [(1, True), (2, True), (3, True)]
    assert audited(tmp_path) == [("allowed", "timeout"), ("allowed", "timeout"), ("allowed", "ok"), ("denied", None)]
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert "answered naming no request waiting (id None) while 2 wait: dropped" in log, log


def test_an_answer_sent_again_does_not_answer_the_call_waiting(tmp_path: Path) -> None:
    """The server answers the first call, and then, the second call posted, sends the first
    call's answer once more before the second's own: that id's request was answered already,
    so the repeat is logged and dropped, and the second call gets its own answer. Before, an
    answer naming no request waiting failed the one call waiting: the second call was
    answered "invalid result" with the first call's answer, and its own was dropped."""
    with refusing_gateway(tmp_path, "--call-timeout", LONG_CALL_TIMEOUT, REFUSE="2=again") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        assert echo(client, 2, INVALID_WAIT)[0] == "ran echo 2"
        assert echo(client, 3)[0] == "ran echo 3"
        assert echo(client, 4)[0].startswith("[POLICY DENIED] rate limit 3 per hour reached")
    assert received(tmp_path) == [(1, True), (2, True), (3, True)]
    assert audited(tmp_path) == [("allowed", "ok"), ("allowed", "ok"), ("allowed", "ok"), ("denied", None)]
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert "answered a request it had answered already" in log, log
