"""`policytui serve` under hostile input, checked against the installed command: what a page,
a websocket client or a command line may send it, and what it must survive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_support import Served
from test_serve_access import open_editor


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(
        ["kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open"],
        cwd=tmp_path, env={"HOME": str(tmp_path)},
    )
    yield server
    assert server.stop() == 130, "".join(server.stderr)


async def test_malformed_websocket_messages_are_dropped_and_the_editor_stays(served: Served) -> None:
    """Whatever a websocket sends that is not one of the page's messages is dropped: the editor
    keeps running and the next message still reaches it."""
    import aiohttp

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        websocket = await open_editor(browser, served)
        assert (await websocket.receive(timeout=30)).type == aiohttp.WSMsgType.BINARY
        garbage = [
            "", "[]", "{}", "null", "[1]", '["stdin"]', '["stdin", 5]', "\x00\xff",
            '["resize", {"width": 1e308, "height": -1}]', '["resize", {"width": "80"}]',
            '["resize", {"width": 99999999999999999999999, "height": 99999999999999999999999}]',
            "[" * 100_000,  # nested too deep for the JSON reader: RecursionError, not ValueError
            '{"a":' * 100_000,
            "9" * 10_000,  # more digits than int() reads: ValueError
        ]
        for message in garbage:
            await websocket.send_str(message)
        await websocket.send_bytes(bytes(range(256)) * 40)
        await websocket.send_str(json.dumps(["ping", "still-here"]))
        while True:
            frame = await websocket.receive(timeout=30)
            assert frame.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), (
                f"the connection ended: {frame}; serve said: {''.join(served.stderr)}"
            )
            if frame.type == aiohttp.WSMsgType.TEXT and json.loads(frame.data) == ["pong", "still-here"]:
                break
        await websocket.close()
    assert "the editor connection ended" not in "".join(served.stderr)
