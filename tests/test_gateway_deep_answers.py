"""A call a server answers with a result nested deeper than the gateway's JSON parser reads
(976 arrays and more: Python's parser gives up near its recursion limit, the MCP SDK's at 200)
fails at once, over every transport: the gateway finds the id the answer names without parsing
it whole, and that call is answered -32603 "the upstream MCP server sent an invalid result",
audited `invalid` with its charge kept (the server answered, so the tool ran). Judged from the
server's side: under a limit of 1 an hour, the next call is denied and never reaches it.

The servers are real processes: test_gateway_wire.py's scripted one over stdio (its `bad` tool
with `arguments.shape` `deep` nests `arguments.depth` arrays), `refusing_sse.py` over legacy SSE
and `refusing_http.py` over Streamable HTTP (HOW `deep:N`, the id the last member).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from gateway_support import until
from test_gateway_http_upstream_refusals import (
    ONCE,
    first_call_is_invalid_and_charged,
    the_server_ran_it_once_and_it_is_audited_invalid,
)
from test_gateway_http_upstream_refusals import SERVER as HTTP_SERVER
from test_gateway_invalid_result import INVALID, _bad_calls_received, _policy
from test_gateway_sse_refused_posts import SERVER as SSE_SERVER
from test_gateway_sse_refused_posts import refusing_gateway
from test_gateway_wire import _calls, wire

pytestmark = pytest.mark.usefixtures("one_window")

# A call time-out far beyond the wait for the answer: a call that waits it out fails the test.
LONG_CALL_TIMEOUT = "300"
ANSWER_WAIT = 60.0
FAST = 30.0


# 976: just past what the gateway's parser reads; 50,000: far past it (a reader that recursed
# would fail on it).
@pytest.mark.parametrize(("depth", "named"), [(976, True), (50_000, True), (976, False)])
async def test_over_stdio_a_deep_answer_fails_its_call_at_once_and_keeps_its_charge(
    tmp_path: Path, depth: int, named: bool
) -> None:
    """Before, the gateway skipped the line as it skips a banner on the server's output: the
    call waited the whole call time-out and was audited `timeout` only then. An answer that
    names no id (`named` false) can only be the answer of the one call waiting."""
    def call(request_id: int) -> str:
        return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {
            "name": "bad", "arguments": {"shape": "deep", "depth": depth, "named": named}}})

    async with wire(tmp_path, "--call-timeout", LONG_CALL_TIMEOUT, policy=_policy()) as client:
        await client.send(call(1))
        assert json.loads(await client.receive(ANSWER_WAIT)) == {"jsonrpc": "2.0", "id": 1, "error": INVALID}
        await client.send(call(2))
        denied: dict[str, Any] = json.loads(await client.receive())
        assert denied["result"]["content"][0]["text"].startswith("[POLICY DENIED] rate limit 1 per day reached")
        assert _bad_calls_received(client.upstream_log) == 1
    assert [(line["decision"], line.get("upstream")) for line in _calls(client.audit)] == [
        ("allowed", "invalid"), ("denied", None)]


async def test_over_stdio_a_deep_line_whose_string_never_closes_is_skipped_at_once(tmp_path: Path) -> None:
    """The server writes a line nested 976 arrays deep holding a string that never closes, a
    mebibyte of escaped quotes: no message at all, skipped as a banner is, and the call's own
    answer on the next line reaches the client at once. Before, the scan of the line's outer
    object tried a string again at each of its half a million quotes, each try reading to the
    end of the line: the gateway spent most of an hour on that one line, answering nothing."""
    async with wire(tmp_path, "--call-timeout", LONG_CALL_TIMEOUT, policy=_policy()) as client:
        await client.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "bad", "arguments": {"shape": "deep+unclosed"}}}))
        answer = json.loads(await client.receive(ANSWER_WAIT))
        assert answer["result"]["content"][0]["text"] == "answered after", answer
        assert _bad_calls_received(client.upstream_log) == 1
    assert [(line["decision"], line.get("upstream")) for line in _calls(client.audit)] == [("allowed", "ok")]


# 2,000: too deep to parse; 3: an answer read whole, whose id names no call waiting either.
@pytest.mark.parametrize("depth", [2000, 3])
async def test_over_stdio_an_answer_naming_a_call_answered_already_is_dropped(tmp_path: Path, depth: int) -> None:
    """The server answers the first call, and then, the second call sent, an answer naming
    the first call again before the second's own: the repeat is logged and dropped, and the
    second call gets its own answer. Before, an answer naming no call waiting failed the one
    call waiting: the second call was answered "invalid result" for the first call's repeat."""
    policy = {"version": "1", "default": "allow"}
    async with wire(tmp_path, "--call-timeout", LONG_CALL_TIMEOUT, policy=policy) as client:
        await client.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                      "params": {"name": "echo", "arguments": {}}}))
        assert "result" in json.loads(await client.receive(ANSWER_WAIT))
        await client.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "bad", "arguments": {"shape": "deep+again", "answered": 1, "depth": depth}}}))
        answer = json.loads(await client.receive(ANSWER_WAIT))
        assert answer.get("result", {}).get("content", [{}])[0].get("text") == "answered after", answer
    assert [(line["decision"], line.get("upstream")) for line in _calls(client.audit)] == [
        ("allowed", "ok"), ("allowed", "ok")]


