"""A server's tool list over the size limit of one message (64 MiB) ends the listing in one
sentence, with the listing's memory bounded and the server stopped: the installed `policytui
tools` against the project's hostile servers (real processes), over stdio and over HTTP, and a
live connection (the MCP SDK's path) over stdio. Also how an HTTP body is counted."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx2
import pytest
from discovery_support import MISBEHAVING, PYTHON, assert_all_gone, pids_in, script

from policytui.discovery import DiscoveryError, open_connection, resolve_target
from policytui.discovery.http_limit import BoundedBody, MessageTooLarge

POLICYTUI = str(Path(sys.executable).parent / "policytui")
LIMIT = 64 << 20  # policytui.discovery.limits.MAX_SERVER_MESSAGE_BYTES
# What `policytui tools` holds besides the message: the interpreter, the SDK over HTTP.
OWN_MEMORY = 96 << 20


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
    finished = subprocess.run(
        [PYTHON, "-c", MEASURE, str(peak), POLICYTUI, *args], cwd=tmp_path, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=seconds,
        env={**os.environ, "HOME": str(tmp_path / "home"), "POLICYTUI_CONFIG_DIR": str(tmp_path / "config")},
    )
    return finished.returncode, finished.stderr, int(peak.read_text()) * 1024


@pytest.fixture()
def huge_listing_server() -> Iterator[str]:
    """tests/servers/misbehaving/huge_http.py answering tools/list with 200 MB: its URL."""
    server = subprocess.Popen(
        [PYTHON, str(MISBEHAVING / "huge_http.py")], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "HUGE_LISTING": "1", "HUGE_REPLY_MB": "200"},
    )
    assert server.stdout is not None
    port = int(server.stdout.readline())
    yield f"http://127.0.0.1:{port}/mcp"
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
        "policytui tools: Server 'env' sent a message larger than 64 MiB (the limit) while answering "
        "tools/list; it was stopped."]
    assert peak < LIMIT + OWN_MEMORY, f"the listing peaked at {peak >> 20} MiB"
    assert_all_gone(pids_in(pids))


@pytest.mark.skipif(sys.platform == "win32", reason="measures memory with getrusage")
def test_an_http_tool_list_over_the_limit_is_one_sentence_in_bounded_memory(
    tmp_path: Path, huge_listing_server: str
) -> None:
    code, stderr, peak = run_measured(["tools", huge_listing_server], tmp_path)
    assert code == 1
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines() == [
        "policytui tools: Server '127.0.0.1' sent a message larger than 64 MiB (the limit) while "
        "answering tools/list; the connection was closed."]
    assert peak < LIMIT + OWN_MEMORY, f"the listing peaked at {peak >> 20} MiB"


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


async def _read(chunks: list[bytes], content_type: str, limit: int) -> tuple[bytes, list[str], bool]:
    """What a BoundedBody of `limit` passes on, the refusals it reported, whether it closed."""
    inner = _Chunks(chunks)
    refused: list[str] = []
    body = BoundedBody(inner, httpx2.Headers({"content-type": content_type}), limit, refused.append)
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


async def test_a_plain_body_is_bounded_whole_and_a_compressed_one_is_refused() -> None:
    got, refused, closed = await _read([b"{}\n\n"] * 5, "application/json", limit=16)
    assert got == b"{}\n\n" * 4 and refused == ["sent a message larger than 16 bytes (the limit)"] and closed
    inner = _Chunks([b"\x1f\x8b"])
    refused = []
    headers = httpx2.Headers({"content-type": "application/json", "content-encoding": "gzip"})
    with pytest.raises(MessageTooLarge, match="compressed"):
        async for _ in BoundedBody(inner, headers, 16, refused.append):
            pass
    assert inner.closed
