"""The pieces that let the stdio gateway serve a line in the callback that read it.

`LineFeed` frames what a pipe delivers and offers each line to a synchronous handler, keeping
the rest in order for a task; `tap_stdout` puts one under a real child process's stdout;
`jsonenc.encoder` and `wire.decoder` build the JSON encoder and scanner once. Each must behave
exactly as what it replaces: the same lines, the same order, the same bytes, the same refusals.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policytui.gateway import linefeed, wire
from policytui.gateway.jsonenc import encoder
from policytui.gateway.linefeed import LineFeed, tap_stdout


class _Pipe:
    """Stands for a read transport: records pausing and resuming."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def pause_reading(self) -> None:
        self.events.append("pause")

    def resume_reading(self) -> None:
        self.events.append("resume")


async def _collect(feed: LineFeed, count: int) -> list[bytes]:
    got: list[bytes] = []
    async for line in feed.lines():
        got.append(line)
        if len(got) == count:
            break
    return got


async def test_lines_are_split_on_the_newline_byte_alone_across_chunks() -> None:
    feed = LineFeed()
    offered: list[bytes] = []
    feed.on_line = lambda line: offered.append(line) or True
    for chunk in (b'{"a":\r1}\n{"b"', b':2}', b'\n\n{"c":3}\r\n', b"tail"):
        feed.feed_data(chunk)
    feed.feed_eof()
    assert offered == [b'{"a":\r1}', b'{"b":2}', b"", b'{"c":3}\r', b"tail"]
    assert await _collect(feed, 1) == []  # everything was taken; the end is the end


async def test_a_declined_line_holds_every_later_line_back_until_the_task_has_taken_it() -> None:
    feed = LineFeed()
    offered: list[bytes] = []

    def take(line: bytes) -> bool:
        offered.append(line)
        return line.startswith(b"quick")

    feed.on_line = take
    feed.feed_data(b"quick1\nslow1\nquick2\n")
    assert offered == [b"quick1", b"slow1"]  # quick2 waits behind slow1
    reader = feed.lines()
    assert await reader.__anext__() == b"slow1"
    feed.feed_data(b"quick3\n")  # the task still holds slow1: waits too
    assert offered == [b"quick1", b"slow1"]
    assert await reader.__anext__() == b"quick2"
    assert await reader.__anext__() == b"quick3"
    waiting = asyncio.ensure_future(reader.__anext__())
    await asyncio.sleep(0)  # the task is idle again: lines are offered at once
    feed.feed_data(b"quick4\n")
    assert offered == [b"quick1", b"slow1", b"quick4"]
    feed.feed_eof()
    with pytest.raises(StopAsyncIteration):
        await waiting


async def test_an_overlong_line_stands_as_one_marker_and_is_skipped_to_its_end() -> None:
    feed = LineFeed(limit=10, overlong=wire.OVERLONG)
    feed.on_line = lambda line: False
    feed.feed_data(b"x" * 8)
    feed.feed_data(b"y" * 8)  # over the limit mid-line: reported once, nothing kept
    feed.feed_data(b"z" * 30 + b"\nok\n" + b"w" * 11 + b"\n")
    feed.feed_eof()
    assert await _collect(feed, 10) == [wire.OVERLONG, b"ok", wire.OVERLONG]


