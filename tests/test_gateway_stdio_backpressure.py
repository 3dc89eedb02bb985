"""A stdio client that keeps writing calls but stops reading the answers.

The installed `policytui gateway` runs in front of the real server-everything (behind
`tee_stdin.py`, which copies every byte the server reads to a file). The client writes echo
calls from a thread and reads nothing. Judged from outside: how many calls the server received,
the audit log's lines for them, the answers the client gets once it reads, and how the gateway
ends when stopped by a signal with its output full.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines, sent_lines

from policytui.gateway.enforcer import STOPPED_BEFORE_SENDING

pytestmark = [pytest.mark.servers]

ROOT = Path(__file__).resolve().parent.parent
TEE = ROOT / "tests" / "servers" / "recording" / "tee_stdin.py"
POLICYTUI = str(Path(sys.executable).with_name("policytui"))
# Calls the client writes, each answered with about 1 kB: about 20 MB of answers, far more
# than the pipes between client and gateway hold (64 kB each on Linux).
CALLS = 20_000
MESSAGE = "x" * 1000


class Client:
    """The gateway with a client that writes every call at once and reads only when told."""

    def __init__(self, tmp: Path, process: subprocess.Popen[bytes]) -> None:
        self.tmp, self.process = tmp, process
        self.written = 0
        self.calls = CALLS  # the echo calls it writes
        self.writer = threading.Thread(target=self._write, daemon=True)
        self.first: list[dict[str, Any]] = []  # written before the echo calls

    def _write(self) -> None:
        assert self.process.stdin is not None
        try:
            for message in self.first:
                self.process.stdin.write(json.dumps(message).encode() + b"\n")
            for request_id in range(1, self.calls + 1):
                self.process.stdin.write(json.dumps({
                    "jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                    "params": {"name": "echo", "arguments": {"message": MESSAGE}}}).encode() + b"\n")
                self.written = request_id
            self.process.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def received(self) -> int:
        """The echo calls the server read."""
        path = self.tmp / "received.bin"
        raw = path.read_bytes() if path.exists() else b""
        return sum(1 for line in raw.split(b"\n") if b'"tools/call"' in line and b'"echo"' in line)

    def audited(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        audit = self.tmp / "audit.jsonl"
        return ([a for a in sent_lines(audit) if a["tool"] == "echo"],
                [a for a in outcome_lines(audit) if a["tool"] == "echo"])

    def settled(self, quiet: float = 2.0, bound: float = 60.0) -> int:
        """The calls the server received, once that number has stopped changing for `quiet` s."""
        end = time.monotonic() + bound
        last, since = -1, time.monotonic()
        while time.monotonic() < end:
            now = self.received()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return now
            time.sleep(0.1)
        return last


@contextmanager
def gateway(tmp: Path, everything: Path) -> Iterator[Client]:
    (tmp / "policy.json").write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    process = subprocess.Popen(
        [POLICYTUI, "gateway", "--policy", str(tmp / "policy.json"), "--state-dir", str(tmp / "state"),
         "--audit", str(tmp / "audit.jsonl"), "--log", str(tmp / "gateway.log"), "--",
         sys.executable, str(TEE), str(tmp / "received.bin"), "--", str(everything), "stdio"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
        ).encode() + b"\n")
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["id"] == 0
        yield Client(tmp, process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_a_client_that_does_not_read_stops_the_gateway_taking_its_calls(tmp_path: Path, everything: Path) -> None:
    """While the client takes none of its answers, the gateway takes no more calls than the
    answers it can hold for it: the server receives a bounded number, each audited, and the
    client's own writes wait. Once the client reads, every call it wrote is received, run,
    audited and answered once. Before, the gateway read and forwarded every call and held all
    their answers in memory (20 MB here; without bound for a client that writes on)."""
    with gateway(tmp_path, everything) as client:
        client.writer.start()
        stalled = client.settled()
        assert 0 < stalled < CALLS // 4, stalled  # before: all 20,000
        assert client.written < CALLS  # the client's writes wait for the gateway
        sent, done = client.audited()
        assert len(sent) == stalled and len(done) == stalled  # every call the server received is audited

        answers: dict[int, dict[str, Any]] = {}
        assert client.process.stdout is not None
        for line in client.process.stdout:  # the client reads now, to the end of the output
            message = json.loads(line)
            assert message["id"] not in answers
            answers[message["id"]] = message
        assert client.process.wait(timeout=60) == 0
    assert sorted(answers) == list(range(1, CALLS + 1))
    assert all(MESSAGE in json.dumps(answer["result"]) for answer in answers.values())
    assert client.received() == CALLS
    sent, done = client.audited()
    assert len(sent) == CALLS and [a["upstream"] for a in done] == ["ok"] * CALLS


def test_a_client_that_reads_slowly_after_its_input_ends_gets_every_answer_whole(
        tmp_path: Path, everything: Path) -> None:
    """A client writes its calls, closes its input and reads its answers slowly, as one busy
    with each: the gateway exits only once the last answer has left it, and every answer
    arrives whole. Before, the answers still in the gateway's own buffer when the last call was
    answered were lost as it exited, and the client's input ended in the middle of a line."""
    with gateway(tmp_path, everything) as client:
        client.calls = 200  # 200 kB of answers: more than the pipe and the gateway's backlog hold
        client.writer.start()
        answers: list[dict[str, Any]] = []
        assert client.process.stdout is not None
        for line in client.process.stdout:
            answers.append(json.loads(line))  # before: a line cut short at the end
            time.sleep(0.02)
        assert client.written == client.calls
        assert client.process.wait(timeout=60) == 0
    assert sorted(answer["id"] for answer in answers) == list(range(1, client.calls + 1))
    assert all(MESSAGE in json.dumps(answer["result"]) for answer in answers)


def test_a_signal_stops_a_gateway_whose_client_does_not_read(tmp_path: Path, everything: Path) -> None:
    """SIGTERM ends the gateway within a few seconds though its output is full and the call the
    server is running cannot be told it was cut off; every call the server received has its
    outcome line, the long one `cancelled`."""
    with gateway(tmp_path, everything) as client:
        client.first.append({"jsonrpc": "2.0", "id": "long", "method": "tools/call", "params": {
            "name": "trigger-long-running-operation", "arguments": {"duration": 60, "steps": 60}}})
        client.writer.start()
        client.settled()
        client.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert client.process.wait(timeout=20) == 0
        assert time.monotonic() - started < 8
    received = client.received()
    sent, done = client.audited()
    ran = [a for a in done if a["decision"] == "allowed"]
    assert len(sent) == received == len(ran), (received, len(sent), len(ran))
    # The calls the gateway had taken from the pipe but not yet acted on when it stopped: each
    # has its line, not sent (before: none).
    unread = [a for a in done if a["decision"] != "allowed"]
    assert unread and {(a["decision"], a["reason"]) for a in unread} == {("denied", STOPPED_BEFORE_SENDING)}
    assert len(ran) + len(unread) <= client.written
    long = [a.get("upstream") for a in outcome_lines(tmp_path / "audit.jsonl")
            if a["tool"] == "trigger-long-running-operation"]
    assert long == ["cancelled"], long
    assert not [line for line in (tmp_path / "gateway.log").read_text().splitlines() if "Traceback" in line]
    assert os.path.exists(tmp_path / "audit.jsonl")