@pytest.mark.parametrize(("server", "how"), [
    (SSE_SERVER, "deep:976"), (SSE_SERVER, "deep:50000"),
    (HTTP_SERVER, "deep:976"), (HTTP_SERVER, "deep:50000"), (HTTP_SERVER, "stream+deep:976"),
], ids=["sse-976", "sse-50000", "http-976", "http-50000", "http-stream-976"])
def test_over_http_a_deep_answer_fails_its_call_at_once_and_keeps_its_charge(
    tmp_path: Path, server: Path, how: str
) -> None:
    """Over legacy SSE the answer comes on the session's one event stream, where only the id
    it names ties it to its call. Before, the gateway's reader of that stream failed on it and
    ended the connection: the call, and every one after it, failed "the connection closed".
    Over Streamable HTTP the answer is its POST's own; before, it failed at once, but as an
    answer that is not JSON-RPC (`lost`), unlike the same answer over stdio and legacy SSE."""
    with refusing_gateway(tmp_path, "--call-timeout", LONG_CALL_TIMEOUT, server=server, policy=ONCE,
                          REFUSE=f"1={how}") as client:
        first_call_is_invalid_and_charged(client, ANSWER_WAIT)
    the_server_ran_it_once_and_it_is_audited_invalid(tmp_path)


async def test_over_stdio_the_gateway_answers_its_client_while_it_reads_a_huge_deep_answer(tmp_path: Path) -> None:
    """The server answers with 16 MiB of nested arrays, which the outer-object scan takes
    seconds to read; meanwhile the client's next call, one the policy denies (decided without
    the server), is answered at once. Before, the scan ran on the gateway's event loop, and
    that call was answered only after it."""
    policy = {"version": "1", "default": "allow", "tools": {"denied": {"action": "deny", "reason": "no"}}}
    async with wire(tmp_path, "--call-timeout", LONG_CALL_TIMEOUT, policy=policy) as client:
        await client.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "bad", "arguments": {"shape": "deep", "depth": 8_000_000, "named": True}}}))
        await until(lambda: _bad_calls_received(client.upstream_log) == 1, 60)
        # Pacing, not a wait for an outcome: the denied call should come while the gateway
        # scans the answer (the server writes it and the gateway reads it in a fraction of a
        # second, the scan takes seconds); sent earlier, it is answered first either way.
        await asyncio.sleep(0.5)
        await client.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "denied", "arguments": {}}}))
        first = json.loads(await client.receive(ANSWER_WAIT))
        second = json.loads(await client.receive(ANSWER_WAIT))
    assert first["id"] == 2 and first["result"]["isError"] is True, first
    assert second == {"jsonrpc": "2.0", "id": 1, "error": INVALID}
