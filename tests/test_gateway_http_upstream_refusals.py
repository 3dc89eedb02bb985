"""The gateway in front of a Streamable HTTP server that refuses a POST, drops its connection,
or answers it badly: `python -m policytui gateway URL` as an MCP client starts it, in front of
`tests/servers/misbehaving/refusing_http.py`, a real process that records every message
posted to it and whether it took it.

Over Streamable HTTP a request's answer is the body of its own POST. Whatever goes wrong with
one POST fails that call only, at once, with one sentence for the client and one line in the
log, audited and charged as over the legacy SSE transport (`test_gateway_sse_refused_posts`):
an HTTP error status is `error` and refunded (the server did not take the message), a
connection that fails before the answer is `unavailable` and refunded, a POST taken and not
answered within the call time-out is `timeout` with its charge kept. The gateway stays up and
the next call is posted as usual. Before, a dropped connection ended the gateway with a
traceback ("the gateway stopped on an unexpected error: ExceptionGroup ..."), an event stream
that ended early made the server unavailable for good, and an HTTP error status or an answer
that is not JSON reached the client in the MCP SDK's words.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from test_gateway_sse_refused_posts import FAST, REFUSED, audited, echo, received, refusing_gateway

SERVER = Path(__file__).resolve().parent / "servers" / "misbehaving" / "refusing_http.py"
# What the client is told, beyond the refusals it shares with the legacy SSE transport.
SAID = {
    **REFUSED,
    "cut": REFUSED["drop"],  # an event stream that ends before the answer
    "short": REFUSED["drop"],  # an answer whose connection closes half-way through it
    "invalid": "the upstream MCP server sent an answer that is not a JSON-RPC message",
}
# What the audit log says, and whether the server took (and ran) the call.
OUTCOME = {"400": ("error", False), "413": ("error", False), "500": ("error", False),
           "drop": ("unavailable", False), "cut": ("unavailable", True), "short": ("unavailable", True),
           "invalid": ("error", True)}


def said_in_log(tmp: Path) -> list[str]:
    log = (tmp / "gateway.log").read_text(encoding="utf-8")
    assert "Traceback" not in log + (tmp / "stderr.txt").read_text(encoding="utf-8"), log
    return [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]


def closed(tmp: Path) -> list[object]:
    """The ids of the messages the server took, never answered, and saw the client close."""
    path = tmp / "received.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    return [line["closed"] for line in lines if "closed" in line]


@pytest.mark.parametrize("how", list(OUTCOME))
def test_a_failed_post_fails_its_call_only_and_the_next_calls_are_served(tmp_path: Path, how: str) -> None:
    with refusing_gateway(tmp_path, server=SERVER, REFUSE=f"2={how}") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        text, took = echo(client, 2)
        assert text == SAID[how]
        assert took < FAST
        assert echo(client, 3)[0] == "ran echo 3"
        assert echo(client, 4)[0] == "ran echo 4"  # the failed call was refunded: room for this one
        assert echo(client, 5)[0].startswith("[POLICY DENIED] rate limit 3 per hour reached")
        assert client.process.poll() is None
    outcome, taken = OUTCOME[how]
    # The server's side: what it took ran once; the refused message was not taken.
    assert received(tmp_path) == [(1, True), (2, taken), (3, True), (4, True)]
    assert audited(tmp_path) == [("allowed", "ok"), ("allowed", outcome), ("allowed", "ok"), ("allowed", "ok"),
                                 ("denied", None)]
    said = said_in_log(tmp_path)
    assert len(said) == 1 and "tools/call" in said[0], said


@pytest.mark.parametrize("how", ["503", "drop"])
def test_a_server_that_fails_every_post_from_then_on_fails_each_call_at_once(tmp_path: Path, how: str) -> None:
    with refusing_gateway(tmp_path, server=SERVER, REFUSE_FROM=f"2={how}") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        for n in (2, 3, 4, 5):
            text, took = echo(client, n)
            assert text == SAID.get(how, "the upstream MCP server refused the request with HTTP 503 (Service Unavailable)")
            assert took < FAST
        assert client.process.poll() is None
    assert received(tmp_path) == [(1, True), (2, False), (3, False), (4, False), (5, False)]
    # Each failed call refunded: none of them is a rate-limit denial.
    outcome = "unavailable" if how == "drop" else "error"
    assert audited(tmp_path) == [("allowed", "ok")] + [("allowed", outcome)] * 4
    assert len(said_in_log(tmp_path)) == 4


def test_a_server_that_goes_away_fails_each_call_at_once(tmp_path: Path) -> None:
    """The server exits while a POST waits: that call and every later one fail at once, as
    `unavailable` (refunded), and the gateway stays up."""
    with refusing_gateway(tmp_path, server=SERVER, REFUSE="2=exit") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        assert echo(client, 2)[0] == REFUSED["drop"]
        for n in (3, 4):
            text, took = echo(client, n)
            assert text == "the upstream MCP server is unavailable (the connection to it failed)"
            assert took < FAST
        assert client.process.poll() is None
    assert received(tmp_path) == [(1, True), (2, False)]
    assert audited(tmp_path) == [("allowed", "ok")] + [("allowed", "unavailable")] * 3
    assert len(said_in_log(tmp_path)) == 3


def test_a_post_taken_and_never_answered_times_out_keeps_its_charge_and_is_closed(tmp_path: Path) -> None:
    """The server takes the message and runs the tool, then never answers the POST: after the
    call time-out the call fails as `timeout` and keeps its charge (the tool may be running),
    and the gateway closes that POST (after posting `notifications/cancelled`) instead of
    holding its connection until the stream's read time-out, an hour later."""
    with refusing_gateway(tmp_path, "--call-timeout", "2", server=SERVER, REFUSE="2=hang") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        text, took = echo(client, 2)
        assert text == "Request 'tools/call' timed out"
        assert took < FAST
        deadline = time.monotonic() + FAST
        while not closed(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(closed(tmp_path)) == 1  # while the gateway still runs
        assert echo(client, 3)[0] == "ran echo 3"
        # 1, 2 (kept) and 3 used the three calls of the hour.
        assert echo(client, 4)[0].startswith("[POLICY DENIED] rate limit 3 per hour reached")
        assert client.process.poll() is None
    assert received(tmp_path) == [(1, True), (2, True), (3, True)]
    assert audited(tmp_path) == [("allowed", "ok"), ("allowed", "timeout"), ("allowed", "ok"), ("denied", None)]
    said_in_log(tmp_path)


def test_a_session_the_server_no_longer_knows_fails_closed_with_one_sentence(tmp_path: Path) -> None:
    """A 404 to a message of the session: the server has ended it (the protocol's word for
    that). The gateway does not open a new session: that call fails (`error`, refunded: the
    server did not take it), and every later one fails at once without being sent
    (`unavailable`, refunded), each with the sentence that says to restart the gateway."""
    ended = "ended the gateway's session, answering HTTP 404; restart the gateway to open a new one"
    with refusing_gateway(tmp_path, server=SERVER, REFUSE="2=expire") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        assert echo(client, 2)[0] == f"the upstream MCP server {ended}"
        for n in (3, 4, 5):
            text, took = echo(client, n)
            assert text == f"the upstream MCP server is unavailable (it {ended})"
            assert took < FAST
        assert client.process.poll() is None
    assert received(tmp_path) == [(1, True), (2, False)]
    assert audited(tmp_path) == [("allowed", "ok"), ("allowed", "error")] + [("allowed", "unavailable")] * 3
    said = said_in_log(tmp_path)
    assert len(said) == 1 and "ERROR" in said[0] and ended in said[0], said
