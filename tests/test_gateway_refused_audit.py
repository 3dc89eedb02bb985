"""Every call a client attempts is in the audit log, the ones the wire rules refuse too.

An attacker probing the installed `policytui gateway` sends messages it refuses before
anything is decided: duplicate keys, two keys alike in NFC, a `tools/call` without an id, a
batch, malformed JSON claiming to be a `tools/call`, a `Tools/Call` spelling, two calls glued
on one line. Over stdio and
over HTTP, in front of the Python-SDK flows server behind `tee_stdin.py`, this checks from the
server's side that it read none of them, that each call among them has exactly one `refused`
audit line with the refusal's reason (the tool and its arguments' digest only when read without
doubt), that nothing was charged (a limit of two calls a day still lets both allowed calls
through), and that the gateway's log, at its default level, has one WARNING line for each
refused message, with none of the message's text.
"""

from __future__ import annotations

import http.client
import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from audit_support import outcome_lines, sent_lines
from gateway_support import flows_behind_tee, start_http_gateway, stop

from policytui.gateway import wire
from policytui.gateway.audit import args_digest

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

# The installed command, as a user runs it.
POLICYTUI = (str(Path(sys.executable).with_name("policytui")),)
TOKEN = "mallory-token-0123456789abcdef"
ALLOWED_CALLS = 2  # the limit a day: a refused call charged would have the second allowed one denied
POLICY = {
    "version": "1",
    "default": "deny",
    "tools": {"set_options": {
        "require": [{"path": "args.options.Kanal", "op": "eq", "value": "lesen"}],
        "limits": [{"counter": "options", "window": "day", "max": ALLOWED_CALLS}],
    }},
}
ALLOWED = {"options": {"Kanal": "lesen"}}
SECRETISH = "schreiben-ghp_0123456789"  # a value no log line may quote


def _call(request_id: Any, arguments: Any = ALLOWED, method: str = "tools/call") -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method,
                               "params": {"name": "set_options", "arguments": arguments}}
    if request_id is not None:
        message["id"] = request_id
    return message


def _line(message: Any) -> bytes:
    return json.dumps(message).encode()


# (label, the raw message, the audit lines it must leave: (tool, reason, args digest) each)
ALLOWED_LINE = _line(_call(1))
DUPLICATE_KEYS = "Invalid Request: a key appears twice in one object (ambiguous)"
BATCHES = "Invalid Request: batches are not supported"
NOT_JSON = "Parse error: the message is not one standard JSON value"
ATTEMPTS: list[tuple[str, bytes, list[tuple[str | None, str, str | None]]]] = [
    ("duplicate keys", _line(_call(2)).replace(b'"Kanal": "lesen"', b'"Kanal": "lesen", "Kanal": "' + SECRETISH.encode() + b'"'),
     [(None, DUPLICATE_KEYS, None)]),
    ("keys alike in NFC", _line(_call(3, {"options": {"Kanal": "lesen", "\u212aanal": SECRETISH}})),
     [(None, wire.KEYS_ALIKE_IN_NFC, None)]),
    ("a tools/call with no id", _line(_call(None)),
     [("set_options", "Invalid Request: 'tools/call' needs an id", args_digest(ALLOWED))]),
    ("a batch of two calls", _line([_call(4), _call(5, {"options": {"Kanal": SECRETISH}})]),
     [("set_options", BATCHES, args_digest(ALLOWED)),
      ("set_options", BATCHES, args_digest({"options": {"Kanal": SECRETISH}}))]),
    ("malformed JSON claiming tools/call", _line(_call(6))[:-1], [(None, NOT_JSON, None)]),
    ("another spelling of tools/call", _line(_call(7, method="Tools/Call")), [(None, "Method not found", None)]),
    # Two calls glued on one line, a `tools/list` between them: one attempt each, the list no call.
    ("two calls glued on one line", _line(_call(10)) + b'{"jsonrpc":"2.0","id":11,"method":"tools/list"}'
     + _line(_call(12, {"options": {"Kanal": SECRETISH}})), [(None, NOT_JSON, None)] * 2),
]
# A refused message that is plainly no call: logged, not audited.
NOT_A_CALL = b'{"jsonrpc": "2.0", "method": "notifications/progress", "params": {"a": 1, "a": 2}}'
LAST_LINE = _line(_call(9))


def _received_calls(tmp: Path) -> list[dict[str, Any]]:
    path = tmp / "received.bin"
    raw = path.read_bytes() if path.exists() else b""
    messages = [json.loads(line) for line in raw.split(b"\n") if line.strip()]
    return [m for m in messages if m.get("method") == "tools/call"
            and not str(m["params"]["name"]).startswith("policytui-probe-")]


