"""One client's `resources/unsubscribe` does not end another's subscription, and the last
follower's leaving ends the server's, checked from the server's side.

Every client of an HTTP gateway shares one server, which keeps one subscription to a resource
for all of them. A client's unsubscribe, forwarded while another client (of its grant or of
another) still followed the resource, stopped the server sending that other client its
updates: one grant could silence another's. Now the gateway answers such an unsubscribe itself
and forwards the last one. The server is the real server-everything started as a command behind
`tests/servers/recording/tee_stdin.py` (which copies every byte the server reads to a file);
its `toggle-subscriber-updates` tool sends an update for each subscribed resource at once,
then every 5 s.

A client that left without unsubscribing (an HTTP session deleted or expired, a stdio client
that closed its input) left the server's subscription alive once nobody followed the resource,
and the server went on sending updates nobody read. Now the gateway sends the unsubscribe when
the last follower leaves; a server that refuses it is logged, and the leaving goes on
(`tests/servers/recording/asking_server.py` refuses every unsubscribe).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from gateway_support import RECORDING, http_gateway, sdk_client, until
from test_gateway_http_logs import ALICE, BOB, _client, _options, _received_methods
from test_gateway_server_requests_between_grants import _command as asking_server
from test_gateway_server_requests_between_grants import _record as asking_record

pytestmark = pytest.mark.filterwarnings("ignore:resources/subscribe is removed",
                                        "ignore:resources/unsubscribe is removed")


class Updates:
    """The resources a client was told were updated, in order."""

    def __init__(self) -> None:
        self.uris: list[str] = []

    async def handle(self, message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            self.uris.append(str(message.params.uri))


async def test_one_grants_unsubscribe_does_not_end_anothers_updates(tmp_path: Path, everything: Path) -> None:
    command = [sys.executable, str(RECORDING / "tee_stdin.py"), str(tmp_path / "received.bin"), "--",
               str(everything), "stdio"]
    with http_gateway(_options(tmp_path, {ALICE: "alice", BOB: "bob"}), command, tmp_path / "gateway.log") as gw:
        alice, bob = Updates(), Updates()
        async with _client(gw.url, ALICE, alice) as a, _client(gw.url, BOB, bob) as b:
            uri = (await a.list_resources()).resources[0].uri
            await a.subscribe_resource(uri)
            await b.subscribe_resource(uri)
            await a.unsubscribe_resource(uri)  # answered: the client sees no failure
            assert "resources/unsubscribe" not in _received_methods(tmp_path), (
                "alice's unsubscribe reached the server while bob still followed the resource")
            assert not (await b.call_tool("toggle-subscriber-updates", {})).is_error
            # At once, then every 5 s: 15 s is three chances.
            await until(lambda: str(uri) in bob.uris, 15)
            await b.unsubscribe_resource(uri)  # the last one that follows it: forwarded
            await until(lambda: "resources/unsubscribe" in _received_methods(tmp_path), 15)
    assert _received_methods(tmp_path).count("resources/subscribe") == 2
    assert _received_methods(tmp_path).count("resources/unsubscribe") == 1


def _unsubscribed(tmp: Path) -> list[str]:
    """The resources the server was told to unsubscribe, in order."""
    raw = (tmp / "received.bin").read_bytes()
    messages = [json.loads(line) for line in raw.split(b"\n") if line.strip()]
    return [message["params"]["uri"] for message in messages if message.get("method") == "resources/unsubscribe"]


async def _until_unsubscribed(tmp: Path, count: int) -> None:
    try:
        await until(lambda: len(_unsubscribed(tmp)) >= count, 15)
    except AssertionError:
        raise AssertionError(f"the server was told to unsubscribe {_unsubscribed(tmp)}, not {count} resource(s), "
                             "once the clients following them left") from None


async def test_the_last_client_following_a_resource_leaving_ends_the_servers_subscription(
        tmp_path: Path, everything: Path) -> None:
    """A client that leaves without unsubscribing (its session deleted) left the server's one
    subscription alive once nobody followed the resource, and the server went on sending
    updates nobody read. Now the last follower's leaving is the last unsubscribe: the gateway
    sends it, once; a client leaving while another still follows sends nothing."""
    command = [sys.executable, str(RECORDING / "tee_stdin.py"), str(tmp_path / "received.bin"), "--",
               str(everything), "stdio"]
    with http_gateway(_options(tmp_path, {ALICE: "alice", BOB: "bob"}), command, tmp_path / "gateway.log") as gw:
        bob = Updates()
        async with _client(gw.url, BOB, bob) as b:
            async with _client(gw.url, ALICE, Updates()) as a:
                uri = str((await a.list_resources()).resources[0].uri)
                await a.subscribe_resource(uri)
                await b.subscribe_resource(uri)
            # Alice's session is deleted. What the gateway writes the server is read in order:
            # an unsubscribe sent for alice's leaving comes before bob's call.
            assert not (await b.call_tool("toggle-subscriber-updates", {})).is_error
            assert _unsubscribed(tmp_path) == [], "alice's leaving ended the subscription bob still follows"
            await until(lambda: uri in bob.uris, 15)
        # Bob's session is deleted: nobody follows the resource any more.
        await _until_unsubscribed(tmp_path, 1)
        async with _client(gw.url, ALICE, Updates()) as a:  # the gateway serves on
            assert not (await a.call_tool("toggle-subscriber-updates", {})).is_error
    assert _unsubscribed(tmp_path) == [uri]
    assert _received_methods(tmp_path).count("resources/subscribe") == 2
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert "could not end the server's subscription" not in log, log


async def test_a_stdio_client_that_leaves_ends_its_subscriptions_before_the_server_is_stopped(
        tmp_path: Path, everything: Path) -> None:
    command = [sys.executable, str(RECORDING / "tee_stdin.py"), str(tmp_path / "received.bin"), "--",
               str(everything), "stdio"]
    (tmp_path / "policy.json").write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    options = ["--policy", str(tmp_path / "policy.json"), "--state-dir", str(tmp_path / "state"),
               "--audit", str(tmp_path / "audit.jsonl")]
    async with sdk_client("stdio", "legacy", options, command, tmp_path / "gateway.log") as client:
        resources = (await client.list_resources()).resources
        first, second = str(resources[0].uri), str(resources[1].uri)
        await client.subscribe_resource(first)
        await client.subscribe_resource(second)
        await client.unsubscribe_resource(second)  # forwarded as it is asked
    await _until_unsubscribed(tmp_path, 2)
    assert _unsubscribed(tmp_path) == [second, first]


async def test_the_servers_error_for_the_unsubscribe_of_a_leaving_client_is_logged_and_serving_goes_on(
        tmp_path: Path) -> None:
    with http_gateway(_options(tmp_path, {ALICE: "alice", BOB: "bob"}), asking_server(tmp_path),
                      tmp_path / "gateway.log") as gw:
        async with _client(gw.url, ALICE, Updates()) as a:
            await a.subscribe_resource("note://ledger")
        # Alice's session is deleted (the client saw no error): the gateway unsubscribes.
        try:
            await until(lambda: {"method": "resources/unsubscribe", "uri": "note://ledger"} in asking_record(tmp_path), 15)
        except AssertionError:
            raise AssertionError("the server was never told to unsubscribe note://ledger once its one follower "
                                 "left") from None
        async with _client(gw.url, BOB, Updates()) as b:  # the gateway serves on
            assert not (await b.call_tool("work", {})).is_error
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert ("could not end the server's subscription to a resource no client follows any more: "
            "'no subscription to end'") in log, log
    assert "Traceback" not in log + (tmp_path / "gateway.log.stderr").read_text(encoding="utf-8")


async def test_a_client_that_leaves_while_its_subscribe_waits_ends_the_subscription_made(tmp_path: Path) -> None:
    """A client's session is deleted while the server is still subscribing it to a resource
    (the server answers that subscribe 2 s after it arrives). The server subscribes all the
    same; the client, gone, no longer follows anything, so once the subscribe is answered the
    gateway sends the server `resources/unsubscribe`, as for a follower that leaves. Before, the
    client was counted a follower only once its subscribe was answered, which came after it
    left: the server kept the subscription, and nothing ever ended it."""
    import httpx2

    with http_gateway(_options(tmp_path, {ALICE: "alice", BOB: "bob"}), asking_server(tmp_path),
                      tmp_path / "gateway.log") as gw:
        headers = {"Authorization": f"Bearer {ALICE}", "Content-Type": "application/json",
                   "Accept": "application/json, text/event-stream"}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            opened = await http.post(gw.url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "leaving", "version": "1"}}})
            session = {"Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-06-18"}
            await http.post(gw.url, headers=session, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
            subscribing = asyncio.ensure_future(http.post(gw.url, headers=session, json={
                "jsonrpc": "2.0", "id": 1, "method": "resources/subscribe", "params": {"uri": "note://slow"}}))
            await until(lambda: {"method": "resources/subscribe", "uri": "note://slow"} in asking_record(tmp_path), 15)
            assert (await http.delete(gw.url, headers=session)).status_code == 200  # while the server subscribes
            await asyncio.wait({subscribing}, timeout=15)
            subscribing.cancel()
        try:
            await until(lambda: {"method": "resources/unsubscribe", "uri": "note://slow"} in asking_record(tmp_path), 15)
        except AssertionError:
            raise AssertionError("the server subscribed a client that had left to note://slow, and was never told "
                                 f"to unsubscribe: {asking_record(tmp_path)}") from None
        async with _client(gw.url, BOB, Updates()) as b:  # the gateway serves on
            assert not (await b.call_tool("work", {})).is_error
    methods = [line["method"] for line in asking_record(tmp_path) if "method" in line]
    assert methods == ["resources/subscribe", "resources/unsubscribe"], methods
    assert "Traceback" not in (tmp_path / "gateway.log").read_text(encoding="utf-8")
