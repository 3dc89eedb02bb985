"""A request the server makes outside any call is not handed to another grant's client,
checked from the server's side.

An HTTP gateway whose `--tokens` name several grants serves them all through one server. A
server asks its client things (sampling, elicitation, roots) during a call, and sometimes
after it, from a background task: on behalf of a call some grant made earlier, or of nobody.
The gateway gave such a request to the only client connected, whatever its grant, so grant
bob was asked to sample grant alice's ledger. Now, with several grants, a request that comes
with no call of a connected client in progress is answered with an error saying it cannot
be relayed and why, the gateway's log says so (without the request's text, fewer lines in a
flood), and no client gets it; `ping` is answered by the gateway as before. With one grant it
goes to the only client, as before.

The server is `tests/servers/recording/asking_server.py`, started as a command: on SIGUSR1,
from outside any request, it sends a ping, a sampling, an elicitation and a roots request, and
records each answer it gets. The clients are the mcp SDK's.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as types
import pytest
from gateway_support import RECORDING, http_gateway, until
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from test_gateway_http_logs import ALICE, BOB, _options

pytestmark = pytest.mark.filterwarnings("ignore:The roots capability is deprecated")

REFUSED_LINE = "request: several grants share the server, and it came with no call of a client connected in progress"
ASKED = ("sampling", "elicitation", "roots")


class Asked:
    """One client's side of the server's requests: answers each and records which were asked,
    and the tool-list changes it was sent."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.list_changes = 0

    async def sampling(self, context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        self.asked.append("sampling")
        return types.CreateMessageResult(role="assistant", content=types.TextContent(type="text", text="a summary"),
                                         model="test-model", stop_reason="endTurn")

    async def elicitation(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.asked.append("elicitation")
        return types.ElicitResult(action="accept", content={"ok": True})

    async def roots(self, context: Any) -> types.ListRootsResult:
        self.asked.append("roots")
        return types.ListRootsResult(roots=[types.Root(uri="file:///work/bob", name="bob")])

    async def handle(self, message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            self.list_changes += 1


@asynccontextmanager
async def _client(url: str, token: str, asked: Asked) -> AsyncIterator[Any]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(60))
    async with http, Client(streamable_http_client(url, http_client=http), mode="legacy", read_timeout_seconds=60,
                            message_handler=asked.handle, sampling_callback=asked.sampling,
                            elicitation_callback=asked.elicitation, list_roots_callback=asked.roots) as client:
        yield client


def _command(tmp: Path) -> list[str]:
    return [sys.executable, str(RECORDING / "asking_server.py"), str(tmp / "record.jsonl")]


def _record(tmp: Path) -> list[dict[str, Any]]:
    path = tmp / "record.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _answers(tmp: Path) -> dict[str, dict[str, Any]]:
    """What the server got back for each of its requests, by the request's id."""
    return {line["id"]: line for line in _record(tmp) if "id" in line}


async def _stream_open(client: Any, asked: Asked) -> None:
    """Wait until the client's session stream (where a request outside any call goes) is open:
    a tool-list change the server sends reaches the client only there."""
    for _ in range(30):
        await client.call_tool("announce", {})
        try:
            await until(lambda: asked.list_changes > 0, 1)
            return
        except AssertionError:
            continue
    raise AssertionError("the client's session stream never opened")


async def _server_asks(tmp: Path, n: int) -> dict[str, dict[str, Any]]:
    """Make the server ask its Nth round of requests, from outside any call, and wait until it
    has an answer to each: the answers, by kind."""
    pid = _record(tmp)[0]["pid"]
    os.kill(pid, signal.SIGUSR1)
    ids = {kind: f"{kind}-{n}" for kind in ("ping", *ASKED)}
    await until(lambda: set(ids.values()) <= set(_answers(tmp)), 30)
    answers = _answers(tmp)
    return {kind: answers[ident] for kind, ident in ids.items()}


async def test_several_grants_a_servers_request_outside_any_call_reaches_no_client(tmp_path: Path) -> None:
    rounds = 7  # 21 requests refused: 20 lines of their own, the last one summed up
    with http_gateway(_options(tmp_path, {ALICE: "alice", BOB: "bob"}), _command(tmp_path),
                      tmp_path / "gateway.log") as gw:
        alice_side = Asked()
        async with _client(gw.url, ALICE, alice_side) as alice:
            assert not (await alice.call_tool("work", {})).is_error  # alice's call, answered; alice leaves
        bob_side = Asked()
        async with _client(gw.url, BOB, bob_side) as bob:
            await _stream_open(bob, bob_side)
            for n in range(1, rounds + 1):
                answers = await _server_asks(tmp_path, n)
                assert answers["ping"] == {"id": f"ping-{n}", "result": {}}, answers["ping"]
                for kind in ASKED:
                    error = answers[kind].get("error")
                    assert error is not None, (f"the server's {kind} request outside any call was answered by "
                                               f"the client of grant bob: {answers[kind]}")
                    assert error["code"] == -32600
                    assert "cannot be relayed: several grants share the server and no client connected has a " \
                           "call in progress" in error["message"], error
            assert bob_side.asked == [] and alice_side.asked == []
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert log.count(REFUSED_LINE) == 20, log
    for method in ("sampling/createMessage", "elicitation/create", "roots/list"):
        assert f"refused the server's {method} {REFUSED_LINE}" in log, log
    assert ("refused 1 more requests of the server that came with no call in progress in the last 60 s, "
            "not logged one by one") in log, log
    assert "alice-private-ledger" not in log


async def test_one_grant_a_servers_request_outside_any_call_goes_to_the_only_client(tmp_path: Path) -> None:
    with http_gateway(_options(tmp_path, {ALICE: "alice", BOB: "alice"}), _command(tmp_path),
                      tmp_path / "gateway.log") as gw:
        asked = Asked()
        async with _client(gw.url, BOB, asked) as client:
            await _stream_open(client, asked)
            answers = await _server_asks(tmp_path, 1)
    assert answers["ping"] == {"id": "ping-1", "result": {}}
    assert sorted(asked.asked) == sorted(ASKED)
    assert answers["sampling"]["result"]["content"]["text"] == "a summary"
    assert answers["elicitation"]["result"] == {"action": "accept", "content": {"ok": True}}
    assert answers["roots"]["result"]["roots"] == [{"uri": "file:///work/bob", "name": "bob"}]
    assert REFUSED_LINE not in (tmp_path / "gateway.log").read_text(encoding="utf-8")


@pytest.mark.parametrize("grants", ["two", "one"])
async def test_a_servers_request_during_one_clients_call_after_another_grants_call(tmp_path: Path,
                                                                                   grants: str) -> None:
    """Bob's grant has had a call served; the server then asks while alice's call is the only
    one in progress. Over stdio nothing in the server's request says which call it is for: it
    may come from a background task of bob's earlier call, and alice would be asked to sample
    bob's ledger. With two grants it is relayed to nobody (an error saying why, one log line);
    with one grant (alice and bob two tokens of it) it goes to alice, whose call is in progress,
    as before."""
    tokens = {ALICE: "alice", BOB: "bob" if grants == "two" else "alice"}
    with http_gateway(_options(tmp_path, tokens), _command(tmp_path), tmp_path / "gateway.log") as gw:
        bob_side, alice_side = Asked(), Asked()
        async with _client(gw.url, BOB, bob_side) as bob:
            assert not (await bob.call_tool("work", {})).is_error
        async with _client(gw.url, ALICE, alice_side) as alice:
            waiting = asyncio.ensure_future(alice.call_tool("wait", {}))
            await until(lambda: {"tool": "wait"} in _record(tmp_path), 15)
            answers = await _server_asks(tmp_path, 1)
            assert not (await waiting).is_error
    assert answers["ping"] == {"id": "ping-1", "result": {}}
    assert bob_side.asked == []
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    if grants == "one":
        assert sorted(alice_side.asked) == sorted(ASKED)
        assert answers["sampling"]["result"]["content"]["text"] == "a summary"
        assert "cannot tell whose" not in log, log
        return
    assert alice_side.asked == [], "alice was asked what may be a request for bob's earlier call"
    for kind in ASKED:
        error = answers[kind].get("error")
        assert error is not None and error["code"] == -32600, answers[kind]
        assert error["message"].endswith("cannot be relayed: several grants have sent the server requests, and "
                                         "nothing in a request of a server started as a command says for which "
                                         "grant's call it is"), error
    assert ("refused the server's sampling/createMessage request: several grants have sent the server requests, "
            "so the gateway cannot tell whose it is") in log, log
    assert "alice-private-ledger" not in log