def _options(tmp: Path) -> list[str]:
    (tmp / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    return ["--policy", str(tmp / "policy.json"), "--state-dir", str(tmp / "state"),
            "--audit", str(tmp / "audit.jsonl")]


def _judge(tmp: Path, session_prefix: str) -> None:
    """The server's side, the audit log and the log, after every attempt and both allowed calls."""
    received = _received_calls(tmp)
    assert [(m["params"]["name"], m["params"]["arguments"]) for m in received] == [("set_options", ALLOWED)] * 2
    executed = [json.loads(line) for line in (tmp / "executed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert executed == [{"tool": "set_options", "arguments": ALLOWED}] * 2
    audit = tmp / "audit.jsonl"
    lines = [line for line in outcome_lines(audit) if line["decision"] != "probe"]
    decided = [line for line in lines if line["decision"] != "refused"]
    assert [(line["tool"], line["decision"], line.get("upstream")) for line in decided] == [
        ("set_options", "allowed", "ok")] * 2, decided
    assert len([line for line in sent_lines(audit) if line["decision"] != "probe"]) == 2
    refused = [line for line in lines if line["decision"] == "refused"]
    assert [(line["tool"], line["reason"], line["args_sha256"]) for line in refused] == [
        expected for _, _, lines_of in ATTEMPTS for expected in lines_of], refused
    for line in refused:
        assert line["rule"] == "wire" and line["session"].startswith(session_prefix), line
        assert "upstream" not in line and "policy_sha256" not in line, line
    # The log, at its default level: one WARNING line per refused message, none quoting it.
    log = (tmp / "gateway.log").read_text(encoding="utf-8")
    warnings = [line for line in log.splitlines() if " WARNING " in line and "refused a client message" in line]
    assert len(warnings) == len(ATTEMPTS) + 1, warnings
    for (label, _, lines_of), warning in zip(ATTEMPTS, warnings, strict=False):
        assert lines_of[0][1] in warning, (label, warning)
        assert f"audited as {len(lines_of)} tool call" in warning, (label, warning)
    assert "not a tool call; not audited" in warnings[-1], warnings[-1]
    assert SECRETISH not in log and "Kanal" not in log and "Traceback" not in log, log[-3000:]


class _StdioClient:
    """A client on the gateway's real pipes: lines in, answers read by a thread."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.answers: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.answers.put(json.loads(line))

    def send(self, line: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()

    def answer(self, request_id: Any, seconds: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while True:
            answer = self.answers.get(timeout=max(0.01, deadline - time.monotonic()))
            if answer.get("id") == request_id:
                return answer


def test_refused_calls_over_stdio_are_audited_never_charged_or_sent(tmp_path: Path) -> None:
    with open(tmp_path / "gateway.log.stderr", "ab") as stderr:
        process = subprocess.Popen([*POLICYTUI, "gateway", *_options(tmp_path), "--log", str(tmp_path / "gateway.log"),
                                    "--", *flows_behind_tee(tmp_path)],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
    try:
        client = _StdioClient(process)
        client.send(_line({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "mallory", "version": "1"}}}))
        assert "result" in client.answer(0)
        client.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')
        client.send(ALLOWED_LINE)
        assert client.answer(1)["result"]["isError"] is False
        for _label, line, _ in ATTEMPTS:
            client.send(line)
        client.send(NOT_A_CALL)
        client.send(LAST_LINE)
        assert client.answer(9)["result"]["isError"] is False  # the limit was not charged by any refusal
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)
    _judge(tmp_path, "")
    # Replaying the audit log reads the two decided calls and skips the refused lines, which
    # no policy decides.
    replayed = subprocess.run([*POLICYTUI, "replay", "--policy", str(tmp_path / "policy.json"), "--json",
                               str(tmp_path / "audit.jsonl")], capture_output=True, timeout=60)
    assert json.loads(replayed.stdout)["calls"] == 2, replayed.stderr


def _post(url: str, body: bytes, session: str | None) -> tuple[int, bytes, str | None]:
    parts = urlsplit(url)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
               "Accept": "application/json, text/event-stream"}
    if session:
        headers |= {"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"}
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    try:
        conn.request("POST", parts.path, body, headers)
        response = conn.getresponse()
        return response.status, response.read(), response.headers.get("mcp-session-id")
    finally:
        conn.close()


def test_refused_calls_over_http_are_audited_never_charged_or_sent(tmp_path: Path) -> None:
    (tmp_path / "tokens.json").write_text(json.dumps({TOKEN: "mallory"}), encoding="utf-8")
    listening = start_http_gateway([*_options(tmp_path), "--tokens", str(tmp_path / "tokens.json")],
                                   flows_behind_tee(tmp_path), tmp_path / "gateway.log", command=POLICYTUI)
    try:
        status, _, session = _post(listening.url, _line({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "mallory", "version": "1"}}}), None)
        assert status == 200 and session
        assert _post(listening.url, b'{"jsonrpc": "2.0", "method": "notifications/initialized"}', session)[0] == 202
        status, body, _ = _post(listening.url, ALLOWED_LINE, session)
        assert status == 200 and b'"isError":false' in body.replace(b" ", b""), body
        for label, line, _ in ATTEMPTS:
            status, body, _ = _post(listening.url, line, session)
            assert status in (200, 400) and b'"error"' in body and b'"result"' not in body, (label, status, body)
        assert _post(listening.url, NOT_A_CALL, session)[0] == 400
        status, body, _ = _post(listening.url, LAST_LINE, session)
        assert status == 200 and b'"isError":false' in body.replace(b" ", b""), body
    finally:
        stop(listening.process)
    _judge(tmp_path, "http:")
