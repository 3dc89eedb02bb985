"""Refused calls the stdio relay never reached still have their audit line.

The installed `policytui gateway` runs over stdio in front of the Python-SDK flows server
behind `tee_stdin.py`. The client asks for an answer of about 1 MB and takes none of it, so the
gateway, its output backed up, reads on but serves nothing more; the client then sends a burst
ending with refused call forms (duplicate keys, malformed JSON claiming `tools/call`, a batch, a
call without an id, another spelling of `tools/call`, a line over the size limit) and one
ordinary call, waits until the gateway has taken every byte of it from the pipe, and leaves.
Judged from outside: the server received none of the burst, each refused call has exactly one
`refused` audit line with the reason it would have been answered, the ordinary call its line as
not sent, and the log one WARNING line for each refused message. Before, the refused forms
among the lines serving never reached left no line at all, though reached they would have.

The messages refused before serving (a call without an id, a method no one serves, a protocol
version that does not fit, a `server/discover` naming one) are sent once reached and once
unreached: their audit lines say the same.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines
from gateway_support import flows_behind_tee, stop

from policytui.gateway.audit import args_digest
from policytui.gateway.enforcer import CANCELLED_BEFORE_START
from policytui.gateway.modern import CAPABILITIES_KEY, VERSION_KEY

pytestmark = [pytest.mark.servers]

POLICYTUI = str(Path(sys.executable).with_name("policytui"))
# An answer far larger than the pipe to the client (64 kB) and the gateway's backlog (64 KiB).
LARGE = "n" * (1 << 20)
ARGUMENTS = {"namespace": "prod"}


def _call(request_id: Any, method: str = "tools/call") -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method,
                               "params": {"name": "list_flows", "arguments": ARGUMENTS}}
    if request_id is not None:
        message["id"] = request_id
    return message


def _line(message: Any) -> bytes:
    return json.dumps(message).encode()


DUPLICATE_KEYS = "Invalid Request: a key appears twice in one object (ambiguous)"
# (the line, the audit lines it must leave: (tool, reason, args digest) each)
REFUSED: list[tuple[bytes, list[tuple[str | None, str, str | None]]]] = [
    (_line(_call(3)).replace(b'"namespace": "prod"', b'"namespace": "prod", "namespace": "dev"'),
     [(None, DUPLICATE_KEYS, None)]),
    (_line(_call(4))[:-1], [(None, "Parse error: the message is not one standard JSON value", None)]),
    (_line([_call(5)]), [("list_flows", "Invalid Request: batches are not supported", args_digest(ARGUMENTS))]),
    (_line(_call(None)), [("list_flows", "Invalid Request: 'tools/call' needs an id", args_digest(ARGUMENTS))]),
    (_line(_call(6, method="Tools/Call")), [(None, "Method not found", None)]),
    (b'{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "list_flows", "arguments": '
     b'{"namespace": "' + b"x" * (9 << 20) + b'"}}}', [(None, "Invalid Request: the message is too large", None)]),
]
# Refused, but plainly no call: logged, not audited.
NOT_A_CALL = b'{"jsonrpc": "2.0", "method": "notifications/progress", "params": {"a": 1, "a": 2}}'
ORDINARY = _line(_call(8))


def _unread_bytes(fd: int) -> int:
    """The bytes written into a pipe and not yet read from it (either end's descriptor)."""
    return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"), sys.byteorder)


def _until(condition: Callable[[], Any], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _started_gateway(tmp: Path) -> subprocess.Popen[bytes]:
    """The installed gateway over stdio in front of the flows server behind `tee_stdin.py`
    (audit, log and what the server received in TMP), its client initialized."""
    tmp.mkdir(exist_ok=True)
    (tmp / "policy.json").write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    with open(tmp / "gateway.log.stderr", "ab") as stderr:
        process = subprocess.Popen(
            [POLICYTUI, "gateway", "--policy", str(tmp / "policy.json"), "--state-dir", str(tmp / "state"),
             "--audit", str(tmp / "audit.jsonl"), "--log", str(tmp / "gateway.log"), "--", *flows_behind_tee(tmp)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(_line({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "mallory", "version": "1"}}})
            + b"\n" + b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["id"] == 0
    except BaseException:
        stop(process)
        raise
    return process


def _send_unreached(process: subprocess.Popen[bytes], lines: list[bytes]) -> None:
    """Send `lines` where the gateway takes them from the pipe but serving never reaches them,
    then leave (both ends of the client's pipes closed) and wait for the gateway to exit."""
    assert process.stdin is not None and process.stdout is not None
    # The large answer, never read: once the pipe to the client is full, the rest of it
    # waits in the gateway, which then serves nothing more until the client reads.
    process.stdin.write(_line({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "list_flows", "arguments": {"namespace": LARGE}}}) + b"\n")
    process.stdin.flush()
    stdout = process.stdout
    _until(lambda: _unread_bytes(stdout.fileno()) > 32_768, "the large answer never came")
    # A ping the relay takes and cannot answer; behind it, the lines it never reaches.
    process.stdin.write(b"\n".join([_line({"jsonrpc": "2.0", "id": 2, "method": "ping"}), *lines]) + b"\n")
    process.stdin.flush()
    stdin = process.stdin
    _until(lambda: _unread_bytes(stdin.fileno()) == 0, "the gateway did not take the burst")
    process.stdin.close()
    process.stdout.close()
    process.wait(timeout=30)


def test_refused_calls_the_relay_never_reached_are_audited_once_never_sent(tmp_path: Path) -> None:
    process = _started_gateway(tmp_path)
    try:
        _send_unreached(process, [*(line for line, _ in REFUSED), NOT_A_CALL, ORDINARY])
    finally:
        stop(process)
    received = (tmp_path / "received.bin").read_bytes()
    calls = [json.loads(line) for line in received.split(b"\n") if b'"tools/call"' in line]
    assert [call["id"] for call in calls if not call["params"]["name"].startswith("policytui-probe-")] == [1]
    lines = [line for line in outcome_lines(tmp_path / "audit.jsonl") if line["decision"] != "probe"]
    refused = [line for line in lines if line["decision"] == "refused"]
    assert [(line["tool"], line["reason"], line["args_sha256"]) for line in refused] == [
        expected for _, lines_of in REFUSED for expected in lines_of], refused
    assert all(line["rule"] == "wire" and "upstream" not in line for line in refused), refused
    decided = [(line["tool"], line["decision"], line.get("upstream"), line["reason"] if line["decision"] == "denied"
                else None) for line in lines if line["decision"] != "refused"]
    assert decided == [("list_flows", "allowed", "ok", None), ("list_flows", "denied", None, CANCELLED_BEFORE_START)]
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    warnings = [line for line in log.splitlines() if " WARNING " in line and "refused a client message" in line]
    assert len(warnings) == len(REFUSED) + 1, warnings
    assert "not a tool call; not audited" in warnings[-1], warnings[-1]
    assert "Traceback" not in log and "prod" not in log, log[-3000:]


def _modern_call(request_id: int, meta: dict[str, Any]) -> bytes:
    return _line({"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                  "params": {"name": "list_flows", "arguments": ARGUMENTS, "_meta": meta}})


# The messages refused before any of them is served, each form of it.
BEFORE_SERVING = [
    _line(_call(None)),  # a request in notification form
    _line(_call(11, method="Tools/Call")),  # a method the gateway does not forward
    _modern_call(12, {VERSION_KEY: "2025-01-01", CAPABILITIES_KEY: {}}),  # a version not served
    _modern_call(13, {VERSION_KEY: 20260728, CAPABILITIES_KEY: {}}),  # a version that is no string
    _modern_call(14, {VERSION_KEY: "2026-07-28"}),  # 2026-07-28 without the client's capabilities
    _line({"jsonrpc": "2.0", "id": 15, "method": "server/discover",  # answered, never audited
           "params": {"_meta": {VERSION_KEY: "2025-01-01"}}}),
]


def _refused_lines(audit: Path) -> list[tuple[Any, ...]]:
    return [(line["decision"], line["rule"], line["reason"], line["code"]) for line in outcome_lines(audit)
            if line["decision"] == "refused"]


def test_messages_refused_before_serving_are_audited_alike_reached_or_not(tmp_path: Path) -> None:
    reached = _started_gateway(tmp_path / "reached")
    assert reached.stdin is not None and reached.stdout is not None
    try:
        reached.stdin.write(b"\n".join([*BEFORE_SERVING, _line({"jsonrpc": "2.0", "id": 99, "method": "ping"})])
                            + b"\n")
        reached.stdin.flush()
        # Lines are served in order: once the ping is answered, every refusal before it was.
        answers = [json.loads(reached.stdout.readline()) for _ in range(len(BEFORE_SERVING) + 1)]
        assert answers[-1] == {"jsonrpc": "2.0", "id": 99, "result": {}}, answers
        reached.stdin.close()
        reached.wait(timeout=30)
    finally:
        stop(reached)
    unreached = _started_gateway(tmp_path / "unreached")
    try:
        _send_unreached(unreached, BEFORE_SERVING)
    finally:
        stop(unreached)

    as_reached = _refused_lines(tmp_path / "reached" / "audit.jsonl")
    assert as_reached == [
        ("refused", "wire", "Invalid Request: 'tools/call' needs an id", -32600),
        ("refused", "wire", "Method not found", -32601),
        ("refused", "wire", "Unsupported protocol version", -32022),
        ("refused", "wire", "Unsupported protocol version", -32022),
        ("refused", "wire", f"Invalid params: _meta is missing {CAPABILITIES_KEY}", -32602),
    ], as_reached
    assert _refused_lines(tmp_path / "unreached" / "audit.jsonl") == as_reached
    for run in ("reached", "unreached"):
        received = (tmp_path / run / "received.bin").read_bytes()
        assert b"Tools/Call" not in received and b"2025-01-01" not in received, run
