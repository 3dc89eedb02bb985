"""The gateway in front of a server that is hostile (or broken) about its tools, over stdio.

Each test starts `python -m policytui gateway` as an MCP client would, in front of
`tests/servers/misbehaving/hostile_tools.py`, which writes down every `tools/call` it receives:
what reached the server, what the client read and what the audit log says are checked
together. Also here: the audit log that cannot be written and the policy file rewritten in
place, which the gateway must not miss.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from audit_support import outcome_lines

from policytui.decision import Approval, Caller, Decision
from policytui.gateway.audit import AuditLog
from policytui.gateway.enforcer import AUDIT_RULE, Enforcer
from policytui.gateway.policy_watch import PolicyWatcher
from policytui.policy.model import Policy

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "tests" / "servers" / "misbehaving" / "hostile_tools.py"
DENY_DELETE = {"version": "1", "default": "allow", "tools": {"delete_x": {"action": "deny"}}}


class RawClient:
    """One gateway process and its standard input and output, read line by line."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        # The server behind the gateway, where a test started it itself (to see it exit).
        self.upstream: subprocess.Popen[Any] | None = None
        self.lines: queue.Queue[bytes] = queue.Queue()
        self._next = 100
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()

    def receive_raw(self, request_id: Any, seconds: float = 30) -> bytes:
        """The line answering `request_id`, as the gateway wrote it."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no answer to {request_id!r} within {seconds} s") from None
            if json.loads(line).get("id") == request_id:
                return line

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._next += 1
        self.send({"jsonrpc": "2.0", "id": self._next, "method": method, "params": params})
        answer: dict[str, Any] = json.loads(self.receive_raw(self._next))
        return answer

    def call(self, name: str) -> str:
        """The text of the tool result (or the error message) a call gets."""
        answer = self.request("tools/call", {"name": name, "arguments": {}})
        if "error" in answer:
            return str(answer["error"]["message"])
        return " ".join(item.get("text", "") for item in answer["result"]["content"])


def _gateway_command(tmp: Path, policy: dict[str, Any], *options: str) -> list[str]:
    policy_path = tmp / "policy.json"
    if not policy_path.exists():
        policy_path.write_text(json.dumps(policy), encoding="utf-8")
    return [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy_path),
            "--state", "memory://", *options, "--", sys.executable, str(SERVER)]


@contextmanager
def running_gateway(tmp: Path, command: list[str], env: dict[str, str] | None = None) -> Iterator[RawClient]:
    """The gateway `command` starts, initialized over stdio (its stderr in tmp/stderr.txt);
    stopped when the block ends."""
    with open(tmp / "stderr.txt", "wb") as stderr:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=stderr, env=env)
    client = RawClient(process)
    try:
        try:
            opened = client.request("initialize", {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}})
        except AssertionError:
            # No answer: a gateway that did not start says why on its standard error.
            if process.poll() is None:
                raise
            said = (tmp / "stderr.txt").read_text(encoding="utf-8", errors="replace")
            raise AssertionError(f"the gateway exited {process.returncode} before serving: {said[-2000:]}") from None
        assert "result" in opened, opened
        client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        yield client
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def gateway(tmp: Path, policy: dict[str, Any], *options: str, **env: str) -> Iterator[RawClient]:
    """The gateway in front of hostile_tools.py, initialized; stopped when the block ends."""
    environment = {**os.environ, "HOSTILE_RECORD": str(tmp / "received.txt"), **env}
    with running_gateway(tmp, _gateway_command(tmp, policy, *options), environment) as client:
        yield client


def _received(tmp: Path) -> list[str]:
    """The tool names the server was called with, the gateway's start-up probe left out."""
    path = tmp / "received.txt"
    names = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    return [name for name in names if not name.startswith("policytui-probe-")]


def _audit(path: Path) -> list[dict[str, Any]]:
    lines = outcome_lines(path)
    return [line for line in lines if line["decision"] != "probe"]


