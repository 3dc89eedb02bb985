"""The server's log messages and log level are not shared between grants, checked from the
server's side.

An HTTP gateway whose `--tokens` name several grants serves them all through one server. A
server that logs what a call did would show grant A's calls to grant B, and any client's
`logging/setLevel` would change what the shared server logs of everyone's calls. With several
grants, a log message goes only to the client whose request it came with (a server reached
over Streamable HTTP sends a tool's log on that call's own answer stream), else to no client
(the gateway's log says it withheld one, without its text); `logging/setLevel` is answered by
the gateway and never reaches the server. With one grant, logs and levels pass as before.

The server is `tests/servers/recording/logging_server.py` (its tool `work` logs "worked on
NOTE"; it records every call it runs and every `logging/setLevel` it gets), reached over
Streamable HTTP, or started as a command behind `tests/servers/recording/tee_stdin.py` (which
copies every byte the server reads to a file). The clients are the mcp SDK's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as types
import pytest
from gateway_support import RECORDING, http_gateway, until
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

pytestmark = pytest.mark.filterwarnings("ignore:The logging capability is deprecated")

ALICE = "alice-token-0123456789abcdef"
BOB = "bob-token-0123456789abcdef00"
POLICY = {"version": "1", "default": "allow"}
WITHHELD = "withheld a log message of the server from every client"


class Seen:
    """What one client was sent by the gateway: log texts and notification methods, in order."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, Any]] = []

    async def handle(self, message: Any) -> None:
        if isinstance(message, types.LoggingMessageNotification):
            self.messages.append(("log", message.params.data))
        elif isinstance(message, types.ToolListChangedNotification):
            self.messages.append(("tools/list_changed", None))

    @property
    def logs(self) -> list[Any]:
        return [data for kind, data in self.messages if kind == "log"]


@asynccontextmanager
async def _client(url: str, token: str, seen: Any) -> AsyncIterator[Any]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(60))
    async with http, Client(streamable_http_client(url, http_client=http), mode="legacy",
                            read_timeout_seconds=60, message_handler=seen.handle) as client:
        yield client


def _options(tmp: Path, tokens: dict[str, str]) -> list[str]:
    (tmp / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    (tmp / "tokens.json").write_text(json.dumps(tokens), encoding="utf-8")
    (tmp / "tokens.json").chmod(0o600)
    return ["--policy", str(tmp / "policy.json"), "--tokens", str(tmp / "tokens.json"),
            "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl")]


def _command(tmp: Path) -> list[str]:
    return [sys.executable, str(RECORDING / "tee_stdin.py"), str(tmp / "received.bin"), "--",
            sys.executable, str(RECORDING / "logging_server.py"), str(tmp / "record.jsonl")]


