"""A refused message that quotes one of the server's credentials leaves none of it behind.

The installed `policytui gateway` runs in front of the Python-SDK flows server behind
`tee_stdin.py`, named from policytui's servers file whose entry gives the server a token in its
`env`, as users pass one. A client that has learnt the token echoes it where a refusal's reason
quotes the client: the method of a request without an id (long enough that the reason's
200-character clip cuts through the token), a tool's name (cut by the log's 80 characters), an
MCP-Protocol-Version header over HTTP (cut at 40 characters). The token holds a backslash,
which a quoted method or header doubles. Judged from outside: the refusals are audited and
logged, the server received none of them, and neither the audit file nor the log holds the
token, escaped or cut. Before, the audit line's reason and the log's clipped texts were starred
only after they were clipped and quoted, so part of the token, or all of it escaped, stayed.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from audit_support import outcome_lines
from gateway_support import RECORDING, start_http_gateway, stop

pytestmark = [pytest.mark.servers]

POLICYTUI = str(Path(sys.executable).with_name("policytui"))
SECRET = "tok-7Hq2\\Vz9Lp4Rw8Xc1"
# What must not be found: either side of the backslash (so the token escaped or cut after its
# first part is found too).
FRAGMENTS = SECRET.split("\\")
CLIENT_TOKEN = "client-token-0123456789abcdef"
# The reason `Invalid Request: '<method>' needs an id` is clipped at 200 characters: this many
# characters before the token put the clip inside it, after its first part.
BEFORE_THE_CLIP = 200 - len("Invalid Request: '") - len(FRAGMENTS[0]) - 3
LONG_NAME = "n" * 70 + SECRET  # clipped at 80 in the log


def _servers_file(tmp: Path) -> dict[str, str]:
    """policytui's servers file naming the flows server with its token in `env`; the
    environment that makes the gateway read it."""
    config = tmp / "config"
    config.mkdir()
    (config / "servers.json").write_text(json.dumps({"mcpServers": {"flows": {
        "command": sys.executable,
        "args": [str(RECORDING / "tee_stdin.py"), str(tmp / "received.bin"), "--",
                 sys.executable, str(RECORDING / "flows_server.py"), str(tmp / "executed.jsonl")],
        "env": {"FLOWS_API_TOKEN": SECRET},
    }}}), encoding="utf-8")
    (tmp / "policy.json").write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    return {"POLICYTUI_CONFIG_DIR": str(config), "POLICYTUI_PROJECT_DIR": str(tmp)}


def _options(tmp: Path) -> list[str]:
    return ["--policy", str(tmp / "policy.json"), "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl")]


def _judge(tmp: Path, warnings: int) -> list[dict[str, Any]]:
    """Neither the audit file nor the log holds the token; the refused lines, for more checks."""
    audit = (tmp / "audit.jsonl").read_text(encoding="utf-8")
    log = (tmp / "gateway.log").read_text(encoding="utf-8")
    for fragment in FRAGMENTS:
        assert fragment not in audit, audit
        assert fragment not in log, log[-3000:]
    assert len([line for line in log.splitlines() if " WARNING " in line and "refused a client message" in line]) \
        == warnings, log[-3000:]
    received = (tmp / "received.bin").read_bytes()
    assert b'"list_flows"' not in received and FRAGMENTS[1].encode() not in received
    return [line for line in outcome_lines(tmp / "audit.jsonl") if line["decision"] == "refused"]


@pytest.mark.parametrize("level", ["info", "debug"])
def test_a_token_echoed_into_refused_messages_over_stdio_is_in_no_line(tmp_path: Path, level: str) -> None:
    """At the default level and at debug, where each refused message is also shown as JSON."""
    environment = _servers_file(tmp_path)
    with open(tmp_path / "gateway.log.stderr", "ab") as stderr:
        process = subprocess.Popen(
            [POLICYTUI, "gateway", *_options(tmp_path), "--log", str(tmp_path / "gateway.log"), "--log-level", level,
             "flows"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env={**os.environ, **environment})
    assert process.stdin is not None and process.stdout is not None
    try:
        messages: list[dict[str, Any]] = [
            {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "mallory", "version": "1"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            # Requests without an id: refused, each quoting its method.
            {"jsonrpc": "2.0", "method": "m" * BEFORE_THE_CLIP + SECRET},
            {"jsonrpc": "2.0", "method": "tools " + SECRET},
            # A call without an id: audited with its tool's name.
            {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": LONG_NAME, "arguments": {}}},
            {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        ]
        lines = [json.dumps(m).encode() for m in messages]
        # A call whose method is written twice, the second time as the token: refused as ambiguous.
        lines.insert(-1, b'{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "method": ' + json.dumps(SECRET).encode()
                     + b', "params": {"name": "list_flows"}}')
        process.stdin.write(b"".join(line + b"\n" for line in lines))
        process.stdin.close()
        answers = [json.loads(line) for line in process.stdout]
        assert [answer.get("id") for answer in answers] == [0, None, None, None, 2, 1]
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)
    refused = _judge(tmp_path, warnings=4)
    assert [(line["tool"], line["reason"]) for line in refused] == [
        ("n" * 70 + "***", "Invalid Request: 'tools/call' needs an id"),
        (None, "Invalid Request: a key appears twice in one object (ambiguous)")]
    if level == "debug":
        log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
        assert '"method":"***"' in log, log[-3000:]  # shown, with the token starred


def test_a_token_echoed_into_a_refused_call_over_http_is_in_no_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _servers_file(tmp_path).items():
        monkeypatch.setenv(name, value)
    (tmp_path / "tokens.json").write_text(json.dumps({CLIENT_TOKEN: "mallory"}), encoding="utf-8")
    listening = start_http_gateway([*_options(tmp_path), "--tokens", str(tmp_path / "tokens.json"), "flows"], [],
                                   tmp_path / "gateway.log", command=[POLICYTUI])
    try:
        parts = urlsplit(listening.url)
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
        call = {"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                "params": {"name": "list_flows", "arguments": {"namespace": "prod"}}}
        connection.request("POST", parts.path, json.dumps(call).encode(), {
            "Authorization": f"Bearer {CLIENT_TOKEN}", "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "v" * 30 + SECRET})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        assert response.status == 400 and b"unsupported MCP-Protocol-Version" in body, body
    finally:
        stop(listening.process)
    refused = _judge(tmp_path, warnings=1)
    assert FRAGMENTS[1].encode() not in body  # nor the answer, which quotes the header as the audit line does
    assert [(line["tool"], line["reason"]) for line in refused] == [
        ("list_flows", "Bad Request: unsupported MCP-Protocol-Version '" + "v" * 30 + "***'")]