async def test_reading_pauses_while_lines_pile_up_and_resumes_when_they_are_taken() -> None:
    feed = LineFeed()
    pipe = _Pipe()
    feed.set_transport(pipe)
    feed.on_line = lambda line: False
    feed.feed_data(b"m\n" * (linefeed.MAX_WAITING - 1))
    assert pipe.events == []
    feed.feed_data(b"m\n")
    assert pipe.events == ["pause"]
    taken = await _collect(feed, linefeed.MAX_WAITING // 2)
    assert len(taken) == linefeed.MAX_WAITING // 2 and pipe.events == ["pause", "resume"]


async def test_a_megabyte_of_waiting_lines_pauses_reading_too() -> None:
    feed = LineFeed()
    pipe = _Pipe()
    feed.set_transport(pipe)
    feed.on_line = lambda line: False
    feed.feed_data((b"a" * (linefeed.MAX_WAITING_BYTES // 2) + b"\n") * 3)
    assert pipe.events == ["pause"]


async def test_a_failing_pipe_reaches_the_task_and_a_failing_handler_does_not_stop_the_feed() -> None:
    feed = LineFeed()
    offered: list[bytes] = []

    def take(line: bytes) -> bool:
        offered.append(line)
        if line == b"bad":
            raise RuntimeError("a bug")
        return True

    feed.on_line = take
    feed.feed_data(b"bad\ngood\n")
    assert offered == [b"bad", b"good"]
    feed.set_exception(ConnectionResetError())
    with pytest.raises(ConnectionResetError):
        await _collect(feed, 1)


async def test_stop_ends_the_task_at_once() -> None:
    feed = LineFeed()
    feed.on_line = lambda line: False
    feed.feed_data(b"a\nb\n")
    feed.stop()
    assert await _collect(feed, 5) == []


@pytest.mark.parametrize("early", [True, False])
async def test_tap_stdout_reads_a_real_child_whatever_it_wrote_before_the_tap(early: bool) -> None:
    """What the child wrote before the tap (buffered in asyncio's reader, or read and not yet
    handed over) comes first, then the rest, then the end."""
    script = (
        "import sys, time\n"
        "sys.stdout.write('one\\ntw'); sys.stdout.flush(); time.sleep(0.3)\n"
        "sys.stdout.write('o\\n' + 'x' * 300000 + '\\nlast'); sys.stdout.flush()\n"
    )
    process = await anyio.open_process([sys.executable, "-c", script])
    try:
        if early:
            await asyncio.sleep(0.2)  # 'one\ntw' is in asyncio's reader by now
        offered: list[bytes] = []
        feed = tap_stdout(process, lambda line: offered.append(line) or line != b"one")
        assert feed is not None
        rest = [line async for line in feed.lines()]
        await process.wait()
    finally:
        await process.aclose()
    assert offered == [b"one", b"two", b"x" * 300000, b"last"] and rest == [b"one"]


async def test_a_server_the_tap_cannot_reach_is_read_through_anyios_stream(everything: Any, monkeypatch: Any) -> None:
    """Should asyncio's internals ever move, `tap_stdout` finds nothing to tap: the server's
    output then reaches the same feed through anyio's stream, answers and all."""
    from policytui.discovery.spec import ServerSpec
    from policytui.gateway import upstream_stdio

    monkeypatch.setattr(upstream_stdio, "tap_stdout", lambda process, on_line, **limits: None)
    upstream = upstream_stdio.StdioUpstream(
        ServerSpec(name="everything", transport="stdio", command=str(everything), args=["stdio"]), call_timeout=30
    )
    answers: list[Any] = []
    async with anyio.create_task_group() as tg:
        await upstream.start(tg)
        result = await upstream.request("tools/call", {"name": "echo", "arguments": {"message": "through"}})
        upstream.relay_now({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                            "params": {"name": "echo", "arguments": {"message": "inline"}}}, answers.append)
        with anyio.fail_after(20):
            while not answers:
                await asyncio.sleep(0.01)
        upstream.stop()
    assert result["content"][0]["text"] == "Echo: through"
    response, line = answers[0]
    assert response["id"] == 7 and response["result"]["content"][0]["text"] == "Echo: inline"
    assert json.loads(line) == response


# JSON built once ---------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_json, st.booleans(), st.booleans())
def test_encoders_built_once_write_what_jsons_encoder_writes(value: Any, ascii_only: bool, sort: bool) -> None:
    for separators in ((",", ":"), (", ", ": ")):
        ours = encoder(ensure_ascii=ascii_only, separators=separators, sort_keys=sort)
        theirs = json.JSONEncoder(ensure_ascii=ascii_only, separators=separators, sort_keys=sort).encode
        assert ours(value) == theirs(value)


def test_encoders_built_once_refuse_what_jsons_encoder_refuses() -> None:
    strict = encoder(allow_nan=False)
    for bad in (math.nan, [math.inf], {"a": -math.inf}):
        with pytest.raises(ValueError):
            strict(bad)
    with pytest.raises(TypeError):
        encoder()({"a": object()})
    assert encoder(default=str, sort_keys=True)({"b": 1, "a": b"x"}) == '{"a": "b\'x\'", "b": 1}'
    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    with pytest.raises(RecursionError):
        encoder()(nested)


_texts = st.one_of(
    _json.map(json.dumps),
    st.text(alphabet=' \t\n\r{}[]":,0123456789.eE+-truefalsn\\ufeff', max_size=30),
)


@settings(max_examples=500, deadline=None)
@given(_texts)
def test_the_scanner_built_once_reads_and_refuses_as_json_loads(text: str) -> None:
    decode = wire.decoder(json.JSONDecoder())
    try:
        expected: Any = ("value", json.JSONDecoder().decode(text))
    except ValueError:
        expected = "refused"
    try:
        got: Any = ("value", decode(text))
    except ValueError:
        got = "refused"
    assert got == expected
