"""The gateway end to end over streamable HTTP: bearer tokens as grants, limits per grant."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from audit_support import outcome_lines
from gateway_support import start_http_gateway, stop
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

ALICE = "alice-token-0123456789abcdef"
BOB = "bob-token-0123456789abcdef00"

POLICY = {
    "version": "1",
    "default": "allow",
    "hide": ["get-env"],
    "tools": {
        "get-sum": {"limits": [{"counter": "sums", "window": "day", "max": 3}]},
        "get-annotated-message": {
            "limits": [{"counter": "annotated", "window": "day", "max": 10, "scope": "global"}]
        },
        "gzip-file-as-resource": {"action": "deny", "reason": "no files"},
    },
}


class Served:
    def __init__(self, process: subprocess.Popen[bytes], url: str, tmp: Path) -> None:
        self.process = process
        self.url = url
        self.tmp = tmp

    def audit_lines(self) -> list[dict[str, Any]]:
        return outcome_lines(self.tmp / "audit.jsonl")


def _start(tmp: Path, everything: Path) -> Served:
    (tmp / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    (tmp / "tokens.json").write_text(json.dumps({ALICE: "alice", BOB: "bob"}), encoding="utf-8")
    options = ["--policy", str(tmp / "policy.json"), "--tokens", str(tmp / "tokens.json"),
               "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl")]
    listening = start_http_gateway(options, [str(everything), "stdio"], tmp / "gateway.log")
    return Served(listening.process, listening.url, tmp)


def _stop(served: Served) -> int:
    return stop(served.process)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, everything: Path) -> Iterator[Served]:
    served = _start(tmp_path_factory.mktemp("http-gateway"), everything)
    yield served
    _stop(served)


@asynccontextmanager
async def client_for(url: str, token: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(60))
    transport = streamable_http_client(url, http_client=http)
    async with http, Client(transport, mode="legacy", read_timeout_seconds=60) as client:
        yield client


def _text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
JSON_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-known-token-at-all", f"Basic {ALICE}", "Bearer", f"Bearer {ALICE[:-1]}"],
)
def test_requests_without_a_known_token_get_401(served: Served, authorization: str | None) -> None:
    headers = dict(JSON_HEADERS)
    if authorization is not None:
        headers["authorization"] = authorization
    answer = httpx2.post(served.url, json=INITIALIZE, headers=headers, timeout=30)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert ALICE not in answer.text


def test_a_known_token_is_let_in(served: Served) -> None:
    answer = httpx2.post(
        served.url, json=INITIALIZE, headers={**JSON_HEADERS, "authorization": f"Bearer {BOB}"}, timeout=30
    )
    assert answer.status_code == 200


async def test_tools_and_calls_over_http(served: Served) -> None:
    async with client_for(served.url, ALICE) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        assert "get-env" not in names and "echo" in names
        assert _text(await client.call_tool("echo", {"message": "über"})) == "Echo: über"
        refused = await client.call_tool("gzip-file-as-resource", {})
        assert refused.is_error and _text(refused) == "[POLICY DENIED] no files"


async def test_limits_count_per_grant(served: Served) -> None:
    async with client_for(served.url, ALICE) as alice, client_for(served.url, BOB) as bob:
        alice_errors = [(await alice.call_tool("get-sum", {"a": 1, "b": 2})).is_error for _ in range(4)]
        bob_errors = [(await bob.call_tool("get-sum", {"a": 1, "b": 2})).is_error for _ in range(3)]
    assert alice_errors == [False, False, False, True]
    assert bob_errors == [False, False, False]
    sums = [(line["grant"], line["decision"]) for line in served.audit_lines() if line["tool"] == "get-sum"]
    assert sums.count(("alice", "allowed")) == 3 and sums.count(("alice", "denied")) == 1
    assert sums.count(("bob", "allowed")) == 3


async def test_fifty_concurrent_calls_from_two_grants_share_a_global_limit(served: Served) -> None:
    async with client_for(served.url, ALICE) as alice, client_for(served.url, BOB) as bob:
        calls = [
            (alice if i % 2 else bob).call_tool("get-annotated-message", {"messageType": "debug"})
            for i in range(50)
        ]
        results = await asyncio.gather(*calls)
    assert sum(not r.is_error for r in results) == 10
    assert sum(bool(r.is_error) for r in results) == 40
    lines = [line for line in served.audit_lines() if line["tool"] == "get-annotated-message"]
    assert {line["grant"] for line in lines} == {"alice", "bob"}
    assert sum(line["decision"] == "allowed" for line in lines) == 10


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rfind(")") + 2 :].split()[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to find the server process")
@pytest.mark.parametrize("how,code", [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_stopping_the_gateway_stops_its_server(tmp_path: Path, everything: Path, how: int, code: int) -> None:
    """A service manager's SIGTERM is a normal stop (0); ctrl+c exits 130, as every command."""
    served = _start(tmp_path, everything)
    children = _children(served.process.pid)
    assert children, "the gateway started no server process"
    assert stop(served.process, how) == code
    time.sleep(0.2)
    for child in children:
        assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def everything_over_http(everything: Path) -> Iterator[str]:
    """server-everything serving streamable HTTP on a free port; yields its URL."""
    port = _free_port()
    server = subprocess.Popen(
        [str(everything), "streamableHttp"], env={**os.environ, "PORT": str(port)},
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # it listens a moment after it starts
            try:
                httpx2.get(url, timeout=2)
                break
            except httpx2.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


async def test_an_http_server_behind_a_stdio_gateway(tmp_path: Path, everything_over_http: str) -> None:
    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    (tmp_path / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "policytui", "gateway", "--policy", str(tmp_path / "policy.json"), "--state-dir",
              str(tmp_path / "state"), "--log", str(tmp_path / "gateway.log"), "--timeout", "60",
              everything_over_http],
    )
    with open(tmp_path / "stderr.txt", "w") as errlog:  # noqa: ASYNC230 - a local file, opened once
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60) as client:
            assert "get-env" not in [t.name for t in (await client.list_tools()).tools]
            assert _text(await client.call_tool("get-sum", {"a": 20, "b": 22})) == "The sum of 20 and 22 is 42."
            assert (await client.call_tool("gzip-file-as-resource", {})).is_error


