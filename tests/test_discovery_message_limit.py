"""A server's tool list over the size limit of one message (64 MiB) ends the listing in one
sentence, with the listing's memory bounded and the server stopped: the installed `policytui
tools` against the project's hostile servers (real processes), over stdio, Streamable HTTP and
legacy SSE, compressed or not, and a live connection (the MCP SDK's path) over stdio. Also how
an HTTP body is counted, and decoded."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import subprocess
import sys
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx2
import pytest
from discovery_support import MISBEHAVING, PYTHON, assert_all_gone, pids_in, script

from policytui.discovery import DiscoveryError, open_connection, resolve_target
from policytui.discovery.http_limit import BoundedBody, MessageTooLarge, bound_bodies

POLICYTUI = str(Path(sys.executable).parent / "policytui")
LIMIT = 64 << 20  # policytui.discovery.limits.MAX_SERVER_MESSAGE_BYTES
UNDECODABLE_WORDS = "sent a compressed message that could not be decoded (only gzip and deflate are read)"
# What `policytui tools` holds besides the message: the interpreter, the SDK over HTTP, and
# what a read past the limit holds before it is refused. Measured at 73-87 MiB over the limit on
# a quiet machine and up to 104 MiB on a loaded one (a busier reader takes bigger chunks); a
# listing read whole (the 200 MiB answers here) would exceed the bound by far.
OWN_MEMORY = 128 << 20


# Runs a command and writes down its peak memory. A child of the test run would inherit the
# test run's own peak (kept across exec), so the command is started from this small process.
MEASURE = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
    "sys.exit(code)"
)


def run_measured(args: list[str], tmp_path: Path, seconds: float = 60) -> tuple[int, str, int]:
    """Run the installed command: (exit code, its standard error, its peak resident memory in
    bytes, counting every process it waited for)."""
    peak = tmp_path / "peak.txt"
    code, _, stderr = _run(tmp_path, [PYTHON, "-c", MEASURE, str(peak), POLICYTUI, *args], seconds)
    return code, stderr, int(peak.read_text()) * 1024


def run_tools(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run the installed command: (exit code, its standard output, its standard error)."""
    return _run(tmp_path, [POLICYTUI, *args], 60)


def _run(tmp_path: Path, command: list[str], seconds: float) -> tuple[int, str, str]:
    finished = subprocess.run(
        command, cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=seconds,
        env={**os.environ, "HOME": str(tmp_path / "home"), "POLICYTUI_CONFIG_DIR": str(tmp_path / "config")},
    )
    return finished.returncode, finished.stdout, finished.stderr


@contextlib.contextmanager
def huge_http_server(**env: str) -> Iterator[str]:
    """tests/servers/misbehaving/huge_http.py with `env`, listening: its Streamable HTTP URL
    (its legacy SSE one ends in /sse instead)."""
    server = subprocess.Popen(
        [PYTHON, str(MISBEHAVING / "huge_http.py")], stdout=subprocess.PIPE, text=True,
        env={**os.environ, **env},
    )
    assert server.stdout is not None
    try:
        yield f"http://127.0.0.1:{int(server.stdout.readline())}/mcp"
    finally:
        server.kill()
        server.wait(timeout=10)


