"""The credentials the gateway holds for its server never reach the gateway's clients.

`policytui gateway ... --header 'Authorization: Bearer ${env:TOKEN}'` puts a real HTTP server
that wants a bearer token behind the gateway; the server repeats the token in its instructions
and in a tool's description. The client, speaking raw JSON lines to the installed command,
must see *** there, and the token nowhere in anything it reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

MISBEHAVING = Path(__file__).parent / "servers" / "misbehaving"
TOKEN = "tok-held-by-the-gateway-5150"


@pytest.fixture()
def token_server() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, str(MISBEHAVING / "token_http.py")],
        env={**os.environ, "EXPECTED_TOKEN": TOKEN, "ECHO_TOKEN": "1"},
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    yield f"http://127.0.0.1:{port}/mcp"
    proc.kill()
    proc.wait(timeout=10)


def _answer(process: subprocess.Popen[str], request_id: int, seen: list[str]) -> dict[str, Any]:
    """Read lines until the answer to `request_id` (each line kept in `seen`)."""
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        message = json.loads(line)
        if message.get("id") == request_id:
            return message
    raise AssertionError(f"no answer to request {request_id}; read: {seen}")


def test_the_servers_echo_of_its_token_reaches_clients_as_stars(tmp_path: Path, token_server: str) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy),
         "--state-dir", str(tmp_path / "state"), token_server,
         "--header", "Authorization: Bearer ${env:TOKEN}"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TOKEN": TOKEN},
    )
    assert process.stdin is not None
    seen: list[str] = []
    try:
        def send(message: dict[str, Any]) -> None:
            assert process.stdin is not None
            process.stdin.write(json.dumps(message) + "\n")
            process.stdin.flush()

        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}}})
        init = _answer(process, 1, seen)
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        tools = _answer(process, 2, seen)
    finally:
        process.stdin.close()
        process.wait(timeout=30)
    assert init["result"]["instructions"] == "Authenticated with ***."
    assert tools["result"]["tools"][0]["description"] == "Who you are (as ***)."
    assert all(TOKEN not in line for line in seen)
    assert process.stderr is not None and TOKEN not in process.stderr.read()


def test_a_policy_condition_quoting_the_servers_credential_is_starred_in_what_the_gateway_writes(
    tmp_path: Path,
) -> None:
    """A policy may name a credential the server is given (`require args.token eq "ghp_..."`),
    and a denial's reason quotes the condition. The agent refused, the audit log, the recording
    (whose documentation says secrets never reach it) and the log get *** in its place."""
    secret = "ghp_policyquotedtoken0123456789"
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow", "tools": {"echo": {
        "reason": "only the deploy token", "require": [{"path": "args.token", "op": "eq", "value": secret}]}}}),
        encoding="utf-8")
    audit, recording = tmp_path / "audit.jsonl", tmp_path / "calls.jsonl"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "policytui"), "gateway", "--policy", str(policy),
         "--state-dir", str(tmp_path / "state"), "--audit", str(audit), "--record", str(recording),
         "--", sys.executable, str(MISBEHAVING / "hostile_tools.py")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "GITHUB_TOKEN": secret},
    )
    assert process.stdin is not None
    seen: list[str] = []
    try:
        def send(message: dict[str, Any]) -> None:
            assert process.stdin is not None
            process.stdin.write(json.dumps(message) + "\n")
            process.stdin.flush()

        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}}})
        _answer(process, 1, seen)
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
              "params": {"name": "echo", "arguments": {"token": "a guess"}}})
        denied = _answer(process, 2, seen)
    finally:
        process.stdin.close()
        process.wait(timeout=30)
    text = denied["result"]["content"][0]["text"]
    assert text == ('[POLICY DENIED] only the deploy token (required condition not met: '
                    'args.token eq "***")'), text
    assert all(secret not in line for line in seen)
    assert process.stderr is not None and secret not in process.stderr.read()
    for written in (audit, recording):
        lines = [json.loads(line) for line in written.read_text(encoding="utf-8").splitlines()]
        calls = [line for line in lines if line["tool"] == "echo"]
        assert calls and calls[-1]["reason"].endswith('args.token eq "***")'), calls
        assert secret not in written.read_text(encoding="utf-8")