async def test_a_recording_never_holds_a_bearer_token_of_the_gateway(tmp_path: Path, everything: Path) -> None:
    """The tokens in --tokens are credentials: whoever reads one calls tools as its grant. An
    argument holding one (an agent pasting its own configuration) is recorded as redacted, as
    one holding the server's secrets is; the call itself still reaches the server as sent."""
    (tmp_path / "policy.json").write_text('{"version": "1", "default": "allow"}', encoding="utf-8")
    (tmp_path / "tokens.json").write_text(json.dumps({ALICE: "alice"}), encoding="utf-8")
    options = ["--policy", str(tmp_path / "policy.json"), "--tokens", str(tmp_path / "tokens.json"),
               "--state-dir", str(tmp_path / "state"), "--record", str(tmp_path / "calls.jsonl")]
    listening = start_http_gateway(options, [str(everything), "stdio"], tmp_path / "gateway.log")
    try:
        async with client_for(listening.url, ALICE) as client:
            echoed = _text(await client.call_tool("echo", {"message": f"my token is {ALICE}"}))
            assert echoed == f"Echo: my token is {ALICE}"
            assert _text(await client.call_tool("echo", {"message": "plain"})) == "Echo: plain"
    finally:
        stop(listening.process)
    recorded = (tmp_path / "calls.jsonl").read_text(encoding="utf-8")
    assert ALICE not in recorded
    assert [json.loads(line)["arguments"] for line in recorded.splitlines()] == [
        {"message": "[redacted]"}, {"message": "plain"},
    ]