def test_a_listing_that_fails_after_start_is_asked_again_and_unlisted_names_stay_out(tmp_path: Path) -> None:
    """The server's second listing (the gateway's own, right after start) fails once. Without a
    list the gateway must not forward names the server does not list: a lenient server would
    run `delete_x`, which the policy denies, for `Delete_X`."""
    audit = tmp_path / "audit.jsonl"
    with gateway(tmp_path, DENY_DELETE, "--audit", str(audit), LIST_FAILS_AFTER_FIRST="1") as client:
        assert "[POLICY DENIED]" in client.call("delete_x")
        assert client.call("Delete_X") == "Unknown tool: Delete_X"
        assert client.call("delete-x") == "Unknown tool: delete-x"
        assert client.call("echo") == "ran echo"
    assert _received(tmp_path) == ["echo"]
    records = {line["tool"]: line for line in _audit(audit)}
    for name in ("Delete_X", "delete-x"):
        assert (records[name]["decision"], records[name]["rule"]) == ("denied", "server.tools")
    assert records["delete_x"]["rule"] == "tools.delete_x.action"


# Keys a server that folds letter case reads as one: the one the gateway decided on first, the
# other last, which wins in Go's encoding/json (`FOLD_KEYS`).
FOLDED_KEYS = [
    {"name": "echo", "Name": "delete_x", "arguments": {"call": "ok"}},
    {"name": "echo", "arguments": {"call": "ok"}, "ARGUMENTS": {"call": "rm"}},
    {"name": "echo", "arguments": {"call": "ok", "Call": "rm"}},
    {"name": "echo", "arguments": {"call": "ok"}, "argument\u017f": {"call": "rm"}},
    {"name": "echo", "arguments": {"call": "ok", "nested": {"ok": 1, "OK": 2}}},
]


def test_keys_alike_but_for_letter_case_are_refused_and_never_reach_the_server(tmp_path: Path) -> None:
    """A server on Go's encoding/json reads `Name` as `name` and keeps the last of the two:
    the gateway, deciding on `name` (echo, allowed), would have it run `delete_x`, or run
    `echo` with the argument `rm` the policy denies. Such a message is ambiguous, refused as
    one with a key twice is, and audited as refused."""
    audit = tmp_path / "audit.jsonl"
    policy = {"version": "1", "default": "allow", "tools": {
        "delete_x": {"action": "deny"},
        "echo": {"deny_if": [{"path": "args.call", "op": "eq", "value": "rm"}]}}}
    with gateway(tmp_path, policy, "--audit", str(audit), FOLD_KEYS="1", HOSTILE_RECORD_ARGUMENTS="1") as client:
        answers = [client.request("tools/call", params) for params in FOLDED_KEYS]
        after = client.request("tools/call", {"name": "echo", "arguments": {"call": "ok"}})
    assert after["result"]["content"][0]["text"] == "ran echo ok"
    for answer in answers:
        assert answer.get("error", {}).get("code") == -32600, answer
        assert "letter case" in answer["error"]["message"], answer
    received = [json.loads(line) for line in (tmp_path / "received.txt").read_text(encoding="utf-8").splitlines()]
    assert [call for call in received if not call[0].startswith("policytui-probe-")] == [["echo", {"call": "ok"}]]
    assert [line["decision"] for line in _audit(audit)] == ["refused"] * len(FOLDED_KEYS) + ["allowed"]


# A member of a call's params spelled in another letter case alone: the gateway reads no
# arguments, a server that folds letter case reads these.
MEMBERS_IN_ANOTHER_CASE = [
    {"name": "echo", "Arguments": {"call": "forced", "force": True}},
    {"name": "echo", "argument\u017f": {"call": "forced", "force": True}},
    {"name": "echo", "ARGUMENTS": {"call": "forced", "force": True}, "Task": {"ttl": 60000}},
]


