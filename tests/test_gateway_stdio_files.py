"""The stdio gateway fed from a regular file or a terminal, not a pipe: the same relay and
wire rules as for an MCP client.

`policytui gateway ... < calls.jsonl > answers.jsonl` and lines typed in a terminal are served
by the same JSON-RPC relay as a client on pipes: an ambiguous message is refused whichever way
it arrives, each request read is answered before the gateway exits, and a terminal's file
flags (which the shell shares) are left as they were. The server is the recording flows server
behind `tests/servers/recording/tee_stdin.py`: what it read, byte for byte, and what it ran.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

from audit_support import outcome_lines

from policytui.gateway import wire
from policytui.gateway.audit import args_digest
from policytui.gateway.linefeed import MAX_WAITING, LineFeed
from policytui.gateway.stdio import _ThreadReader

ROOT = Path(__file__).resolve().parent.parent
RECORDING = ROOT / "tests" / "servers" / "recording"
POLICYTUI = str(Path(sys.executable).parent / "policytui")
INVALID_REQUEST = -32600

POLICY = {
    "version": "1",
    "default": "deny",
    "hide": ["read_secret"],
    "tools": {"list_flows": {}, "delete_flow": {"action": "deny", "reason": "destructive"}},
}


def _call(request_id: Any, name: str, args: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                       "params": {"name": name, "arguments": args}})


INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "file", "version": "1"}}})
INITIALIZED = '{"jsonrpc":"2.0","method":"notifications/initialized"}'
# The same "name" key twice: the SDK's reader keeps the last, so one of these would run a tool.
AMBIGUOUS_DENIED_LAST = ('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"list_flows",'
                         '"name":"delete_flow","arguments":{"namespace":"m5","flow_id":"billing"}}}')
AMBIGUOUS_ALLOWED_LAST = ('{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"delete_flow",'
                          '"name":"list_flows","arguments":{"namespace":"m6"}}}')
CALLS = [
    INITIALIZE,
    INITIALIZED,
    '{"jsonrpc":"2.0","id":2,"method":"tools/list"}',
    _call(3, "delete_flow", {"namespace": "prod", "flow_id": "billing"}),
    _call(4, "list_flows", {"namespace": "m4"}),
    AMBIGUOUS_DENIED_LAST,
    AMBIGUOUS_ALLOWED_LAST,
    "[" + _call(7, "list_flows", {"namespace": "m7"}) + ',{"jsonrpc":"2.0","id":8,"method":"ping"}]',
    _call(9, "list_flows", {"namespace": "m9"}),  # the last line: answered before the gateway exits
]
ANSWERED = [1, 2, 3, 4, 5, 6, 7, 8, 9]
# Answers the gateway settles without the server, in the order of their lines.
SETTLED_AT_ONCE = [1, 3, 5, 6, 7, 8]


class Run:
    """One gateway in front of the recording server, with its files."""

    def __init__(self, tmp: Path) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        self.tmp = tmp
        self.policy = tmp / "policy.json"
        self.policy.write_text(json.dumps(POLICY), encoding="utf-8")
        self.received = tmp / "received.bin"
        self.executed = tmp / "executed.jsonl"
        self.audit = tmp / "audit.jsonl"
        self.log = tmp / "gateway.log"

    def command(self) -> list[str]:
        return [
            POLICYTUI, "gateway", "--policy", str(self.policy), "--state-dir", str(self.tmp / "state"),
            "--audit", str(self.audit), "--log", str(self.log), "--",
            sys.executable, str(RECORDING / "tee_stdin.py"), str(self.received), "--",
            sys.executable, str(RECORDING / "flows_server.py"), str(self.executed),
        ]

    def calls_received(self) -> list[dict[str, Any]]:
        """The tools/call messages the server read."""
        raw = self.received.read_bytes() if self.received.exists() else b""
        messages = [wire.parse(line) for line in raw.split(b"\n") if line]
        return [m["params"] for m in messages if m.get("method") == "tools/call" and "policytui" not in str(m.get("id"))]

    def ran(self) -> list[dict[str, Any]]:
        text = self.executed.read_text(encoding="utf-8") if self.executed.exists() else ""
        return [json.loads(line) for line in text.splitlines()]

    def audited(self) -> list[tuple[str, str, str | None, str]]:
        return [(a["tool"], a["decision"], a.get("upstream"), a["args_sha256"])
                for a in outcome_lines(self.audit) if a["decision"] != "probe"]


def _answers(data: bytes) -> list[dict[str, Any]]:
    """The responses among the lines the gateway wrote (every line must be JSON)."""
    messages = [json.loads(line) for line in data.replace(b"\r", b"").split(b"\n") if line.strip()]
    return [m for m in messages if "method" not in m]


def _text(answer: dict[str, Any]) -> str:
    return "".join(part.get("text", "") for part in answer.get("result", {}).get("content", []))


def _check_answers(answers: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    ids = [answer["id"] for answer in answers]
    assert sorted(ids) == ANSWERED, ids
    assert [i for i in ids if i in SETTLED_AT_ONCE] == SETTLED_AT_ONCE, ids
    by_id = {answer["id"]: answer for answer in answers}
    assert by_id[1]["result"]["serverInfo"]["name"] == "flows-recording"
    listed = {tool["name"] for tool in by_id[2]["result"]["tools"]}
    assert {"list_flows", "delete_flow"} <= listed and "read_secret" not in listed, listed
    assert _text(by_id[3]) == "[POLICY DENIED] destructive"
    for request_id in (4, 9):
        assert _text(by_id[request_id]) == f"flows of 'm{request_id}': hello, nightly", by_id[request_id]
    for request_id in (5, 6, 7, 8):  # the ambiguous calls and the batch's members: refused
        assert by_id[request_id]["error"]["code"] == INVALID_REQUEST, by_id[request_id]
    return by_id


def _check_server_and_audit(run: Run) -> None:
    # Only the two calls the policy allowed reached the server, each once; the ambiguous and
    # batched ones never did, whichever key came last.
    # Each was received and ran once, in either order: the gateway decides and forwards the
    # calls it has read side by side, and the server runs them side by side, so the one read
    # second can overtake the first.
    received = sorted(run.calls_received(), key=lambda params: params["arguments"]["namespace"])
    assert received == [{"name": "list_flows", "arguments": {"namespace": "m4"}},
                        {"name": "list_flows", "arguments": {"namespace": "m9"}}]
    assert sorted(entry["arguments"]["namespace"] for entry in run.ran()) == ["m4", "m9"]
    audited = run.audited()
    decided = [line for line in audited if line[1] != "refused"]
    assert [line[:3] for line in decided] == [("delete_flow", "denied", None), ("list_flows", "allowed", "ok"),
                                              ("list_flows", "allowed", "ok")], audited
    assert len({line[3] for line in decided}) == 3
    # The ambiguous calls and the batch's call, refused before anything was decided: one line
    # each, the tool and digest named only for the batch's member (read without doubt).
    assert [(line[0], line[3]) for line in audited if line[1] == "refused"] == [
        (None, None), (None, None), ("list_flows", args_digest({"namespace": "m7"}))], audited


def _run_from_files(run: Run) -> bytes:
    calls = run.tmp / "calls.jsonl"
    calls.write_text("".join(line + "\n" for line in CALLS), encoding="utf-8")
    out = run.tmp / "answers.jsonl"
    with calls.open("rb") as stdin, out.open("wb") as stdout:
        done = subprocess.run(run.command(), stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL,
                              timeout=120, check=False)
    assert done.returncode == 0, run.log.read_text(encoding="utf-8")
    return out.read_bytes()


async def _run_piped(run: Run) -> bytes:
    """The same lines written at once into a pipe, as a client does, which keeps the pipe open
    until each request is answered and then closes it."""
    process = await asyncio.create_subprocess_exec(
        *run.command(), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("".join(line + "\n" for line in CALLS).encode())
    await process.stdin.drain()
    out = b""
    try:
        while len(_answers(out)) < len(ANSWERED):
            line = await asyncio.wait_for(process.stdout.readline(), 60)
            assert line, "the gateway closed its output"
            out += line
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    return out


async def test_requests_in_a_file_are_each_answered_into_a_file_by_the_relay_as_through_a_pipe(
    tmp_path: Path,
) -> None:
    """`policytui gateway ... < calls.jsonl > answers.jsonl`: every request is answered, the
    last one too, with the relay's wire rules (duplicate keys and batches refused, never
    forwarded), each call audited; and the same lines through a pipe get the same answers."""
    from_file = Run(tmp_path / "file")
    written = _run_from_files(from_file)
    by_file = _check_answers(_answers(written))
    _check_server_and_audit(from_file)

    piped = Run(tmp_path / "pipe")
    by_pipe = _check_answers(_answers(await _run_piped(piped)))
    _check_server_and_audit(piped)
    assert by_pipe == by_file


def _nonblocking(fd: int) -> bool:
    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)


class Terminal:
    """The gateway's standard input and output on a pseudo-terminal, as when a person runs it
    at a shell prompt and types."""

    def __init__(self, run: Run) -> None:
        self.master, self.slave = pty.openpty()
        self.flags = fcntl.fcntl(self.slave, fcntl.F_GETFL)
        self.modes = termios.tcgetattr(self.slave)
        self.process = subprocess.Popen(run.command(), stdin=self.slave, stdout=self.slave,
                                        stderr=subprocess.DEVNULL)
        self.out = b""

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def answer(self, request_id: Any, seconds: float = 60) -> dict[str, Any]:
        """The gateway's answer to `request_id` (the terminal also echoes what was typed)."""
        deadline = time.monotonic() + seconds
        while True:
            for answer in _answers(self.out.rpartition(b"\n")[0]):
                if answer.get("id") == request_id:
                    return answer
            left = deadline - time.monotonic()
            assert left > 0, f"no answer to {request_id!r}: {self.out[-2000:]!r}"
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.out += os.read(self.master, 1 << 16)
                except OSError:  # the gateway closed the terminal's last other end
                    time.sleep(0.05)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)
        os.close(self.slave)