@pytest.mark.skipif(sys.platform == "win32", reason="measures memory with getrusage")
def test_a_stdio_tool_list_over_the_limit_is_one_sentence_in_bounded_memory(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    command = ["env", "HUGE_LISTING=1", "HUGE_REPLY_MB=200", f"MISBEHAVING_PIDFILE={pids}",
               PYTHON, str(MISBEHAVING / "hostile_tools.py")]
    code, stderr, peak = run_measured(["tools", "--", *command], tmp_path)
    assert code == 1
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines() == [
        "policytui tools: server 'hostile_tools.py' sent a message larger than 64 MiB (the limit) while answering "
        "tools/list; it was stopped."]
    assert peak < LIMIT + OWN_MEMORY, f"the listing peaked at {peak >> 20} MiB"
    assert_all_gone(pids_in(pids))


@pytest.mark.skipif(sys.platform == "win32", reason="measures memory with getrusage")
@pytest.mark.parametrize(("sse", "encoding"), [(False, ""), (False, "gzip"), (True, ""), (True, "deflate")])
def test_an_http_tool_list_over_the_limit_is_one_sentence_in_bounded_memory(
    tmp_path: Path, sse: bool, encoding: str
) -> None:
    """200 MiB of tools/list answer, as it is or compressed to a few hundred kilobytes (counted
    as it unpacks), in one body or one event of the legacy transport's stream."""
    with huge_http_server(HUGE_LISTING="1", HUGE_REPLY_MB="200", ENCODING=encoding) as url:
        target = ["--sse", url.replace("/mcp", "/sse")] if sse else [url]
        code, stderr, peak = run_measured(["tools", *target], tmp_path)
    assert code == 1
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines() == [
        "policytui tools: server '127.0.0.1' sent a message larger than 64 MiB (the limit) while "
        "answering tools/list; the connection was closed."]
    assert peak < LIMIT + OWN_MEMORY, f"the listing peaked at {peak >> 20} MiB"


@pytest.mark.parametrize(("sse", "encoding"), [(False, "gzip"), (False, "deflate"), (True, "gzip")])
def test_a_server_that_compresses_every_answer_is_listed(tmp_path: Path, sse: bool, encoding: str) -> None:
    """A proxy compresses the answers though they were asked for uncompressed: they are read."""
    with huge_http_server(ENCODING=encoding) as url:
        target = ["--sse", url.replace("/mcp", "/sse")] if sse else [url]
        code, stdout, stderr = run_tools(tmp_path, "tools", "--json", *target)
    assert (code, stderr) == (0, "")
    assert [tool["name"] for tool in json.loads(stdout)["tools"]] == ["echo", "huge", "huge_event", "zipped"]


def test_a_server_answering_in_an_encoding_that_is_not_read_is_one_sentence(tmp_path: Path) -> None:
    with huge_http_server(ENCODING="x-squeeze") as url:
        code, stdout, stderr = run_tools(tmp_path, "tools", url)
    assert (code, stdout) == (1, "")
    assert stderr.strip().splitlines() == [
        "policytui tools: server '127.0.0.1' sent a compressed message that could not be decoded "
        "(only gzip and deflate are read) while answering initialize; the connection was closed."]


async def test_a_live_stdio_connection_refuses_a_tool_list_over_the_limit(tmp_path: Path) -> None:
    spec = resolve_target(command=script("hostile_tools.py"))
    spec.env = {"HUGE_LISTING": "1", "HUGE_REPLY_MB": "100", "MISBEHAVING_PIDFILE": str(tmp_path / "pids")}
    with pytest.raises(DiscoveryError) as info:
        async with open_connection(spec, timeout=20):
            pass
    assert info.value.message == (
        "Server 'hostile_tools.py' sent a message larger than 64 MiB (the limit) while answering "
        "tools/list; it was stopped.")
    assert_all_gone(pids_in(tmp_path / "pids"))


class _Chunks(httpx2.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


async def _read(
    chunks: list[bytes], content_type: str, limit: int, encoding: str = ""
) -> tuple[bytes, list[str], bool]:
    """What a BoundedBody of `limit` passes on, the refusals it reported, whether it closed."""
    inner = _Chunks(chunks)
    refused: list[str] = []
    headers = httpx2.Headers({"content-type": content_type, "content-encoding": encoding})
    body = BoundedBody(inner, headers, limit, refused.append)
    got = b""
    with contextlib.suppress(MessageTooLarge):
        async for chunk in body:
            got += chunk
    return got, refused, inner.closed


async def test_an_event_stream_is_bounded_per_event_however_its_ends_fall_in_chunks() -> None:
    small = [b"data: 1234\n\n", b"data: 12", b"34\r\n", b"\r\n", b"data: 1234\r", b"\r"] * 50
    got, refused, _ = await _read(small, "text/event-stream", limit=16)
    assert got == b"".join(small) and refused == []
    got, refused, closed = await _read([b"data: 1234", b"5678", b"9012\n\n"], "text/event-stream", limit=16)
    assert got == b"data: 12345678" and refused == ["sent a message larger than 16 bytes (the limit)"] and closed


async def test_a_plain_body_is_bounded_whole() -> None:
    got, refused, closed = await _read([b"{}\n\n"] * 5, "application/json", limit=16)
    assert got == b"{}\n\n" * 4 and refused == ["sent a message larger than 16 bytes (the limit)"] and closed


async def test_a_compressed_body_is_passed_on_decoded_and_counted_decoded() -> None:
    message = b'{"jsonrpc": "2.0"}'
    for encoding, packed in (("gzip", gzip.compress(message)), ("deflate", zlib.compress(message)),
                             ("gzip, deflate", zlib.compress(gzip.compress(message)))):
        assert await _read([packed[:5], packed[5:]], "application/json", 64, encoding) == (message, [], False)
    # 1 KiB that unpacks to 4 MiB: refused past 1 MiB, having passed on no more than that.
    bomb = gzip.compress(b"A" * (4 << 20))
    got, refused, closed = await _read([bomb], "application/json", 1 << 20, "gzip")
    assert len(got) <= 1 << 20 and refused == ["sent a message larger than 1 MiB (the limit)"] and closed
    # Per event in an event stream, as uncompressed.
    events = gzip.compress(b"data: 1234\n\n" * 1000)
    got, refused, _ = await _read([events], "text/event-stream", 16, "gzip")
    assert got == b"data: 1234\n\n" * 1000 and refused == []


@pytest.mark.parametrize("encoding", ["br", "x-squeeze", "gzip, x-squeeze", ", ".join(["gzip"] * 6)])
async def test_a_body_in_an_encoding_that_is_not_read_is_refused_unread(encoding: str) -> None:
    got, refused, closed = await _read([b"\x1f\x8b"], "application/json", 16, encoding)
    assert (got, refused, closed) == (b"", [UNDECODABLE_WORDS], True)


async def test_a_body_that_does_not_decode_is_refused() -> None:
    got, refused, closed = await _read([b"not gzip at all"], "application/json", 64, "gzip")
    assert (got, refused, closed) == (b"", [UNDECODABLE_WORDS], True)


async def test_the_hook_hands_httpx_the_body_decoded_once() -> None:
    """httpx decodes what its headers say is encoded: after the hook, nothing is."""
    packed = gzip.compress(b'{"a": 1}')
    response = httpx2.Response(200, headers={"content-encoding": "gzip", "content-length": str(len(packed)),
                                             "content-type": "application/json"}, stream=_Chunks([packed]))
    await bound_bodies(limit=64)(response)
    assert "content-encoding" not in response.headers and "content-length" not in response.headers
    assert await response.aread() == b'{"a": 1}'


async def test_only_the_transports_own_clients_lose_the_sdks_bound_on_an_event() -> None:
    """The legacy SSE transport lifts the SDK's 1 MiB bound on an event for its own clients,
    whose hook bounds events instead; any other client of the SDK in the process keeps it."""
    import mcp.client.sse

    import policytui.discovery.http  # noqa: F401 - installs the transport's event source

    event = b"data: " + b"A" * (2 << 20) + b"\n\n"

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=event)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(answer)) as client:
        async with mcp.client.sse.sse_within_origin(client, "http://127.0.0.1:9/sse") as source:
            with pytest.raises(httpx2.SSEError, match="limit"):
                async for _ in source:
                    pass