def test_a_call_member_in_another_letter_case_is_refused_and_never_reaches_the_server(tmp_path: Path) -> None:
    """`Arguments` with no `arguments`: the gateway decided on no arguments, so a `deny_if`
    on an argument that exists held for none, while a server on Go's encoding/json ran the
    tool with `force`. Such a call is refused, audited as refused, and never forwarded."""
    audit = tmp_path / "audit.jsonl"
    policy = {"version": "1", "default": "allow", "tools": {
        "echo": {"deny_if": [{"path": "args.force", "op": "exists", "value": True}]}}}
    with gateway(tmp_path, policy, "--audit", str(audit), FOLD_KEYS="1", HOSTILE_RECORD_ARGUMENTS="1") as client:
        answers = [client.request("tools/call", params) for params in MEMBERS_IN_ANOTHER_CASE]
        after = client.request("tools/call", {"name": "echo", "arguments": {"call": "ok"}})
    assert after["result"]["content"][0]["text"] == "ran echo ok"
    for answer in answers:
        assert answer.get("error", {}).get("code") == -32602, answer
        assert "letter case" in answer["error"]["message"], answer
    received = [json.loads(line) for line in (tmp_path / "received.txt").read_text(encoding="utf-8").splitlines()]
    assert [call for call in received if not call[0].startswith("policytui-probe-")] == [["echo", {"call": "ok"}]]
    assert [(line["decision"], line["tool"]) for line in _audit(audit)] == [
        ("refused", "echo")] * len(MEMBERS_IN_ANOTHER_CASE) + [("allowed", "echo")]


def test_an_argument_in_another_letter_case_counts_against_the_caller_and_never_reaches_the_server(
        tmp_path: Path) -> None:
    """`{"Force": true}` under `deny_if args.force exists`: the gateway found no `force` and let
    the call through, while a server on Go's encoding/json ran the tool forced. Such a call is
    denied, saying why, and never forwarded."""
    audit = tmp_path / "audit.jsonl"
    policy = {"version": "1", "default": "allow", "tools": {
        "echo": {"deny_if": [{"path": "args.force", "op": "exists", "value": True}]}}}
    calls = [{"call": "forced", "Force": True}, {"call": "forced", "FORCE": True}]
    with gateway(tmp_path, policy, "--audit", str(audit), FOLD_KEYS="1", HOSTILE_RECORD_ARGUMENTS="1") as client:
        answers = [client.request("tools/call", {"name": "echo", "arguments": args}) for args in calls]
        after = client.request("tools/call", {"name": "echo", "arguments": {"call": "ok"}})
    assert after["result"]["content"][0]["text"] == "ran echo ok"
    for answer in answers:
        text = answer["result"]["content"][0]["text"]
        assert answer["result"]["isError"] is True and "differing only in letter case" in text, answer
    received = [json.loads(line) for line in (tmp_path / "received.txt").read_text(encoding="utf-8").splitlines()]
    assert [call for call in received if not call[0].startswith("policytui-probe-")] == [["echo", {"call": "ok"}]]
    assert [(line["decision"], line["tool"]) for line in _audit(audit)] == [
        ("denied", "echo")] * len(calls) + [("allowed", "echo")]


def test_a_server_that_cannot_list_its_tools_again_stops_the_gateway(tmp_path: Path) -> None:
    environment = {**os.environ, "HOSTILE_RECORD": str(tmp_path / "received.txt"), "LIST_FAILS_AFTER_FIRST": "5"}
    finished = subprocess.run(
        _gateway_command(tmp_path, DENY_DELETE, "--audit", str(tmp_path / "audit.jsonl")),
        stdin=subprocess.PIPE, capture_output=True, env=environment, timeout=60, check=False,
    )
    assert finished.returncode == 1
    assert b"failed to list its tools" in finished.stderr
    assert finished.stdout == b""
    assert _received(tmp_path) == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full to make writes fail")
