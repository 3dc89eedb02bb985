"""The gateway in front of an HTTP server whose answers are over the size limit of one message
(64 MiB): `python -m policytui gateway URL` as an MCP client starts it, in front of
`tests/servers/misbehaving/huge_http.py`, a real process that streams 200 MB answers.

Over HTTP each answer is a body of its own, so an answer over the limit is tied to the request
it answers: that call fails (audited `too_large`), and the gateway goes on serving the others
(over stdio, where an overlong line cannot be tied to a request, the server is stopped instead).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from audit_support import parse_records
from test_gateway_hostile_server import RawClient, running_gateway

SERVER = Path(__file__).resolve().parent / "servers" / "misbehaving" / "huge_http.py"
LIMIT = 64 << 20  # policytui.discovery.limits.MAX_SERVER_MESSAGE_BYTES
TOO_LARGE = "the upstream MCP server sent a message larger than 64 MiB (the limit)"
ALLOW = {"version": "1", "default": "allow"}

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the peak memory from /proc")


@contextmanager
def huge_server(**env: str) -> Iterator[str]:
    """huge_http.py with 200 MB answers (unless told), listening: its URL."""
    server = subprocess.Popen(
        [sys.executable, str(SERVER)], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "HUGE_REPLY_MB": "200", **env},
    )
    assert server.stdout is not None
    try:
        yield f"http://127.0.0.1:{int(server.stdout.readline())}/mcp"
    finally:
        server.kill()
        server.wait(timeout=10)


def _command(tmp: Path, url: str, *options: str) -> list[str]:
    policy = tmp / "policy.json"
    policy.write_text(json.dumps(ALLOW), encoding="utf-8")
    return [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy), "--state", "memory://",
            *options, url]


@contextmanager
def gateway(tmp: Path, url: str, *options: str) -> Iterator[RawClient]:
    """The gateway over stdio in front of `url`, initialized; stopped when the block ends."""
    with running_gateway(tmp, _command(tmp, url, *options)) as client:
        yield client


def peak_memory(pid: int) -> int:
    """The most memory (resident, in bytes) the process has held so far: VmHWM."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def _outcomes(path: Path, tool: str) -> list[tuple[str, str]]:
    return [(r["decision"], r["upstream"]) for r in parse_records(path.read_text(encoding="utf-8"))
            if r.get("tool") == tool]


def _call_over_the_limit(tmp: Path, tool: str) -> None:
    """`tool` answers with 200 MB: its call alone fails, at once, in bounded memory, audited."""
    audit = tmp / "audit.jsonl"
    with huge_server() as url, gateway(tmp, url, "--audit", str(audit)) as client:
        assert client.call("echo") == "ran echo"
        before = peak_memory(client.process.pid)
        started = time.monotonic()
        answer: dict[str, Any] = client.request("tools/call", {"name": tool, "arguments": {}})
        assert time.monotonic() - started < 10
        grown = peak_memory(client.process.pid) - before
        assert grown < LIMIT + (32 << 20), f"the gateway grew by {grown >> 20} MiB"
        assert answer["error"]["message"] == TOO_LARGE
        assert client.call("echo") == "ran echo"  # the connection serves on
    assert _outcomes(audit, tool) == [("allowed", "sent"), ("allowed", "too_large")]
    assert _outcomes(audit, "echo")[-1] == ("allowed", "ok")
    log = (tmp / "stderr.txt").read_text(encoding="utf-8")
    assert log.count("larger than 64 MiB") == 1, log
    assert "Traceback" not in log


def test_a_json_answer_over_the_limit_fails_its_call_only_in_bounded_memory(tmp_path: Path) -> None:
    _call_over_the_limit(tmp_path, "huge")


def test_an_event_over_the_limit_fails_its_call_only_in_bounded_memory(tmp_path: Path) -> None:
    """One event of an event stream: before, any event over 1 MiB took the whole server down."""
    _call_over_the_limit(tmp_path, "huge_event")


def test_a_compressed_answer_is_refused_unread(tmp_path: Path) -> None:
    """The gateway asks for answers uncompressed: a compressed one could unpack to any size."""
    with huge_server() as url, gateway(tmp_path, url, "--no-audit") as client:
        assert client.call("zipped") == (
            "the upstream MCP server sent a compressed message, which is not read (its size cannot be bounded)")
        assert client.call("echo") == "ran echo"


def test_a_tool_list_over_the_limit_at_start_is_a_start_failure(tmp_path: Path) -> None:
    with huge_server(HUGE_LISTING="1") as url:
        finished = subprocess.run(
            _command(tmp_path, url, "--no-audit"),
            stdin=subprocess.PIPE, capture_output=True, timeout=60, check=False,
        )
    assert finished.returncode == 1
    assert finished.stdout == b""
    assert b"Traceback" not in finished.stderr
    assert finished.stderr.decode().strip().splitlines()[-1] == (
        "policytui gateway: Server '127.0.0.1' sent a message larger than 64 MiB (the limit) "
        "while answering tools/list; the connection was closed.")
