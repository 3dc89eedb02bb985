"""What the installed `policytui gateway` loads before it answers its client's first message.

Every MCP client window starts its own gateway over stdio, so the time from its start to the
answer of `initialize` is waited for on every new chat. Most of it is Python loading modules:
the MCP SDK's client and server (`mcp`, which loads whole whatever part is imported, with
httpx, starlette and uvicorn) cost about half a second, and a server started as a command is
spoken to in raw JSON-RPC lines without them. These tests pin what the real process loads
(Python's own `-X importtime` report, `PYTHONPROFILEIMPORTTIME=1`, which names each module as it
is loaded), not how long it takes: a time would fail on a busy machine and pass on a fast one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from gateway_support import RECORDING

pytestmark = pytest.mark.servers

MISBEHAVING = RECORDING.parent / "misbehaving"
POLICYTUI = str(Path(sys.executable).parent / "policytui")
# The MCP SDK, and the HTTP stack it brings: for servers reached over HTTP and for serving HTTP.
NOT_FOR_STDIO = ("mcp", "mcp.client", "mcp.server", "httpx2", "starlette", "sse_starlette", "uvicorn")


def _line(message: dict[str, object]) -> bytes:
    return json.dumps(message).encode() + b"\n"


def _loaded(stderr: str) -> list[str]:
    """The modules Python reported loading (`-X importtime` lines: `import time: self | cumulative | name`)."""
    return [line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:")]


def _served(tmp_path: Path, server: list[str], **env: str) -> tuple[list[dict[str, object]], str]:
    """Serve a client's initialize, a call and a call for a tool the server does not have
    through `policytui gateway -- SERVER`; the answers, and the gateway's standard error."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    requests = b"".join([
        _line({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
        _line({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        _line({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_flows", "arguments": {}}}),
        _line({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "no_such_tool", "arguments": {}}}),
    ])
    done = subprocess.run(
        [POLICYTUI, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
         "--audit", str(tmp_path / "audit.jsonl"), "--", *server],
        input=requests, capture_output=True, env={**os.environ, **env, "PYTHONPROFILEIMPORTTIME": "1"}, timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    return answers, done.stderr.decode("utf-8", "replace")


def test_a_gateway_in_front_of_a_server_started_as_a_command_never_loads_the_mcp_sdk_or_http(
        tmp_path: Path) -> None:
    """Before, the gateway loaded the SDK's client and server, httpx, starlette and uvicorn
    (about half a second of its start) for a server it speaks raw JSON-RPC lines to."""
    server = [sys.executable, str(RECORDING / "flows_server.py"), str(tmp_path / "executed.jsonl")]
    answers, stderr = _served(tmp_path, server)
    by_id = {answer["id"]: answer for answer in answers}
    assert by_id[0]["result"]["serverInfo"]["name"] == "flows-recording"  # type: ignore[index]
    assert "hello, nightly" in json.dumps(by_id[1]["result"])
    assert "Unknown tool" in json.dumps(by_id[2]["result"])
    assert [json.loads(line)["tool"] for line in (tmp_path / "executed.jsonl").read_text().splitlines()] == [
        "list_flows"]
    loaded = _loaded(stderr)
    assert "policytui.gateway.runner" in loaded and "mcp_types" in loaded  # the report is there
    assert [name for name in NOT_FOR_STDIO if name in loaded] == []


def test_a_server_that_answers_an_unknown_tool_with_an_error_loads_no_sdk_either(tmp_path: Path) -> None:
    """A server's JSON-RPC error (its answer to the gateway's probe at start, then given for
    every call of a tool it does not list) is passed on without the SDK's error class."""
    server = [sys.executable, str(MISBEHAVING / "paginating.py")]  # answers tools/call with an error
    answers, stderr = _served(tmp_path, server, CLEAN="1", TOOL_COUNT="3")
    by_id = {answer["id"]: answer for answer in answers}
    assert by_id[0]["result"]["serverInfo"]["name"] == "paginating"  # type: ignore[index]
    assert by_id[1]["error"] == {"code": -32601, "message": "no method tools/call"}
    assert by_id[2]["error"] == {"code": -32601, "message": "no method tools/call"}
    assert [name for name in NOT_FOR_STDIO if name in _loaded(stderr)] == []


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds:g} s: {what}"
        time.sleep(0.02)


def test_the_protocol_types_load_while_the_server_starts_not_before_it_is_started(tmp_path: Path) -> None:
    """The server is started as soon as the policy, the options and the state store are checked;
    what the rest of the start needs (the protocol's types, the relay) loads while the server
    starts, instead of before it (about a quarter of a second more for every start). Here the
    server is held before it reads anything until the gateway has loaded them.

    Before, the protocol's types were loaded before the server was started and their messages'
    forms (`mcp_types.methods`) only after it had answered."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    started, go = tmp_path / "started", tmp_path / "go"
    held = (f'touch "{started}"; while [ ! -e "{go}" ]; do sleep 0.02; done; '
            f'exec "{sys.executable}" "{RECORDING / "flows_server.py"}" "{tmp_path / "executed.jsonl"}"')
    stderr_path = tmp_path / "gateway.stderr"
    with open(stderr_path, "wb") as stderr:
        gateway = subprocess.Popen(
            [POLICYTUI, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
             "--audit", str(tmp_path / "audit.jsonl"), "--", "/bin/sh", "-c", held],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
            env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
        )
    try:
        assert gateway.stdin is not None and gateway.stdout is not None
        gateway.stdin.write(_line({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}))
        gateway.stdin.flush()
        _wait_for(started.exists, 60, "the server was started")

        def loaded() -> list[str]:
            return _loaded(stderr_path.read_text(encoding="utf-8", errors="replace"))

        _wait_for(lambda: {"mcp_types.methods", "policytui.gateway.relay"} <= set(loaded()), 20,
                  "the protocol's types and the relay loaded while the server is held")
        assert not (tmp_path / "executed.jsonl").exists()
        go.touch()
        answer = json.loads(gateway.stdout.readline())
        assert answer["result"]["serverInfo"]["name"] == "flows-recording"
        gateway.stdin.close()
        assert gateway.wait(timeout=60) == 0
    finally:
        go.touch()  # a held server left behind (a failure above) would wait for it for good
        if gateway.poll() is None:
            gateway.kill()
            gateway.wait()


def test_the_protocol_version_asked_of_the_server_is_the_sdks_latest() -> None:
    """Written out in the gateway so that its initialize goes before the protocol's types load."""
    from mcp_types.version import LATEST_HANDSHAKE_VERSION

    from policytui.gateway import upstream_stdio

    assert upstream_stdio.LATEST_HANDSHAKE_VERSION == LATEST_HANDSHAKE_VERSION