def test_a_pipe_closed_right_after_the_last_request_gets_every_answer(tmp_path: Path) -> None:
    """`printf '...' | policytui gateway ...`: a client that writes its requests and closes its
    end of the pipe at once, as scripts do and MCP's stdio transport allows, still reads every
    answer it is owed, the forwarded calls' too, and the audit log has their outcome. Before,
    the end of a pipe was taken for the client leaving: calls already forwarded were cancelled
    (audited `cancelled`) and their answers never written."""
    run = Run(tmp_path)
    done = subprocess.run(run.command(), input="".join(line + "\n" for line in CALLS).encode(),
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, run.log.read_text(encoding="utf-8")
    _check_answers(_answers(done.stdout))
    _check_server_and_audit(run)


def test_calls_still_in_progress_when_the_call_timeout_ends_after_the_input_are_answered_so(
    tmp_path: Path,
) -> None:
    """After the end of the input the gateway waits for the calls in progress up to the call
    timeout (`--call-timeout`), no longer: a held call nobody answers is then withdrawn,
    answered with an error that says why, and audited as cancelled; the call answered before
    it is not held up, and the gateway exits 0."""
    run = Run(tmp_path)
    run.policy.write_text(json.dumps({**POLICY, "tools": {
        "list_flows": {}, "delete_flow": {"action": "require_approval"}}}), encoding="utf-8")
    command = run.command()
    command[command.index("--"):command.index("--")] = ["--approvals", "queue", "--call-timeout", "2"]
    lines = [INITIALIZE, INITIALIZED, _call(2, "delete_flow", {"namespace": "prod", "flow_id": "billing"}),
             _call(3, "list_flows", {"namespace": "m3"})]
    started = time.monotonic()
    done = subprocess.run(command, input="".join(line + "\n" for line in lines).encode(),
                          capture_output=True, timeout=120, check=False)
    took = time.monotonic() - started
    assert done.returncode == 0, run.log.read_text(encoding="utf-8")
    by_id = {answer["id"]: answer for answer in _answers(done.stdout)}
    assert sorted(by_id) == [1, 2, 3], by_id
    assert _text(by_id[3]) == "flows of 'm3': hello, nightly"
    assert by_id[2]["error"]["message"] == ("no answer within 2 s of the end of the client's input: "
                                            "the gateway cancelled the request"), by_id[2]
    assert 2 <= took < 60, took
    assert "waits for approval" in run.log.read_text(encoding="utf-8")
    assert [line[:3] for line in run.audited()] == [("list_flows", "allowed", "ok"), ("delete_flow", "denied", None)]
    held = [a for a in outcome_lines(run.audit) if a["tool"] == "delete_flow"]
    assert held[0]["approval"] == "cancelled", held
    assert [entry["arguments"]["namespace"] for entry in run.ran()] == ["m3"]


def test_lines_typed_in_a_terminal_are_answered_by_the_relay_and_its_flags_are_left_alone(tmp_path: Path) -> None:
    run = Run(tmp_path)
    terminal = Terminal(run)
    try:
        assert not _nonblocking(terminal.slave)
        terminal.type(INITIALIZE)
        assert terminal.answer(1)["result"]["serverInfo"]["name"] == "flows-recording"
        # The terminal is shared with the shell: it must never be made non-blocking, not even
        # while the gateway runs.
        assert not _nonblocking(terminal.slave)
        terminal.type(INITIALIZED)
        terminal.type(AMBIGUOUS_ALLOWED_LAST)
        assert terminal.answer(6)["error"]["code"] == INVALID_REQUEST
        terminal.type(_call(9, "list_flows", {"namespace": "m9"}))
        assert _text(terminal.answer(9)) == "flows of 'm9': hello, nightly"
        os.write(terminal.master, b"\x04")  # ctrl+d at the start of a line: the end of the input
        assert terminal.process.wait(60) == 0
        assert fcntl.fcntl(terminal.slave, fcntl.F_GETFL) == terminal.flags
        assert termios.tcgetattr(terminal.slave) == terminal.modes
    finally:
        terminal.close()
    assert run.calls_received() == [{"name": "list_flows", "arguments": {"namespace": "m9"}}]
    assert [line[:3] for line in run.audited()] == [(None, "refused", None), ("list_flows", "allowed", "ok")]


async def test_a_file_is_read_no_further_ahead_than_a_pipe_while_its_lines_wait(tmp_path: Path) -> None:
    """Lines the relay has not taken yet pause the thread reading a file, as they pause a pipe,
    so a huge file is not read into memory ahead of the relay; taking them resumes it."""
    line = b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"' + b"x" * 960 + b'"}}\n'
    count = 20 * MAX_WAITING
    path = tmp_path / "calls.jsonl"
    path.write_bytes(line * count)
    fd = os.open(path, os.O_RDONLY)
    feed = LineFeed(limit=wire.MAX_MESSAGE_BYTES, overlong=wire.OVERLONG)
    reader = _ThreadReader(fd, feed, asyncio.get_running_loop())
    feed.set_transport(reader)
    reader.start()
    try:
        for _ in range(100):
            await asyncio.sleep(0.02)
            if not reader.is_reading():
                break
        await asyncio.sleep(0.3)  # long enough for a reader that did not stop to read it all
        assert not reader.is_reading()
        read_so_far = os.lseek(fd, 0, os.SEEK_CUR)
        assert read_so_far <= 4 * MAX_WAITING * len(line), read_so_far
        taken = [each async for each in feed.lines()]
        assert len(taken) == count and set(taken) == {line[:-1]}
    finally:
        reader.close()
