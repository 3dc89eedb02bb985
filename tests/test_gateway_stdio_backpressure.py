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
import re
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
from gateway_support import MOST_IN_PROGRESS_OPTIONS

from policytui.gateway.audit import args_digest
from policytui.gateway.enforcer import STOPPED_BEFORE_SENDING
from policytui.gateway.relay import _FLUSH_STALL_SECONDS

pytestmark = [pytest.mark.servers]

ROOT = Path(__file__).resolve().parent.parent
TEE = ROOT / "tests" / "servers" / "recording" / "tee_stdin.py"
POLICYTUI = str(Path(sys.executable).with_name("policytui"))
# Calls the client writes, each answered with about 1 kB: about 20 MB of answers, far more
# than the pipes between client and gateway hold (64 kB each on Linux).
CALLS = 20_000
MESSAGE = "x" * 1000
# A tool of server-everything the slow reader's policy denies: the gateway answers it itself.
DENIED_TOOL = "get-sum"


class Client:
    """The gateway with a client that writes every call at once and reads only when told."""

    def __init__(self, tmp: Path, process: subprocess.Popen[bytes]) -> None:
        self.tmp, self.process = tmp, process
        self.written = 0
        self.calls = CALLS  # the calls it writes, echo calls unless `denied_every` says otherwise
        self.denied_every = 0  # when set, every call whose id it divides names DENIED_TOOL
        self.writer = threading.Thread(target=self._write, daemon=True)
        self.first: list[dict[str, Any]] = []  # written before the echo calls

    def _write(self) -> None:
        assert self.process.stdin is not None
        try:
            for message in self.first:
                self.process.stdin.write(json.dumps(message).encode() + b"\n")
            for request_id in range(1, self.calls + 1):
                name, arguments = self.call(request_id)
                self.process.stdin.write(json.dumps({
                    "jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                    "params": {"name": name, "arguments": arguments}}).encode() + b"\n")
                self.written = request_id
            self.process.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def call(self, request_id: int) -> tuple[str, dict[str, Any]]:
        """The tool and arguments of call `request_id`: arguments unique to the call, so that
        its audit lines (which hold their digest) can be told from every other's."""
        if self.denied_every and request_id % self.denied_every == 0:
            return DENIED_TOOL, {"a": request_id, "b": 0}
        return "echo", {"message": f"{request_id} {MESSAGE}"}

    def received_calls(self) -> list[str]:
        """Every tool call the server read (the gateway's own probe left out), as its tool and
        arguments in one JSON text each, sorted."""
        path = self.tmp / "received.bin"
        raw = path.read_bytes() if path.exists() else b""
        messages = [json.loads(line) for line in raw.split(b"\n") if line.strip()]
        return sorted(_call_text(m["params"]["name"], m["params"].get("arguments") or {}) for m in messages
                      if m.get("method") == "tools/call" and not m["params"]["name"].startswith("policytui-probe-"))

    def received(self) -> int:
        """The echo calls the server read."""
        path = self.tmp / "received.bin"
        raw = path.read_bytes() if path.exists() else b""
        return sum(1 for line in raw.split(b"\n") if b'"tools/call"' in line and b'"echo"' in line)

    def audited(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        audit = self.tmp / "audit.jsonl"
        return ([a for a in sent_lines(audit) if a["tool"] == "echo"],
                [a for a in outcome_lines(audit) if a["tool"] == "echo"])

    def settled(self, quiet: float = 2.0, bound: float = 60.0) -> int | None:
        """The calls the server received once neither that number nor the calls the client
        has written have changed for `quiet` s (a stall), or None if they never stopped."""
        end = time.monotonic() + bound
        last, since = (-1, -1), time.monotonic()
        while time.monotonic() < end:
            now = (self.received(), self.written)
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return now[0]
            time.sleep(0.1)
        return None


def _call_text(tool: str, arguments: dict[str, Any]) -> str:
    return json.dumps([tool, arguments], sort_keys=True)


@contextmanager
def gateway(tmp: Path, everything: Path, policy: dict[str, Any] | None = None) -> Iterator[Client]:
    policy = policy or {"version": "1", "default": "allow"}
    (tmp / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    process = subprocess.Popen(
        # What holds these calls back is the client not reading its answers, never the limit
        # on requests in progress.
        [POLICYTUI, "gateway", "--policy", str(tmp / "policy.json"), "--state-dir", str(tmp / "state"),
         "--audit", str(tmp / "audit.jsonl"), "--log", str(tmp / "gateway.log"),
         *MOST_IN_PROGRESS_OPTIONS, "--",
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
        # The stall itself: the client's writes wait for the gateway, which forwards nothing
        # more. How many calls went through first is the pipes' and the server's read-ahead,
        # which depends on how fast the server answered them on a loaded machine (a few
        # hundred alone, 6,100 seen with other tests running); never all of them.
        assert stalled is not None, "the gateway went on taking calls nobody reads the answers of"
        assert 0 < stalled <= CALLS // 2, stalled  # before: all 20,000
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
    arrives whole. Every fifth call names a tool the policy denies, answered by the gateway
    itself among the server's answers: the server receives each allowed call once and never a
    denied one, and each call has its audit line. Before, the answers still in the gateway's
    own buffer when the last call was answered were lost as it exited, and the client's input
    ended in the middle of a line."""
    policy = {"version": "1", "default": "allow",
              "tools": {DENIED_TOOL: {"action": "deny", "reason": "not for this client"}}}
    with gateway(tmp_path, everything, policy) as client:
        client.calls = 200  # 200 kB of answers: more than the pipe and the gateway's backlog hold
        client.denied_every = 5
        client.writer.start()
        answers: list[dict[str, Any]] = []
        assert client.process.stdout is not None
        for line in client.process.stdout:
            answers.append(json.loads(line))  # before: a line cut short at the end
            time.sleep(0.02)
        assert client.written == client.calls
        assert client.process.wait(timeout=60) == 0
    calls = {request_id: client.call(request_id) for request_id in range(1, client.calls + 1)}
    allowed = {request_id: call for request_id, call in calls.items() if call[0] == "echo"}
    denied = {request_id: call for request_id, call in calls.items() if call[0] == DENIED_TOOL}
    assert len(denied) == client.calls // 5

    # The client: one whole answer per call, the server's for an allowed one, the gateway's
    # refusal for a denied one.
    assert sorted(answer["id"] for answer in answers) == list(range(1, client.calls + 1))
    for answer in answers:
        if answer["id"] in allowed:
            assert allowed[answer["id"]][1]["message"] in json.dumps(answer["result"]), answer
        else:
            assert answer["result"]["isError"] is True and "[POLICY DENIED]" in json.dumps(answer), answer

    # The server: every allowed call exactly once, and no denied one.
    assert client.received_calls() == sorted(_call_text(tool, arguments) for tool, arguments in allowed.values())

    # The audit log: each allowed call sent and answered once, each denied call denied once
    # (the gateway's probe of the server's tools left out).
    audit = tmp_path / "audit.jsonl"
    sent = sorted((line["tool"], line["args_sha256"]) for line in sent_lines(audit) if line["decision"] != "probe")
    assert sent == sorted((tool, args_digest(arguments)) for tool, arguments in allowed.values())
    outcomes = sorted((line["tool"], line["args_sha256"], line["decision"], line.get("upstream"))
                      for line in outcome_lines(audit) if line["decision"] != "probe")
    assert outcomes == sorted(
        [(tool, args_digest(arguments), "allowed", "ok") for tool, arguments in allowed.values()]
        + [(tool, args_digest(arguments), "denied", None) for tool, arguments in denied.values()])


def test_a_client_that_reads_nothing_after_its_input_ends_is_given_up_on(tmp_path: Path, everything: Path) -> None:
    """A client writes its calls, closes its input and reads nothing more: the gateway waits
    for it to take the answers left in its own buffer until it has taken none for
    `_FLUSH_STALL_SECONDS`, then exits, its log saying how many bytes of answers it dropped."""
    with gateway(tmp_path, everything) as client:
        client.calls = 100  # 100 kB of answers: more than the pipe holds, less than the backlog
        client.writer.start()
        client.writer.join(timeout=60)
        assert client.written == client.calls  # and its input closed
        ended = time.monotonic()
        assert client.process.wait(timeout=60) == 0
        waited = time.monotonic() - ended
    assert waited >= _FLUSH_STALL_SECONDS, waited
    logged = (tmp_path / "gateway.log").read_text()
    dropped = re.findall(r"none for the last ([\d.]+) s\): the (\d+) bytes left of them are dropped", logged)
    assert len(dropped) == 1 and float(dropped[0][0]) >= _FLUSH_STALL_SECONDS and int(dropped[0][1]) > 0, logged


def test_a_signal_stops_a_gateway_whose_client_does_not_read(tmp_path: Path, everything: Path) -> None:
    """SIGTERM ends the gateway within a few seconds though its output is full and the call the
    server is running cannot be told it was cut off; every call the server received has its
    outcome line, the long one `cancelled`, and the log says how much of the answers owed was
    dropped (before, a stop dropped them without a word, as ending the client's input did not)."""
    with gateway(tmp_path, everything) as client:
        client.first.append({"jsonrpc": "2.0", "id": "long", "method": "tools/call", "params": {
            "name": "trigger-long-running-operation", "arguments": {"duration": 60, "steps": 60}}})
        client.writer.start()
        assert client.settled() is not None
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
    logged = (tmp_path / "gateway.log").read_text()
    assert not [line for line in logged.splitlines() if "Traceback" in line]
    dropped = re.findall(r"the client had not taken its last answers after [\d.]+ s \(none for the last [\d.]+ s\): "
                         r"the (\d+) bytes left of them are dropped", logged)
    assert len(dropped) == 1 and int(dropped[0]) > 0, logged[-2000:]
    assert os.path.exists(tmp_path / "audit.jsonl")