def test_calls_are_denied_while_the_audit_log_cannot_be_written(tmp_path: Path) -> None:
    """/dev/full refuses every write as a full disk does: no call may reach the server
    unaudited."""
    with gateway(tmp_path, DENY_DELETE, "--audit", "/dev/full") as client:
        for _ in range(3):
            assert client.call("echo") == (
                "[POLICY DENIED] the audit log cannot be written; every call is denied until it can be")
    assert _received(tmp_path) == []
    log = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert log.count("every call is denied until it can be written") <= 1


async def test_calls_go_on_once_the_audit_log_can_be_written_again(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(path)
    enforcer = Enforcer(lambda: Policy.from_document({"version": "1", "default": "allow"}), audit=audit)
    forwarded: list[str] = []

    async def forward() -> dict[str, Any]:
        forwarded.append("call")
        await anyio.sleep(0)
        return {"content": []}

    async def never(decision: Decision) -> tuple[Approval, str]:
        raise AssertionError("no approval expected")

    async def call() -> dict[str, Any]:
        return await enforcer.handle_call("echo", {}, Caller(), forward, never)

    working = audit._fd
    assert working is not None
    full = os.open("/dev/full", os.O_WRONLY) if os.path.exists("/dev/full") else None
    if full is None:
        pytest.skip("needs /dev/full to make writes fail")
    try:
        audit._fd = full
        first = await call()  # its line before sending cannot be written: never forwarded
        assert first["isError"] is True and audit.failing and forwarded == []
        denied = await call()
        assert denied["isError"] is True and forwarded == []
        audit._fd = working
        again = await call()  # denied, and its own line is written: the log works again
        assert again["isError"] is True and not audit.failing
        assert (await call()).get("isError") is not True
        assert len(forwarded) == 1
    finally:
        audit._fd = working
        os.close(full)
        audit.close()
    records = outcome_lines(path)
    assert [(r["decision"], r["rule"]) for r in records] == [("denied", AUDIT_RULE), ("allowed", "default")]


def test_a_line_the_server_writes_to_stderr_never_reads_as_an_audit_record(tmp_path: Path) -> None:
    """With `--audit -` the records share standard error with the log, which quotes the
    server's last stderr lines when it dies: those must not read as records."""
    with gateway(tmp_path, DENY_DELETE, "--audit", "-") as client:
        client.call("die")
        deadline = time.monotonic() + 30
        while "while serving" not in (tmp_path / "stderr.txt").read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, "the gateway never logged the server's exit"
            time.sleep(0.05)
    text = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert "forged by the server" in text  # quoted in the log, for a person to read
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        records.append(record)
    assert records and all(record.get("session") != "forged" for record in records), records


def _peak_memory(pid: int) -> int:
    """The most memory (resident, in bytes) the process has held so far: VmHWM."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the peak memory from /proc")
def test_a_reply_over_the_limit_fails_closed_with_bounded_memory(tmp_path: Path) -> None:
    """The server answers a call with one line of 256 MiB: the gateway must not hold it. The
    call is answered with an error at once and audited `too_large`, the server is stopped as
    if it had died, and the next call is refused instead of waiting for an answer that never
    comes."""
    limit = 64 << 20  # policytui.discovery.limits.MAX_SERVER_MESSAGE_BYTES
    audit = tmp_path / "audit.jsonl"
    with gateway(tmp_path, DENY_DELETE, "--audit", str(audit), HUGE_REPLY_MB="256") as client:
        before = _peak_memory(client.process.pid)
        started = time.monotonic()
        answer = client.request("tools/call", {"name": "huge", "arguments": {}})
        assert time.monotonic() - started < 10
        grown = _peak_memory(client.process.pid) - before
        assert grown < limit + (32 << 20), f"the gateway grew by {grown >> 20} MiB"
        assert answer["error"]["message"] == (
            "the upstream MCP server is unavailable (it sent a message larger than 64 MiB and was stopped)")
        assert "unavailable" in client.call("echo")
    records = [r for r in _records(audit) if r.get("tool") == "huge"]
    # Audited `too_large`, as an answer over the limit is over HTTP: its charge is kept.
    assert [(r["decision"], r["upstream"]) for r in records] == [("allowed", "sent"), ("allowed", "too_large")]
    log = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert log.count("larger than 64 MiB") == 1, log


def test_a_tool_list_over_the_limit_at_start_is_a_start_failure(tmp_path: Path) -> None:
    environment = {**os.environ, "HUGE_LISTING": "1", "HUGE_REPLY_MB": "100"}
    finished = subprocess.run(
        _gateway_command(tmp_path, DENY_DELETE, "--no-audit"),
        stdin=subprocess.PIPE, capture_output=True, env=environment, timeout=60, check=False,
    )
    assert finished.returncode == 1
    assert finished.stdout == b""
    assert finished.stderr.decode().strip().splitlines()[-1] == (
        "policytui gateway: server 'hostile_tools.py' sent a message larger than 64 MiB (the limit) "
        "while answering tools/list; it was stopped.")


def test_a_start_failure_marks_each_line_the_server_wrote(tmp_path: Path) -> None:
    """The report of a server that failed to start shares standard error with the log and
    `--audit -`: the server's lines are marked as its own, as the log marks them."""
    server = ROOT / "tests" / "servers" / "misbehaving" / "exits_at_start.py"
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(DENY_DELETE), encoding="utf-8")
    finished = subprocess.run(
        [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy), "--state", "memory://",
         "--audit", "-", "--log", os.devnull, "--", sys.executable, str(server)],
        stdin=subprocess.PIPE, capture_output=True, timeout=60, check=False,
    )
    assert finished.returncode == 1
    report = finished.stderr.decode().splitlines()
    assert report[0] == "policytui gateway: server 'exits_at_start.py' exited with code 3 before answering initialize."
    assert report[1] == "Last lines the server wrote to stderr:"
    assert report[2:] and all(line.startswith("  | ") for line in report[2:]), report
    assert "  | fatal: KESTRA_BASE_URL is not set; cannot start" in report


