"""The gateway's two time-outs, as a user sets them: `--timeout` bounds the server's start (its
initialize, its tools/list, the gateway's own listing and probe at start), `--call-timeout`
each request relayed once serving begins; a start that runs out names `--timeout` and its time.

Each test runs the installed `policytui gateway` as an MCP client would, in front of a real
server made slow to start or to list its tools: `rug_pull.py` over stdio (behind a shell that
waits before it starts the server, and slow to list while a file exists) and
`refusing_http.py` over Streamable HTTP (LIST_SECONDS)."""

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
from test_gateway_hostile_server import RawClient, running_gateway

POLICYTUI = str(Path(sys.executable).with_name("policytui"))
SERVERS = Path(__file__).resolve().parent / "servers" / "misbehaving"
RUG_PULL = SERVERS / "rug_pull.py"
REFUSING_HTTP = SERVERS / "refusing_http.py"
OPEN = {"version": "1", "default": "allow"}
# How long the stdio server takes to start, and the HTTP server to answer each tools/list:
# each beyond the call time-outs below, each well within the start's default 30 s.
START_SECONDS = "1.5"
LIST_SECONDS = "1.5"
# rug_pull.py answers tools/list this long after it arrives while its slow file exists.
RUG_PULL_LIST_SECONDS = 5
WAIT_LONGER = "use --timeout to wait longer."


def _command(tmp: Path, *options: str) -> list[str]:
    policy = tmp / "policy.json"
    policy.write_text(json.dumps(OPEN), encoding="utf-8")
    return [POLICYTUI, "gateway", "--policy", str(policy), "--state", "memory://",
            "--audit", str(tmp / "audit.jsonl"), *options]


def _slow_to_start(*server: str) -> list[str]:
    """A server command that waits START_SECONDS before the server starts (and reads its input)."""
    return ["--", "sh", "-c", f'sleep {START_SECONDS}; exec "$0" "$@"', *server]


@contextmanager
def _http_server(**env: str) -> Iterator[str]:
    """refusing_http.py with `env`, running: its URL."""
    process = subprocess.Popen([sys.executable, str(REFUSING_HTTP)], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, **env})
    assert process.stdout is not None
    try:
        yield f"http://127.0.0.1:{int(process.stdout.readline())}/mcp"
    finally:
        process.kill()
        process.wait(timeout=10)


def _fails_to_start(command: list[str], environment: dict[str, str], sentence: str) -> None:
    """The gateway `command` exits 1 before serving, its first line on standard error `sentence`."""
    finished = subprocess.run(command, stdin=subprocess.PIPE, capture_output=True, text=True, timeout=60,
                              env=environment, check=False)
    assert (finished.returncode, finished.stdout) == (1, ""), finished.stderr
    assert finished.stderr.splitlines()[0] == sentence, finished.stderr


def _timed_out_listing(client: RawClient, longest: float) -> tuple[dict[str, Any], float]:
    """A client's tools/list, relayed to a server slow to answer it: the answer, and how long it took."""
    started = time.monotonic()
    answer = client.request("tools/list", {})
    took = time.monotonic() - started
    assert took < longest, (took, answer)
    return answer, took


@pytest.mark.parametrize("call_timeout", ["0.001", "1"])
def test_a_stdio_server_slower_to_start_than_the_call_timeout_starts_and_calls_keep_the_call_timeout(
        tmp_path: Path, call_timeout: str) -> None:
    """The server takes 1.5 s to start; the call time-out is shorter. The gateway starts (the
    start has its 30 s), and a call relayed once serving began is still given up after the call
    time-out. Before, the call time-out bounded the start: the gateway exited 1 saying the
    server 'did not answer initialize within 30 s; use --timeout to wait longer'."""
    slow = tmp_path / "slow-list"
    environment = {**os.environ, "RUG_PULL_SLOW_LIST": str(slow)}
    command = _command(tmp_path, "--call-timeout", call_timeout, *_slow_to_start(sys.executable, str(RUG_PULL)))
    with running_gateway(tmp_path, command, environment) as client:
        assert client.call("get_time"), (tmp_path / "stderr.txt").read_text()
        slow.touch()  # from now on tools/list takes 5 s
        answer, _ = _timed_out_listing(client, RUG_PULL_LIST_SECONDS - 1)
    assert "timed out" in answer["error"]["message"], answer
    stderr = (tmp_path / "stderr.txt").read_text()
    assert "Traceback" not in stderr and "--timeout" not in stderr, stderr
    # A start that does run out is said with the option that bounds it and its time.
    _fails_to_start([*command[:2], "--timeout", "1", *command[2:]], environment,
                    f"policytui gateway: server 'sh' did not answer initialize within 1 s; {WAIT_LONGER}")