@contextmanager
def _http_server(tmp: Path) -> Iterator[str]:
    """The logging server on Streamable HTTP: its URL."""
    server = subprocess.Popen([sys.executable, str(RECORDING / "logging_server.py"), str(tmp / "record.jsonl"), "http"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert server.stdout is not None
        line = server.stdout.readline().decode()
        assert line.startswith("listening on "), line
        yield f"http://127.0.0.1:{int(line.split()[-1])}/mcp"
    finally:
        server.terminate()
        server.wait(timeout=20)


@asynccontextmanager
async def _two_clients_over_http(tmp: Path, tokens: dict[str, str]) -> AsyncIterator[tuple[Any, Seen, Any, Seen]]:
    """The logging server over Streamable HTTP behind an HTTP gateway with `tokens`, and two
    clients of it holding ALICE's and BOB's tokens: (alice's client, what it was sent, bob's
    client, what it was sent)."""
    with _http_server(tmp) as url, \
            http_gateway([*_options(tmp, tokens), url], [], tmp / "gateway.log") as gw:
        alice, bob = Seen(), Seen()
        async with AsyncExitStack() as stack:
            a = await stack.enter_async_context(_client(gw.url, ALICE, alice))
            b = await stack.enter_async_context(_client(gw.url, BOB, bob))
            yield a, alice, b, bob


def _record(tmp: Path) -> list[dict[str, Any]]:
    path = tmp / "record.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _received_methods(tmp: Path) -> list[str]:
    raw = (tmp / "received.bin").read_bytes()
    return [json.loads(line).get("method", "") for line in raw.split(b"\n") if line.strip()]


async def test_two_grants_over_http_each_gets_only_its_own_calls_log_and_no_level_reaches_the_server(
        tmp_path: Path) -> None:
    async with _two_clients_over_http(tmp_path, {ALICE: "alice", BOB: "bob"}) as (a, alice, b, bob):
        await b.set_logging_level("debug")  # answered: the client sees no failure
        await a.set_logging_level("warning")
        # The server records a level as it takes it, before it answers.
        assert [line for line in _record(tmp_path) if "setLevel" in line] == [], (
            "a client's logging/setLevel reached the shared server")
        result = await a.call_tool("work", {"note": "alice-private-ledger"})
        assert not result.is_error
        await b.call_tool("work", {"note": "bob-own"})
        # Each log came on its call's own answer stream, before the call's result.
        assert alice.logs == ["worked on alice-private-ledger"]
        assert bob.logs == ["worked on bob-own"]
    record = _record(tmp_path)
    assert [line["arguments"]["note"] for line in record if line.get("tool") == "work"] == [
        "alice-private-ledger", "bob-own"]
    assert [line for line in record if "setLevel" in line] == []


async def test_two_grants_and_a_server_started_as_a_command_no_log_reaches_another_grant(tmp_path: Path) -> None:
    with http_gateway(_options(tmp_path, {ALICE: "alice", BOB: "bob"}), _command(tmp_path),
                      tmp_path / "gateway.log") as gw:
        alice, bob = Seen(), Seen()
        async with _client(gw.url, ALICE, alice) as a, _client(gw.url, BOB, bob) as b:
            await b.set_logging_level("debug")
            await a.call_tool("work", {"note": "alice-private-ledger"})
            # The server's output is relayed in order: once B has the list change the server
            # wrote after A's log, A's log has come to B or never will.
            await b.call_tool("announce", {})
            await until(lambda: ("tools/list_changed", None) in bob.messages, 30)
            assert bob.logs == [], "grant bob was sent the log of grant alice's call"
            assert alice.logs == []  # the server's output says not whose call a message is
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert WITHHELD in log and "alice-private-ledger" not in log
    assert "logging/setLevel" not in _received_methods(tmp_path)
    assert [line for line in _record(tmp_path) if "setLevel" in line] == []


async def test_one_grant_logs_and_levels_pass_as_before(tmp_path: Path) -> None:
    with http_gateway(_options(tmp_path, {ALICE: "alice", BOB: "alice"}), _command(tmp_path),
                      tmp_path / "gateway.log") as gw:
        seen = Seen()
        async with _client(gw.url, BOB, seen) as client:
            await client.set_logging_level("debug")
            await client.call_tool("work", {"note": "solo"})
            await until(lambda: "worked on solo" in seen.logs, 30)
    assert "logging/setLevel" in _received_methods(tmp_path)
    assert {"setLevel": "debug"} in _record(tmp_path)
    assert WITHHELD not in (tmp_path / "gateway.log").read_text(encoding="utf-8")


async def test_a_server_that_logs_without_end_does_not_fill_the_gateways_log(tmp_path: Path) -> None:
    """Each log message withheld from every client was one line of the gateway's log: a server
    logging in a loop (or a grant whose calls make it log) filled the log, and its disk. The
    first 20 of a minute are told one by one, the rest summed up in one line (here when the
    gateway stops, before the minute is out), as for refused client messages."""
    many = 300
    with http_gateway(_options(tmp_path, {ALICE: "alice", BOB: "bob"}), _command(tmp_path),
                      tmp_path / "gateway.log") as gw:
        alice, bob = Seen(), Seen()
        async with _client(gw.url, ALICE, alice) as a, _client(gw.url, BOB, bob) as b:
            await a.call_tool("work", {"note": "alice-private-ledger", "times": many})
            # The server's output is relayed in order: once B has the list change the server
            # wrote after A's logs, every one of them has been withheld or relayed.
            await b.call_tool("announce", {})
            await until(lambda: ("tools/list_changed", None) in bob.messages, 30)
            assert alice.logs == bob.logs == []
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert [line["arguments"] for line in _record(tmp_path) if line.get("tool") == "work"] == [
        {"note": "alice-private-ledger", "times": many}]
    assert log.count(WITHHELD) == 20, log
    assert (f"withheld {many - 20} more log messages of the server from every client in the last 60 s, "
            "not logged one by one") in log, log
    assert "alice-private-ledger" not in log


async def test_one_grant_over_http_each_session_gets_one_copy_of_a_calls_log(tmp_path: Path) -> None:
    """With one grant a server log message goes to every session. A server reached over
    Streamable HTTP sends a call's log on that call's answer stream, and each session's copy
    was written into the POST being served then: the caller got one copy per open session
    (two here) and the other session none."""
    async with _two_clients_over_http(tmp_path, {ALICE: "alice", BOB: "alice"}) as (a, alice, b, bob):
        await a.call_tool("work", {"note": "shared"})
        # Bob's copy comes on his session's own stream; the server's list change, sent
        # after it on bob's call, comes once everything before it has been relayed.
        await b.call_tool("announce", {})
        await until(lambda: ("tools/list_changed", None) in alice.messages
                    and ("tools/list_changed", None) in bob.messages, 30)
        assert alice.logs == ["worked on shared"], "the caller got a copy for each session"
        assert bob.logs == ["worked on shared"]