def test_a_tools_list_answer_with_a_key_twice_reaches_the_client_as_filtered(tmp_path: Path) -> None:
    """The server gives `tools` twice, the first copy holding the hidden tool: the client must
    get the list the gateway filtered, not a line a first-key parser reads another way."""
    policy = {"version": "1", "default": "allow", "hide": ["secret"]}
    with gateway(tmp_path, policy, "--no-audit", DUPLICATE_TOOLS="1") as client:
        client.send({"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}})
        raw = client.receive_raw(7)
    assert b"secret" not in raw
    assert [tool["name"] for tool in json.loads(raw)["result"]["tools"]] == ["echo", "delete_x", "die", "hang", "huge"]


def test_a_policy_rewritten_in_place_with_its_old_times_is_reloaded(tmp_path: Path) -> None:
    """`cp -p`, `install -p` and `rsync --inplace` rewrite a file in place and set its
    modification time back: same size, same time, same inode."""
    allow = '{"version": "1", "default": "allow", "tools": {"echo": {"action": "allow"}}}\n'
    deny = '{"version": "1", "default": "allow", "tools": {"echo": {"action": "deny" }}}\n'
    assert len(allow) == len(deny)
    policy = tmp_path / "policy.json"
    policy.write_text(allow, encoding="utf-8")
    os.utime(policy, ns=(1_577_836_800_000_000_000, 1_577_836_800_000_000_000))  # 2020-01-01
    with gateway(tmp_path, {}, "--no-audit", "--reload-interval", "0.1") as client:
        assert client.call("echo") == "ran echo"
        before = os.stat(policy)
        with open(policy, "r+", encoding="utf-8") as rewrite:
            rewrite.write(deny)
        os.utime(policy, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = os.stat(policy)
        assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
        deadline = time.monotonic() + 15
        while "[POLICY DENIED]" not in client.call("echo"):
            assert time.monotonic() < deadline, "the rewritten policy was never enforced"
            time.sleep(0.05)


def test_the_watcher_sees_a_same_size_rewrite_in_the_same_clock_tick(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "allow"}', encoding="utf-8")
    watcher = PolicyWatcher(policy)
    seen = os.stat(policy)
    with open(policy, "r+", encoding="utf-8") as rewrite:
        rewrite.write('{"version": "1", "default": "deny" }')
    os.utime(policy, ns=(seen.st_atime_ns, seen.st_mtime_ns))  # what a coarse clock shows
    assert watcher.check() is True
    assert watcher.policy.default == "deny"


def _records(path: Path) -> list[dict[str, Any]]:
    """Every whole record of an audit log (a line a full file cut short is left out)."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def test_a_gateway_killed_while_the_server_works_leaves_the_calls_line(tmp_path: Path) -> None:
    """`kill -9` while a call is with the server: the call's line was written before it went."""
    audit = tmp_path / "audit.jsonl"
    environment = {**os.environ, "HOSTILE_RECORD": str(tmp_path / "received.txt"),
                   "MISBEHAVING_PIDFILE": str(tmp_path / "pids.txt")}
    process = subprocess.Popen(
        _gateway_command(tmp_path, DENY_DELETE, "--audit", str(audit)), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=environment)
    client = RawClient(process)
    try:
        client.request("initialize", {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}})
        client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        client.send({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "hang", "arguments": {}}})
        deadline = time.monotonic() + 30
        while "hang" not in _received(tmp_path):  # the server has the call
            assert time.monotonic() < deadline, "the server never got the call"
            time.sleep(0.02)
        process.kill()
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        for pid in (tmp_path / "pids.txt").read_text().split() if (tmp_path / "pids.txt").exists() else ():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
    hang = [record for record in _records(audit) if record.get("tool") == "hang"]
    assert [(r["decision"], r["upstream"]) for r in hang] == [("allowed", "sent")]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a file size limit (RLIMIT_FSIZE)")
def test_a_burst_while_the_audit_log_fills_reaches_the_server_only_with_lines(tmp_path: Path) -> None:
    """The audit file may grow to about ten lines (a file size limit on the gateway, as a full
    disk would do); thirty calls are sent in one burst. Each call the server received has its
    line; the others are denied by the audit rule."""
    import resource

    audit = tmp_path / "audit.jsonl"

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4000, 4000))

    environment = {**os.environ, "HOSTILE_RECORD": str(tmp_path / "received.txt")}
    process = subprocess.Popen(
        _gateway_command(tmp_path, DENY_DELETE, "--audit", str(audit), "--log", os.devnull),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=environment,
        preexec_fn=small_files)
    client = RawClient(process)
    try:
        client.request("initialize", {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}})
        client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        ids = list(range(1000, 1030))
        for request_id in ids:
            client.send({"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                         "params": {"name": "echo", "arguments": {"n": request_id}}})
        # Denials are answered at once, calls that ran when the server answers: in any order.
        got: dict[Any, dict[str, Any]] = {}
        deadline = time.monotonic() + 60
        while len(got) < len(ids):
            line = client.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            message = json.loads(line)
            if message.get("id") in ids:
                got[message["id"]] = message
        answers = [got[request_id] for request_id in ids]
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=20)
    texts = [" ".join(item.get("text", "") for item in a["result"]["content"]) for a in answers]
    ran = [text for text in texts if text == "ran echo"]
    denied = [text for text in texts if "the audit log cannot be written" in text]
    assert ran and denied and len(ran) + len(denied) == len(ids)
    received = [name for name in _received(tmp_path) if name == "echo"]
    sent = [r for r in _records(audit) if r.get("tool") == "echo" and r.get("upstream") == "sent"]
    assert len(received) == len(ran) == len(sent)
