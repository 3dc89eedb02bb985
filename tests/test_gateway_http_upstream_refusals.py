"""The gateway in front of a Streamable HTTP server that refuses a POST, drops its connection,
or answers it badly: `python -m policytui gateway URL` as an MCP client starts it, in front of
`tests/servers/misbehaving/refusing_http.py`, a real process that records every message
posted to it and whether it took it.

Over Streamable HTTP a request's answer is the body of its own POST. Whatever goes wrong with
one POST fails that call only, at once, with one sentence for the client and one line in the
log, audited and charged as over the legacy SSE transport (`test_gateway_sse_refused_posts`):
a 4xx, 501 or 503 is `error` and refunded (the server did not take the message); a POST the
server took, or may have (another 5xx, a connection closed once sent, an answer cut short, not
JSON-RPC or absent), is `lost` with its charge kept; a POST taken and not answered within the
call time-out is `timeout` with its charge kept. The gateway stays up and
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
from test_gateway_hostile_server import RawClient
from test_gateway_sse_refused_posts import FAST, REFUSED, audited, echo, received, refusing_gateway
from test_gateway_sse_refused_posts import SERVER as SSE_SERVER

SERVER = Path(__file__).resolve().parent / "servers" / "misbehaving" / "refusing_http.py"
# What the client is told, beyond the refusals it shares with the legacy SSE transport.
SAID = {
    **REFUSED,
    "cut": REFUSED["drop"],  # an event stream that ends before the answer
    "short": REFUSED["drop"],  # an answer whose connection closes half-way through it
    "invalid": "the upstream MCP server sent an answer that is not a JSON-RPC message",
    # A result that is not a tool's result: not a message of the protocol to the MCP SDK.
    "bad": "the upstream MCP server sent an answer that is not a JSON-RPC message",
    "ran+500": REFUSED["500"],
    "ran+502": "the upstream MCP server refused the request with HTTP 502 (Bad Gateway)",
    "ran+202": "the upstream MCP server sent no answer to the request (HTTP 202 Accepted)",
    "ran+drop": REFUSED["drop"],
    "ran+text": "the upstream MCP server sent an answer that is not a JSON-RPC message",
}
# What the audit log says, and whether the server took (and ran) the call. Only a refusal that
# says the server did not take the message (a 4xx, 501, 503) is `error` and refunded; a POST
# the server took, or may have, is `lost` and keeps its charge, since its tool may have run.
OUTCOME = {"400": ("error", False), "413": ("error", False), "500": ("lost", False),
           "drop": ("lost", False), "cut": ("lost", True), "short": ("lost", True),
           "invalid": ("lost", True), "bad": ("lost", True), "ran+500": ("lost", True), "ran+502": ("lost", True),
           "ran+202": ("lost", True), "ran+drop": ("lost", True), "ran+text": ("lost", True)}


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
    """Before, every one of these was refunded, so a server (or a proxy in front of it) that
    ran the tool and then failed the POST (`ran+...`, `cut`, `short`, `invalid`) ran 4 calls
    under a limit of 3 an hour, and as many more as the agent asked."""
    outcome, taken = OUTCOME[how]
    refunded = outcome == "error"
    with refusing_gateway(tmp_path, server=SERVER, REFUSE=f"2={how}") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        text, took = echo(client, 2)
        assert text == SAID[how]
        assert took < FAST
        assert echo(client, 3)[0] == "ran echo 3"
        if refunded:
            assert echo(client, 4)[0] == "ran echo 4"  # the failed call was refunded: room for this one
        assert echo(client, 5)[0].startswith("[POLICY DENIED] rate limit 3 per hour reached")
        assert client.process.poll() is None
    # The server's side: what it took ran once; never more runs than the limit allows.
    assert received(tmp_path) == [(1, True), (2, taken), (3, True)] + [(4, True)] * refunded
    assert sum(took for _, took in received(tmp_path)) <= 3
    assert audited(tmp_path) == [("allowed", "ok"), ("allowed", outcome), ("allowed", "ok")] + \
        [("allowed", "ok")] * refunded + [("denied", None)]
    said = said_in_log(tmp_path)
    assert len(said) == 1 and "tools/call" in said[0], said


@pytest.mark.parametrize("how", ["503", "drop"])
def test_a_server_that_fails_every_post_from_then_on_fails_each_call_at_once(tmp_path: Path, how: str) -> None:
    """A 503 says the server did not take the message: each call is refunded, none of them is
    a rate-limit denial. A dropped connection may have come after the tool ran: each keeps its
    charge, so once the limit is used the calls are denied without being posted."""
    sent = 4 if how == "503" else 2
    with refusing_gateway(tmp_path, server=SERVER, REFUSE_FROM=f"2={how}") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        for n in (2, 3, 4, 5):
            text, took = echo(client, n)
            if n - 1 <= sent:
                assert text == SAID.get(how, "the upstream MCP server refused the request with HTTP 503 (Service Unavailable)")
            else:
                assert text.startswith("[POLICY DENIED] rate limit 3 per hour reached")
            assert took < FAST
        assert client.process.poll() is None
    assert received(tmp_path) == [(1, True)] + [(n, False) for n in range(2, 2 + sent)]
    outcome = "lost" if how == "drop" else "error"
    assert audited(tmp_path) == [("allowed", "ok")] + [("allowed", outcome)] * sent + [("denied", None)] * (4 - sent)
    assert len(said_in_log(tmp_path)) == sent


def test_a_server_that_goes_away_fails_each_call_at_once(tmp_path: Path) -> None:
    """The server exits while a POST waits: that call and every later one fail at once, and the
    gateway stays up. The call whose connection closed once sent is `lost` (its charge kept:
    the server may have run it before going); the later ones find no server (`unavailable`,
    refunded: never sent)."""
    with refusing_gateway(tmp_path, server=SERVER, REFUSE="2=exit") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        assert echo(client, 2)[0] == REFUSED["drop"]
        # Gone for good: a call sent while the process is still ending may reach its closing
        # socket, and fail as a dropped connection instead (a `lost` call, its charge kept).
        assert client.upstream is not None
        client.upstream.wait(timeout=10)
        for n in (3, 4):
            text, took = echo(client, n)
            assert text == "the upstream MCP server is unavailable (the connection to it failed)"
            assert took < FAST
        assert client.process.poll() is None
    assert received(tmp_path) == [(1, True), (2, False)]
    assert audited(tmp_path) == [("allowed", "ok"), ("allowed", "lost")] + [("allowed", "unavailable")] * 2
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


@pytest.mark.parametrize("server", ["http", "sse"])
def test_a_server_error_of_code_32000_fails_its_call_only(tmp_path: Path, server: str) -> None:
    """A JSON-RPC error of code -32000 (the first implementation-defined server error, which
    many servers send for any failure) is the server's answer to that call: refunded as the
    server's errors are, and the server serves on. The SDK gives a closed connection the same
    code, and the gateway took every such error for the end of the connection: the server was
    unavailable for good after one failed tool call."""
    with refusing_gateway(tmp_path, server=SERVER if server == "http" else SSE_SERVER, REFUSE="2=error") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        assert echo(client, 2)[0] == "the tool failed"
        assert echo(client, 3)[0] == "ran echo 3"
        assert echo(client, 4)[0] == "ran echo 4"
        assert echo(client, 5)[0].startswith("[POLICY DENIED] rate limit 3 per hour reached")
        assert client.process.poll() is None
    assert received(tmp_path) == [(1, True), (2, True), (3, True), (4, True)]
    assert audited(tmp_path) == [("allowed", "ok"), ("allowed", "error"), ("allowed", "ok"), ("allowed", "ok"),
                                 ("denied", None)]
    assert said_in_log(tmp_path) == []


# A call at most once an hour: a call that keeps its charge leaves no room for another.
ONCE = {"version": "1", "default": "allow",
        "tools": {"echo": {"limits": [{"counter": "echo", "window": "hour", "max": 1}]}}}


@pytest.mark.parametrize(
    "how", ["both", "stream+both", "both+escaped", "stream+both+escaped", "both+null", "stream+both+null",
            "both+odd", "stream+both+odd"])
def test_a_result_beside_an_error_keeps_its_charge(tmp_path: Path, how: str) -> None:
    """The server runs the tool and answers the POST (an `application/json` body, or the one
    event of a `text/event-stream` body) with a result beside an error, its key `result`
    spelled plainly or with a JSON escape, or a result that is null (`both+null`): the call is
    `invalid` as over stdio and legacy SSE, its charge kept, and under a limit of 1 the next
    call is denied and never posted. Before, the MCP SDK read the answer as its error alone:
    the call was audited `error` and refunded, and a server answering that way ran past every
    rate limit; `both+null` the gateway went on reading so once `both` was caught, a null
    result counting as absent; `both+odd` (a result beside `"error": 5`, no error object) the
    SDK read as its result alone, the call `ok` where over stdio it is `invalid`."""
    with refusing_gateway(tmp_path, server=SERVER, policy=ONCE, REFUSE=f"1={how}") as client:
        first_call_is_invalid_and_charged(client)
    the_server_ran_it_once_and_it_is_audited_invalid(tmp_path)


def first_call_is_invalid_and_charged(client: RawClient, wait: float = FAST) -> None:
    """`echo 1` is answered at once as an invalid result, and under ONCE (its charge kept)
    `echo 2` is denied; the gateway runs on."""
    text, took = echo(client, 1, wait)
    assert text == "the upstream MCP server sent an invalid result"
    assert took < FAST
    assert echo(client, 2)[0].startswith("[POLICY DENIED] rate limit 1 per hour reached")
    assert client.process.poll() is None


def the_server_ran_it_once_and_it_is_audited_invalid(tmp_path: Path) -> None:
    """What the server received (the one call, never the denied one), the audit and the log."""
    assert received(tmp_path) == [(1, True)]
    assert audited(tmp_path) == [("allowed", "invalid"), ("denied", None)]
    said = said_in_log(tmp_path)
    assert len(said) == 1 and "invalid result" in said[0] and "tools/call" in said[0], said


@pytest.mark.parametrize("how", ["quoted", "stream+quoted"])
def test_an_error_that_quotes_the_word_result_is_refunded(tmp_path: Path, how: str) -> None:
    """An error alone whose text holds `"result"` (in its data) is the server's refusal, read
    again and found to be one: refunded, so the next call under a limit of 1 runs."""
    with refusing_gateway(tmp_path, server=SERVER, policy=ONCE, REFUSE=f"1={how}") as client:
        assert echo(client, 1)[0] == "the tool failed"
        assert echo(client, 2)[0] == "ran echo 2"
        assert client.process.poll() is None
    assert received(tmp_path) == [(1, True), (2, True)]
    assert audited(tmp_path) == [("allowed", "error"), ("allowed", "ok")]
    assert said_in_log(tmp_path) == []
