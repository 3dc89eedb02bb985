"""Credentials an agent passes in a call that waits for a human: under a secret-looking key
(`password`, `client_secret`, `api_key`, `private_key`) and in values that look like one (a
bearer token, a JSON Web Token, an AWS access key ID, a PEM private key block). They reach the
server as sent and nothing else: not the approvals queue's file, not `policytui approvals
list|show|approve` (text, --json, --full), not the approval form the client shows its user, not
the gateway's log at debug level, the audit log or the recording.

The gateway is the installed `policytui gateway` spoken to in raw JSON lines over stdio (or by
the mcp SDK's client, for the approval form), in front of the real server
tests/servers/misbehaving/rug_pull.py (which accepts any arguments).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from discovery_support import script
from gateway_support import RECORDING, call_text, sdk_client

POLICYTUI = str(Path(sys.executable).parent / "policytui")

UNDER_KEYS = "hunter2-Keyed-91xq"
BEARER = "8f2kQm4nZ7pLx0wV"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudC03In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
AWS = "AKIAQ7XTRM2ZBPLMN4OV"
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
# Shapes people paste beyond those: a bearer token of letters alone, HTTP basic credentials, a
# credential in a URL's query, and the tokens of OpenAI, Slack, GitLab, Google and Stripe.
LETTERS_ONLY = "QxvTmnBzKpLrWdYhGsEc"
BASIC = "YWdlbnQ6b3BlbnNlc2FtZQ=="  # agent:opensesame
IN_QUERY = "Zq81Xv3nMm0pRt7y"
OPENAI = "sk-proj-Ab3dEf6hIj9lMn2pQr5tUv8x"
SLACK = "xoxb-2754178652-Qz8mWn4pLr"
GITLAB = "glpat-Zq81Xv3nMm0pRt7yUw2s"
GOOGLE = "AIzaSyD4-Xq8mWn2pLr6tYv0zBc3eFg7hJk1LmN"
STRIPE = "sk_live_51Hq8mWn2pLr6tYv0zBc3eFg"
SECRETS = (UNDER_KEYS, BEARER, JWT, AWS, PEM_BODY, LETTERS_ONLY, BASIC, IN_QUERY, OPENAI, SLACK, GITLAB, GOOGLE,
           STRIPE)
# Ordinary text that names credentials without holding one: shown as written.
PROSE = ("Send a bearer token in the Authorization header (Bearer Authentication, RFC 6750); basic "
         "information: https://example.org/docs?page=2, sk-learn-compatible, task-oriented")
ARGUMENTS = {
    "url": "https://example.org/report",
    "password": UNDER_KEYS,
    "client_secret": UNDER_KEYS,
    "api_key": UNDER_KEYS,
    "private_key": UNDER_KEYS,
    "headers": {"X-Trace": f"Bearer {BEARER}"},
    "session_jwt_note": "plain",
    "token_in_text": f"use {JWT} for the export",
    "aws": AWS,
    "key_file": f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----\n",
    "reply": f"curl -H 'X-Forward: Bearer {LETTERS_ONLY}' https://example.org",
    "login": f"Basic {BASIC}",
    "callback": f"https://hooks.example.org/in?team=7&api_key={IN_QUERY}",
    "providers": [OPENAI, f"chat via {SLACK}", f"repo {GITLAB}", f"maps={GOOGLE}", STRIPE],
    "description": PROSE,
}
# What a person sees in place of each: enough to decide, never the credential.
SHOWN = {
    "url": "https://example.org/report",
    "password": "[redacted]",
    "client_secret": "[redacted]",
    "api_key": "[redacted]",
    "private_key": "[redacted]",
    "headers": {"X-Trace": "[redacted]"},
    "session_jwt_note": "[redacted]",
    "token_in_text": "[redacted]",
    "aws": "[redacted]",
    "key_file": "[redacted]",
    "reply": "[redacted]",
    "login": "[redacted]",
    "callback": "[redacted]",
    "providers": ["[redacted]"] * 5,
    "description": PROSE,
}


POLICY = {"version": "1", "default": "allow", "tools": {
    "fetch_page": {"action": "require_approval", "reason": "exports leave the company"}}}


def _leaks(text: str | bytes, secrets: tuple[str, ...] = SECRETS) -> list[str]:
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    return [secret for secret in secrets if secret.encode() in data]


# The files the servers write of what reached them: the arguments as the agent sent them.
SERVER_SIDE = ("server-calls.txt", "executed.jsonl")


class _Gateway:
    """The installed gateway, over stdio, logging at debug level into tmp/gateway.log."""

    def __init__(self, tmp: Path, approvals: str, server: list[str] | None = None,
                 policy_text: dict[str, Any] = POLICY) -> None:
        self.tmp = tmp
        policy = tmp / "policy.json"
        policy.write_text(json.dumps(policy_text), encoding="utf-8")
        self.state = tmp / "state"
        self.process = subprocess.Popen(
            [POLICYTUI, "gateway", "--policy", str(policy), "--state-dir", str(self.state),
             "--audit", str(tmp / "audit.jsonl"), "--record", str(tmp / "recording.jsonl"),
             "--log", str(tmp / "gateway.log"), "--log-level", "debug", "--approvals", approvals,
             "--approval-timeout", "60", "--", *(server or script("rug_pull.py"))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "RUG_PULL_CALLS": str(tmp / "server-calls.txt")})
        self.read: list[str] = []

    def send(self, message: dict[str, Any] | str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((message if isinstance(message, str) else json.dumps(message)) + "\n")
        self.process.stdin.flush()

    def next_message(self, match: Any) -> dict[str, Any]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.read.append(line)
            message = json.loads(line)
            if match(message):
                return message  # type: ignore[no-any-return]
        raise AssertionError(f"no such message; read: {self.read}")

    def start(self, capabilities: dict[str, Any]) -> None:
        self.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": capabilities,
            "clientInfo": {"name": "agent", "version": "1"}}})
        self.next_message(lambda m: m.get("id") == 1)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def end(self) -> str:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def everything_written(self, secrets: tuple[str, ...] = SECRETS) -> list[tuple[str, list[str]]]:
        """(file, secrets it holds) for every file the gateway wrote that holds one."""
        return [(str(path), leaks) for path in self.tmp.rglob("*")
                if path.is_file() and path.name not in SERVER_SIDE and (leaks := _leaks(path.read_bytes(), secrets))]


def _approvals(gateway: _Gateway, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLICYTUI, "approvals", *argv, "--state-dir", str(gateway.state)],
                          capture_output=True, text=True, timeout=60, check=False)


def _waiting(gateway: _Gateway) -> list[dict[str, Any]]:
    """`approvals list --json` once the gateway has put a call in the queue."""
    deadline = time.monotonic() + 30
    while True:
        listed = _approvals(gateway, "list", "--json")
        waiting = json.loads(listed.stdout) if listed.returncode == 0 and listed.stdout.strip() else []
        if waiting:
            return waiting  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, (listed.stdout, listed.stderr)
        time.sleep(0.1)


def test_a_held_calls_credentials_are_in_no_list_show_log_or_file(tmp_path: Path) -> None:
    gateway = _Gateway(tmp_path, "queue")
    try:
        gateway.start({})
        gateway.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                      "params": {"name": "fetch_page", "arguments": ARGUMENTS}})
        # A message the gateway refuses (a batch) is quoted in the debug log: redacted too.
        gateway.send([{"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                       "params": {"name": "fetch_page", "arguments": ARGUMENTS}}])  # type: ignore[arg-type]
        [held] = _waiting(gateway)
        listed = _approvals(gateway, "list", "--json")
        assert held["arguments"] == SHOWN
        outputs = [listed, _approvals(gateway, "list"), _approvals(gateway, "show", held["id"]),
                   _approvals(gateway, "show", held["id"], "--full")]
        assert "[redacted]" in outputs[2].stdout and "[redacted]" in outputs[3].stdout, outputs[2].stdout
        # The files the queue lives in, while the call waits.
        assert gateway.everything_written() == []
        # Approved, the call reaches the server with its arguments as the agent sent them.
        outputs.append(_approvals(gateway, "approve", held["id"]))
        assert outputs[-1].returncode == 0, outputs[-1].stderr
        answer = gateway.next_message(lambda m: m.get("id") == 2)
        assert answer["result"]["content"][0]["text"] == "called fetch_page"
    finally:
        stderr = gateway.end()
    for output in outputs:
        assert _leaks(output.stdout + output.stderr) == [], output.args
    assert _leaks(stderr) == []
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert "refused a client message" in log and "[redacted]" in log, log
    assert gateway.everything_written() == []
    recorded = [json.loads(line) for line in (tmp_path / "recording.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["arguments"] for r in recorded] == [SHOWN]
    assert (tmp_path / "server-calls.txt").read_text(encoding="utf-8").split() == ["fetch_page"]


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_the_approval_form_a_client_shows_holds_no_credential(tmp_path: Path, mode: str) -> None:
    """The form the client shows its user (an elicitation; for a 2026-07-28 client, the
    input_required round trip) lists the arguments with their credentials redacted."""
    asked: list[str] = []

    async def elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="decline")

    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICY), encoding="utf-8")
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(tmp_path / "audit.jsonl"),
               "--record", str(tmp_path / "recording.jsonl"), "--log-level", "debug"]
    async with sdk_client("stdio", mode, options, script("rug_pull.py"), tmp_path / "gateway.log",
                          elicitation_callback=elicit) as client:
        result = await client.call_tool("fetch_page", ARGUMENTS)
    assert result.is_error and "rejected" in call_text(result), call_text(result)
    [message] = asked
    assert '"password": "[redacted]"' in message and '"url": "https://example.org/report"' in message, message
    assert _leaks(message) == []
    assert [(path, leaks) for path in tmp_path.rglob("*") if path.is_file() and (leaks := _leaks(path.read_bytes()))] == []


# Keys an agent passes inside a URL, in the forms read as a query's named parameter is: the
# whole query a key alone, a matrix parameter of the path (named like a session's id, or a key
# alone) and a fragment's token (OAuth's implicit grant hands one back there).
BARE_QUERY_KEY = "xcMLHm0VHEdvV5Tt5yoEWhfa"
MATRIX_SESSION = "Sess1onIdHeld77"
MATRIX_KEY = "Qb7TmZ2xVw9kRn4pLs8dYc3f"
FRAGMENT_TOKEN = "fragment-token-held-7781"
IN_URLS = (BARE_QUERY_KEY, MATRIX_SESSION, MATRIX_KEY, FRAGMENT_TOKEN)
URL_NOTE = {
    "feed": f"https://api.example.com/v1/feed?{BARE_QUERY_KEY}",
    "cart": f"https://app.example.com/cart;jsessionid={MATRIX_SESSION}",
    "keyed": f"https://app.example.com/export;{MATRIX_KEY}/csv",
    "callback": f"https://app.example.com/callback#access_token={FRAGMENT_TOKEN}&state=7",
    # Words in the same places are no keys: shown as written.
    "docs": "https://example.org/docs;json?v2",
}


def test_a_held_calls_keys_in_a_urls_bare_query_matrix_or_fragment_are_shown_to_nobody(tmp_path: Path) -> None:
    """A call held for approval whose arguments hold URLs with a key as the whole query
    (`?<key>`), in a matrix parameter (`;jsessionid=...`, `;<key>`) or in the fragment
    (`#access_token=...`): `approvals list` and `show` (text and --json), the queue's store,
    the debug log, the audit log and the recording show each redacted (a URL with words there,
    `;json?v2`, as written), and once approved the server runs the call with every value as the
    agent sent it."""
    server_side = tmp_path / "executed.jsonl"
    gateway = _Gateway(tmp_path, "queue", [sys.executable, str(RECORDING / "flows_server.py"), str(server_side)], {
        "version": "1", "default": "allow", "tools": {"list_flows": {"action": "require_approval"}}})
    arguments = {"namespace": "exports", "note": URL_NOTE}
    shown = {"namespace": "exports", "note": {**{name: "[redacted]" for name in URL_NOTE}, "docs": URL_NOTE["docs"]}}
    try:
        gateway.start({})
        gateway.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                      "params": {"name": "list_flows", "arguments": arguments}})
        [held] = _waiting(gateway)
        assert held["arguments"] == shown
        outputs = [_approvals(gateway, *argv) for argv in (
            ["list", "--json"], ["list"], ["show", held["id"]], ["show", held["id"], "--json"],
            ["show", held["id"], "--full"])]
        assert json.loads(outputs[3].stdout)["arguments"] == shown, outputs[3].stdout
        assert "[redacted]" in outputs[2].stdout and URL_NOTE["docs"] in outputs[2].stdout, outputs[2].stdout
        assert gateway.everything_written(IN_URLS) == []  # the queue's store, while the call waits
        outputs.append(_approvals(gateway, "approve", held["id"]))
        assert outputs[-1].returncode == 0, outputs[-1].stderr
        answer = gateway.next_message(lambda m: m.get("id") == 2)
        assert answer["result"]["content"][0]["text"] == "flows of 'exports': hello, nightly", answer
    finally:
        stderr = gateway.end()
    ran = [json.loads(line) for line in server_side.read_text(encoding="utf-8").splitlines()]
    assert ran == [{"tool": "list_flows", "arguments": arguments}]
    for output in outputs:
        assert _leaks(output.stdout + output.stderr, IN_URLS) == [], output.args
    assert _leaks(stderr, IN_URLS) == []
    assert gateway.everything_written(IN_URLS) == []
    recorded = [json.loads(line) for line in (tmp_path / "recording.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["arguments"] for r in recorded] == [shown]