def test_an_http_server_slower_to_list_than_the_call_timeout_starts_and_calls_keep_the_call_timeout(
        tmp_path: Path) -> None:
    """Over Streamable HTTP, a server that takes 1.5 s to answer each tools/list and a call
    time-out of 0.5 s: the gateway starts (its own listing and probe at start are the start's,
    bounded by --timeout), and a client's tools/list is given up after the call time-out.
    Before, the gateway's listing at start waited the call time-out: it exited 1 saying the
    server 'started but failed to list its tools when the gateway asked again'."""
    with _http_server(LIST_SECONDS=LIST_SECONDS) as url:
        command = _command(tmp_path, "--call-timeout", "0.5", url)
        with running_gateway(tmp_path, command, dict(os.environ)) as client:
            assert client.call("echo") == "ran echo None", (tmp_path / "stderr.txt").read_text()
            answer, _ = _timed_out_listing(client, float(LIST_SECONDS))
        assert "timed out" in answer["error"]["message"], answer
        probe = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
        assert [line.get("upstream") for line in probe if line.get("decision") == "probe"] == ["error_result"], probe
        # A start that does run out is said with the option that bounds it and its time.
        _fails_to_start([*command[:2], "--timeout", "1", *command[2:]], dict(os.environ),
                        f"policytui gateway: server '127.0.0.1' answered initialize but not tools/list within 1 s; "
                        f"{WAIT_LONGER}")


def test_tools_over_http_that_runs_out_listing_names_the_timeout_not_the_servers_405(tmp_path: Path) -> None:
    """`policytui tools --timeout 1` before a Streamable HTTP server that answers initialize and
    takes 1.5 s to list its tools (and, as the protocol allows, answers the GET of an event
    stream 405): the start ran out, and that is what is said. Before, the 405 was blamed: 'answered
    GET with HTTP 405 Method Not Allowed; ... if it is a legacy SSE server, add --sse'."""
    with _http_server(LIST_SECONDS=LIST_SECONDS) as url:
        finished = subprocess.run([POLICYTUI, "tools", "--timeout", "1", url], capture_output=True, text=True,
                                  timeout=60, check=False)
    assert (finished.returncode, finished.stdout) == (1, ""), finished.stderr
    assert finished.stderr.splitlines()[0] == (
        f"policytui tools: server '127.0.0.1' answered initialize but not tools/list within 1 s; {WAIT_LONGER}")


def test_a_server_that_lists_its_tools_once_and_not_when_asked_again_stops_the_start(tmp_path: Path) -> None:
    """The server answers the listing its start makes, then never the gateway's own listing
    (how it learns the names it may forward): the gateway does not serve without that list,
    and says which listing ran out, after how long, and the option that waits longer. The
    server read two listings (the start's and the one asked again), not a third after the
    time-out had passed once."""
    received = tmp_path / "received.jsonl"
    server = [sys.executable, str(SERVERS.parent / "recording" / "tee_stdin.py"), str(received), "--",
              "env", "LIST_MODE=once", sys.executable, str(SERVERS / "list_fails.py")]
    command = _command(tmp_path, "--timeout", "3", "--", *server)
    _fails_to_start(command, dict(os.environ),
                    "policytui gateway: server 'tee_stdin.py' started but did not answer tools/list within 3 s "
                    f"when the gateway asked again; {WAIT_LONGER}")
    methods = [json.loads(line).get("method") for line in received.read_text(encoding="utf-8").splitlines()]
    assert methods.count("tools/list") == 2, methods
