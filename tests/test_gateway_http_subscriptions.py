"""One client's `resources/unsubscribe` does not end another's subscription, checked from the
server's side.

Every client of an HTTP gateway shares one server, which keeps one subscription to a resource
for all of them. A client's unsubscribe, forwarded while another client (of its grant or of
another) still followed the resource, stopped the server sending that other client its
updates: one grant could silence another's. Now the gateway answers such an unsubscribe itself
and forwards the last one. The server is the real server-everything started as a command behind
`tests/servers/recording/tee_stdin.py` (which copies every byte the server reads to a file);
its `toggle-subscriber-updates` tool sends an update for each subscribed resource at once,
then every 5 s.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from gateway_support import RECORDING, http_gateway, until
from test_gateway_http_logs import ALICE, BOB, _client, _options, _received_methods

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
