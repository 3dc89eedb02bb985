"""The credentials the gateway holds for its server never reach the gateway's clients.

`policytui gateway ... --header 'Authorization: Bearer ${env:TOKEN}'` puts a real HTTP server
that wants a bearer token behind the gateway; the server repeats the token in its instructions
and in a tool's description. The client, speaking raw JSON lines to the installed command,
must see *** there, and the token nowhere in anything it reads.
"""

from __future__ import annotations

import base64
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
from audit_support import outcome_lines
from discovery_support import free_port

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


def _stdio_session(command: list[str], env: dict[str, str], messages: list[dict[str, Any]],
                   last_id: int | None = None) -> list[str]:
    """Speak raw JSON lines to the installed gateway: initialize, then `messages`; every line
    read until the answer to `last_id`, or (None) until every request in `messages` has its
    answer, in whatever order they come (and what the gateway's standard error held, last)."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
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
        for message in messages:
            send(message)
        if last_id is not None:
            _answer(process, last_id, seen)
        waiting = {m["id"] for m in messages if "id" in m} if last_id is None else set()
        while waiting:
            waiting -= {json.loads(line).get("id") for line in seen}
            if waiting:
                _answer(process, min(waiting), seen)
    finally:
        process.stdin.close()
        process.wait(timeout=30)
    assert process.stderr is not None
    return [*seen, process.stderr.read()]


def test_the_servers_echo_of_its_token_reaches_clients_as_stars(tmp_path: Path, token_server: str) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    seen = _stdio_session(
        [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy),
         "--state-dir", str(tmp_path / "state"), token_server,
         "--header", "Authorization: Bearer ${env:TOKEN}"],
        {**os.environ, "TOKEN": TOKEN},
        [{"jsonrpc": "2.0", "id": 2, "method": "tools/list"}], 2)
    answers = {m.get("id"): m for m in (json.loads(line) for line in seen[:-1])}
    assert answers[1]["result"]["instructions"] == "Authenticated with ***."
    assert answers[2]["result"]["tools"][0]["description"] == "Who you are (as ***)."
    assert all(TOKEN not in line for line in seen)  # the gateway's standard error included

def test_a_token_given_as_the_urls_user_is_starred_as_a_header_is(tmp_path: Path, token_server: str) -> None:
    """`http://TOKEN@host/mcp` (or `TOKEN:@`, as a key is given for HTTP basic auth) puts the
    token in the URL's user, and the server repeats it. `tools` and `snapshot` (its file, its
    output), the gateway's clients and a connection refused show *** for it, as for a header."""
    policytui = str(Path(sys.executable).parent / "policytui")
    for n, user in enumerate((TOKEN, f"{TOKEN}:")):
        url = token_server.replace("http://", f"http://{user}@")
        snapshot = tmp_path / f"snapshot{n}.json"
        made = subprocess.run([policytui, "snapshot", url, "-o", str(snapshot)],
                              capture_output=True, text=True, timeout=60)
        listed = subprocess.run([policytui, "tools", url], capture_output=True, text=True, timeout=60)
        assert (made.returncode, listed.returncode) == (0, 0), made.stderr + listed.stderr
        saved = json.loads(snapshot.read_text(encoding="utf-8"))
        assert saved["source"]["url"] == token_server.replace("http://", "http://***@")
        assert saved["tools"][0]["description"] == "Who you are (as ***)."
        for text in (snapshot.read_text(encoding="utf-8"), made.stdout, made.stderr, listed.stdout, listed.stderr):
            assert TOKEN not in text
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    seen = _stdio_session(
        [policytui, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
         token_server.replace("http://", f"http://{TOKEN}@")],
        dict(os.environ), [{"jsonrpc": "2.0", "id": 2, "method": "tools/list"}], 2)
    answers = {m.get("id"): m for m in (json.loads(line) for line in seen[:-1])}
    assert answers[1]["result"]["instructions"] == "Authenticated with ***."
    assert answers[2]["result"]["tools"][0]["description"] == "Who you are (as ***)."
    assert all(TOKEN not in line for line in seen)  # the gateway's standard error included
    closed = f"http://{TOKEN}@127.0.0.1:{free_port()}/mcp"
    refused = subprocess.run([policytui, "tools", closed], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "could not connect to http://***@127.0.0.1:" in refused.stderr, refused.stderr
    assert TOKEN not in refused.stdout + refused.stderr


# Keys a service takes in its endpoint's path, the route before them, and one that is not it.
PATH_KEYS = {
    "issued": ("k", "sk_live_51PathKeyQ8xW2mZ7rT4nB", "gone"),
    "hexadecimal": ("k", "9f86d081884c7d659a2feaa0c55ad015", "gone"),
    "random": ("k", "xcMLHm0VHEdvV5Tt5yoEWhfa", "gone"),
    "UUID after a version": ("v1", "3f9c2a71-8b4e-4d6a-9c15-7e20b8d4a6f3", "v2"),
}


@pytest.mark.parametrize(("route", "key", "gone"), PATH_KEYS.values(), ids=PATH_KEYS.keys())
def test_a_key_in_the_urls_path_is_starred_when_it_reads_as_one(tmp_path: Path, route: str, key: str,
                                                                 gone: str) -> None:
    """`http://host/k/sk_live_.../mcp`: a service that takes its key in the endpoint's path. The
    key, which the server repeats, reaches neither the snapshot, `tools`' output, the gateway's
    clients nor a 404's sentence; the path is shown with *** in its place. A hexadecimal key, a
    random one of mixed case and a UUID after the API's version were shown as written."""
    server = subprocess.Popen([sys.executable, str(MISBEHAVING / "token_http.py")],
                              env={**os.environ, "EXPECTED_TOKEN": key, "ECHO_TOKEN": "1"},
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        url = f"http://127.0.0.1:{port}/{route}/{key}/mcp"
        policytui = str(Path(sys.executable).parent / "policytui")
        snapshot = tmp_path / "snapshot.json"
        made = subprocess.run([policytui, "snapshot", url, "-o", str(snapshot)], capture_output=True, text=True, timeout=60)
        listed = subprocess.run([policytui, "tools", url], capture_output=True, text=True, timeout=60)
        missing = subprocess.run([policytui, "tools", url.replace(f"/{route}/", f"/{gone}/")],
                                 capture_output=True, text=True, timeout=60)
        assert (made.returncode, listed.returncode, missing.returncode) == (0, 0, 1), made.stderr + listed.stderr
        saved = json.loads(snapshot.read_text(encoding="utf-8"))
        assert saved["source"]["url"] == f"http://127.0.0.1:{port}/{route}/***/mcp"
        assert saved["tools"][0]["description"] == "Who you are (as ***)."
        assert f"http://127.0.0.1:{port}/{gone}/***/mcp answered HTTP 404" in missing.stderr, missing.stderr
        for text in (snapshot.read_text(encoding="utf-8"), made.stdout, made.stderr, listed.stdout, listed.stderr,
                     missing.stdout, missing.stderr):
            assert key not in text
        policy = tmp_path / "policy.json"
        policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
        seen = _stdio_session([policytui, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"), url],
                              dict(os.environ), [{"jsonrpc": "2.0", "id": 2, "method": "tools/list"}], 2)
        answers = {m.get("id"): m for m in (json.loads(line) for line in seen[:-1])}
        assert answers[2]["result"]["tools"][0]["description"] == "Who you are (as ***)."
        assert all(key not in line for line in seen)  # the gateway's standard error included
    finally:
        server.kill()
        server.wait(timeout=10)


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
    seen = _stdio_session(
        [str(Path(sys.executable).parent / "policytui"), "gateway", "--policy", str(policy),
         "--state-dir", str(tmp_path / "state"), "--audit", str(audit), "--record", str(recording),
         "--", sys.executable, str(MISBEHAVING / "hostile_tools.py")],
        {**os.environ, "GITHUB_TOKEN": secret},
        [{"jsonrpc": "2.0", "id": 2, "method": "tools/call",
          "params": {"name": "echo", "arguments": {"token": "a guess"}}}], 2)
    denied = next(json.loads(line) for line in seen[:-1] if json.loads(line).get("id") == 2)
    text = denied["result"]["content"][0]["text"]
    assert text == ('[POLICY DENIED] only the deploy token (required condition not met: '
                    'args.token eq "***")'), text
    assert all(secret not in line for line in seen)  # the gateway's standard error included
    for written in (audit, recording):
        lines = [json.loads(line) for line in written.read_text(encoding="utf-8").splitlines()]
        calls = [line for line in lines if line["tool"] == "echo"]
        assert calls and calls[-1]["reason"].endswith('args.token eq "***")'), calls
        assert secret not in written.read_text(encoding="utf-8")


def test_a_tool_result_quoting_the_servers_credential_reaches_the_agent_starred(
        tmp_path: Path, everything: Path) -> None:
    """server-everything's `get-env` answers with its whole environment, the GitHub token the
    gateway started it with included. The agent gets the result with the token as ***; the
    rest of the environment as the server sent it."""
    secret = "ghp_resultquotedtoken0123456789"
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    seen = _stdio_session(
        [str(Path(sys.executable).parent / "policytui"), "gateway", "--policy", str(policy),
         "--state-dir", str(tmp_path / "state"), "--audit", str(audit), "--", str(everything)],
        {**os.environ, "GITHUB_TOKEN": secret},
        [{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get-env", "arguments": {}}}], 2)
    answer = next(json.loads(line) for line in seen[:-1] if json.loads(line).get("id") == 2)
    environment = json.loads(answer["result"]["content"][0]["text"])
    assert environment["GITHUB_TOKEN"] == "***"  # the server had it: the gateway starred it
    assert environment["PATH"] == os.environ["PATH"]  # the rest as sent
    assert all(secret not in line for line in seen)
    calls = [(r["tool"], r["decision"], r["upstream"]) for r in outcome_lines(audit) if r["decision"] != "probe"]
    assert calls[-1:] == [("get-env", "allowed", "ok")], calls


def test_a_servers_error_and_log_message_quoting_its_credential_reach_the_agent_starred(tmp_path: Path) -> None:
    """The server logs "signing in with <token>" (a notification) and fails the call with an
    error quoting the token: both reach the agent with *** in its place."""
    secret = "ghp_errorquotedtoken0123456789"
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    audit, received = tmp_path / "audit.jsonl", tmp_path / "received.txt"
    seen = _stdio_session(
        [str(Path(sys.executable).parent / "policytui"), "gateway", "--policy", str(policy),
         "--state-dir", str(tmp_path / "state"), "--audit", str(audit),
         "--", sys.executable, str(MISBEHAVING / "hostile_tools.py")],
        {**os.environ, "GITHUB_TOKEN": secret, "LEAK_TOOL": "1", "HOSTILE_RECORD": str(received)},
        [{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "leak", "arguments": {}}}], 2)
    messages = [json.loads(line) for line in seen[:-1]]
    logged = [m for m in messages if m.get("method") == "notifications/message"]
    answer = next(m for m in messages if m.get("id") == 2)
    assert [m["params"]["data"] for m in logged] == ["signing in with ***"]
    assert answer["error"]["message"] == "the token *** was refused"
    assert all(secret not in line for line in seen)
    # The call reached the server once, and ran: it is in the audit log, with the error it got.
    # (The gateway's own probe at start-up, of a tool no server has, left out.)
    names = [json.loads(line) for line in received.read_text(encoding="utf-8").splitlines()]
    assert [name for name in names if not name.startswith("policytui-probe-")] == ["leak"]
    assert [(r["tool"], r["decision"], r["upstream"]) for r in outcome_lines(audit)
            if r["decision"] != "probe"] == [("leak", "allowed", "error")]
    assert secret not in audit.read_text(encoding="utf-8")


def test_a_tool_result_quoting_the_servers_credential_reaches_an_http_client_starred(
        tmp_path: Path, everything: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same over the HTTP listener (`--listen`): `get-env`'s answer holds *** for the token."""
    from gateway_support import http_gateway

    secret = "ghp_httpresulttoken0123456789"
    monkeypatch.setenv("GITHUB_TOKEN", secret)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    with http_gateway(["--policy", str(policy), "--state-dir", str(tmp_path / "state")],
                      [str(everything)], tmp_path / "gateway.log") as listening:
        import http.client
        from urllib.parse import urlsplit

        url = urlsplit(listening.url)
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                   "MCP-Protocol-Version": "2025-06-18"}

        def post(message: dict[str, Any], session: str | None = None) -> tuple[Any, bytes]:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
            try:
                conn.request("POST", url.path, json.dumps(message),
                             {**headers, **({"Mcp-Session-Id": session} if session else {})})
                response = conn.getresponse()
                return response, response.read()
            finally:
                conn.close()

        response, _ = post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        session = response.headers["mcp-session-id"]
        post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
        _, body = post({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                        "params": {"name": "get-env", "arguments": {}}}, session)
    text = body.decode()
    data = [line[5:] for line in text.splitlines() if line.startswith("data:")] or [text]
    answer = next(json.loads(d) for d in data if json.loads(d).get("id") == 2)
    assert json.loads(answer["result"]["content"][0]["text"])["GITHUB_TOKEN"] == "***"
    assert secret not in text


def test_a_held_call_quoting_the_servers_credential_waits_in_the_queue_starred(tmp_path: Path) -> None:
    """An agent's call that quotes the server's token waits for approval: the queue (a file
    any process of the user reads, or a Redis every replica reads) and `policytui approvals
    list` hold it with *** in its place, as the audit log does. Approved, the call reaches the
    server with its arguments as the agent sent them."""
    secret = "ghp_heldcalltoken0123456789abcd"
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow", "tools": {"echo": {
        "require_approval_if": [{"path": "args.message", "op": "regex", "value": "^approve"}]}}}),
        encoding="utf-8")
    state, audit, received = tmp_path / "state", tmp_path / "audit.jsonl", tmp_path / "received.txt"
    policytui = str(Path(sys.executable).parent / "policytui")
    arguments = {"message": f"approve {secret}", "note": "plain"}
    gateway = subprocess.Popen(
        [policytui, "gateway", "--policy", str(policy), "--state-dir", str(state), "--audit", str(audit),
         "--approvals", "queue", "--", sys.executable, str(MISBEHAVING / "hostile_tools.py")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "GITHUB_TOKEN": secret, "HOSTILE_RECORD": str(received),
             "HOSTILE_RECORD_ARGUMENTS": "1"})
    assert gateway.stdin is not None
    seen: list[str] = []
    try:
        def send(message: dict[str, Any]) -> None:
            assert gateway.stdin is not None
            gateway.stdin.write(json.dumps(message) + "\n")
            gateway.stdin.flush()

        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        _answer(gateway, 1, seen)
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": arguments}})

        deadline = time.monotonic() + 30
        while True:
            listed = subprocess.run([policytui, "approvals", "list", "--json", "--state-dir", str(state)],
                                    capture_output=True, text=True, timeout=60, check=False)
            waiting = json.loads(listed.stdout) if listed.returncode == 0 and listed.stdout.strip() else []
            if waiting:
                break
            assert time.monotonic() < deadline, (listed.stdout, listed.stderr)
            time.sleep(0.1)
        assert secret not in listed.stdout
        assert [w["arguments"] for w in waiting] == [{"message": "approve ***", "note": "plain"}]
        for stored in state.rglob("*"):
            if stored.is_file():
                assert secret.encode() not in stored.read_bytes(), stored

        approved = subprocess.run(
            [policytui, "approvals", "approve", waiting[0]["id"], "--state-dir", str(state)],
            capture_output=True, text=True, timeout=60, check=False)
        assert approved.returncode == 0, approved.stderr
        assert secret not in approved.stdout + approved.stderr
        answer = _answer(gateway, 2, seen)
        assert answer["result"]["content"][0]["text"] == "ran echo"
    finally:
        gateway.stdin.close()
        gateway.wait(timeout=30)
    calls = [json.loads(line) for line in received.read_text(encoding="utf-8").splitlines()]
    assert [c for c in calls if not c[0].startswith("policytui-probe-")] == [["echo", arguments]]
    assert [(r["tool"], r["decision"], r["upstream"]) for r in outcome_lines(audit)
            if r["decision"] != "probe"] == [("echo", "allowed", "ok")]
    assert secret not in audit.read_text(encoding="utf-8")


# What a Linux desktop session puts in the environment of every program it starts, a desktop
# MCP client and so the gateway it runs included: names that read as secret (SESSION, AUTH,
# KEY) holding no credential, with values ("user", "ubuntu") that are everyday words.
DESKTOP_SESSION_ENV = {
    "XDG_SESSION_CLASS": "user", "XDG_SESSION_TYPE": "wayland", "DESKTOP_SESSION": "ubuntu",
    "GDMSESSION": "ubuntu", "KDE_SESSION_UID": "1000",
    "SSH_AUTH_SOCK": "/run/user/1000/keyring/ssh", "XAUTHORITY": "/run/user/1000/gdm/Xauthority",
    "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus",
    "GNOME_KEYRING_CONTROL": "/run/user/1000/keyring",
}


def test_a_server_started_by_a_desktop_client_has_its_inherited_tokens_starred_and_nothing_else(
        tmp_path: Path, everything: Path) -> None:
    """As a desktop client runs it: the entry's `env` (a GitHub token, an API key) is the
    gateway's environment, next to the desktop session's own variables, and reaches the server
    only by inheritance. The tokens are *** in the answers, the log, the audit file and the
    recording, even in a refused message quoting one in its method; the session's settings are
    no credentials: the server's words that happen to equal one ("user", "ubuntu") and its
    tools' text ("raw.githubusercontent.com") reach the client as sent."""
    # The key has no known token's shape: only the server's credentials can star it.
    token, key = "ghp_inheritedfromdesktop0123456789", "inherited-api-key-0123456789"
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    audit, log, recording = tmp_path / "audit.jsonl", tmp_path / "gateway.log", tmp_path / "calls.jsonl"
    plain = "user on ubuntu with wayland, uid 1000"
    seen = _stdio_session(
        [str(Path(sys.executable).parent / "policytui"), "gateway", "--policy", str(policy),
         "--state-dir", str(tmp_path / "state"), "--audit", str(audit), "--log", str(log),
         "--log-level", "debug", "--record", str(recording), "--", str(everything)],
        {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], **DESKTOP_SESSION_ENV,
         "GITHUB_TOKEN": token, "MY_API_KEY": key},
        [{"jsonrpc": "2.0", "id": 2, "method": "tools/call",
          "params": {"name": "echo", "arguments": {"message": f"{token} and {key}"}}},
         {"jsonrpc": "2.0", "id": 3, "method": key, "params": {}},
         {"jsonrpc": "2.0", "id": 4, "method": "tools/call",
          "params": {"name": "echo", "arguments": {"message": plain}}},
         {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "get-env", "arguments": {}}},
         {"jsonrpc": "2.0", "id": 6, "method": "tools/list"}])
    answers = {m.get("id"): m for m in (json.loads(line) for line in seen[:-1])}
    assert answers[2]["result"]["content"][0]["text"] == "Echo: *** and ***"
    assert answers[3]["error"]["code"] == -32601
    assert answers[4]["result"]["content"][0]["text"] == f"Echo: {plain}"
    environment = json.loads(answers[5]["result"]["content"][0]["text"])
    assert (environment["GITHUB_TOKEN"], environment["MY_API_KEY"]) == ("***", "***")
    assert {name: environment[name] for name in DESKTOP_SESSION_ENV} == DESKTOP_SESSION_ENV
    tools = json.dumps(answers[6]["result"]["tools"])
    assert "***" not in tools and "raw.githubusercontent.com" in tools
    written = {"client and standard error": "".join(seen), "audit": audit.read_text(encoding="utf-8"),
               "log": log.read_text(encoding="utf-8"), "recording": recording.read_text(encoding="utf-8")}
    assert '"method":"***"' in written["log"]  # the refused message, quoted with the token starred
    for secret in (token, key):
        for part in (secret[: len(secret) // 2], secret[len(secret) // 2:]):
            assert not [where for where, text in written.items() if part in text], (secret, part)
    recorded = [json.loads(line)["arguments"] for line in written["recording"].splitlines()]
    assert recorded == [{"message": "[redacted]"}, {"message": plain}, {}]


def test_a_credential_the_server_is_given_stays_starred_when_a_plain_setting_holds_it_too(
        tmp_path: Path, everything: Path) -> None:
    """A servers file gives server-everything a key after `--api-key`, a database URL's
    password and a positional `sk_live_...` key, and its `env` holds each of them again under
    a plain name (`X`, `DB_COPY`, `COPY`, as a value read from a file or passed on is). Given as
    credentials, they stay credentials: `get-env` and `echo` reach the client with *** for each.
    A long setting that is nothing but a setting reaches it as sent."""
    key, password, live = "plain-held-api-key-0123456789", "dbpassword-0123456789", "sk_live_51PlainHeldQ8xW2mZ7rT4nB"
    setting = "a-long-plain-setting-value"
    entry = {"command": str(everything),
             "args": ["stdio", "--api-key", key, f"postgresql://me:{password}@db/x", live],
             "env": {"X": key, "DB_COPY": password, "COPY": live, "SETTING": setting}}
    config = tmp_path / "config"
    config.mkdir()
    (config / "servers.json").write_text(json.dumps({"mcpServers": {"keyed": entry}}), encoding="utf-8")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    message = f"{key} {password} {live} {setting}"
    seen = _stdio_session(
        [str(Path(sys.executable).parent / "policytui"), "gateway", "keyed", "--policy", str(policy),
         "--state-dir", str(tmp_path / "state")],
        {**os.environ, "POLICYTUI_CONFIG_DIR": str(config), "POLICYTUI_PROJECT_DIR": str(tmp_path)},
        [{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get-env", "arguments": {}}},
         {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
          "params": {"name": "echo", "arguments": {"message": message}}}])
    answers = {m.get("id"): m for m in (json.loads(line) for line in seen[:-1])}
    assert 2 in answers and 3 in answers, seen
    environment = json.loads(answers[2]["result"]["content"][0]["text"])
    assert {name: environment[name] for name in entry["env"]} == {
        "X": "***", "DB_COPY": "***", "COPY": "***", "SETTING": setting}
    assert answers[3]["result"]["content"][0]["text"] == f"Echo: *** *** *** {setting}"
    for secret in (key, password, live):
        assert all(secret not in line for line in seen), secret  # the gateway's standard error included


@contextmanager
def _token_server_on(**env: str) -> Iterator[int]:
    """token_http.py wanting TOKEN, with `env` besides (ECHO_AUTH, EXPECTED_USER): its port."""
    server = subprocess.Popen([sys.executable, str(MISBEHAVING / "token_http.py")],
                              env={**os.environ, "EXPECTED_TOKEN": TOKEN, **env}, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield int(server.stdout.readline())
    finally:
        server.kill()
        server.wait(timeout=10)


def test_a_urls_sign_in_reaches_nobody_as_the_basic_auth_the_server_repeats(tmp_path: Path) -> None:
    """`http://alice:TOKEN@host/mcp?api_key=...#access_token=...`: the HTTP client sends the URL's
    sign-in as basic auth (`Basic ` and the base64 of `alice:TOKEN`), and a server that repeats
    the Authorization header it got repeats that. The snapshot, `tools`' output and the
    gateway's clients get `Basic ***`, and the fragment's token (never sent, but an agent may
    pass it on) is redacted in the recording. Before, the password and the query's key were
    starred but their base64 went out as the server wrote it, and the fragment's token was
    recorded."""
    query_key, fragment_token = "query-key-held-4412", "fragment-token-held-7781"
    signed_in = base64.b64encode(f"alice:{TOKEN}".encode()).decode()
    policytui = str(Path(sys.executable).parent / "policytui")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    recording, log = tmp_path / "calls.jsonl", tmp_path / "gateway.log"
    with _token_server_on(EXPECTED_USER="alice", ECHO_AUTH="1") as port:
        url = f"http://alice:{TOKEN}@127.0.0.1:{port}/mcp?api_key={query_key}#access_token={fragment_token}"
        snapshot = tmp_path / "snapshot.json"
        made = subprocess.run([policytui, "snapshot", url, "-o", str(snapshot)], capture_output=True, text=True, timeout=60)
        listed = subprocess.run([policytui, "tools", url, "--json"], capture_output=True, text=True, timeout=60)
        assert (made.returncode, listed.returncode) == (0, 0), made.stderr + listed.stderr
        seen = _stdio_session(
            [policytui, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
             "--record", str(recording), "--log", str(log), "--log-level", "debug", url], dict(os.environ),
            [{"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
             {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
              "params": {"name": "whoami", "arguments": {"note": fragment_token}}}])
    saved = json.loads(snapshot.read_text(encoding="utf-8"))
    assert saved["source"]["url"] == f"http://alice:***@127.0.0.1:{port}/mcp?api_key=***"
    assert saved["tools"][0]["description"] == "Who you are (Authorization: Basic ***)."
    assert "Who you are (Authorization: Basic ***)." in listed.stdout
    answers = {m.get("id"): m for m in (json.loads(line) for line in seen[:-1])}
    assert answers[2]["result"]["tools"][0]["description"] == "Who you are (Authorization: Basic ***)."
    recorded = [json.loads(line)["arguments"] for line in recording.read_text(encoding="utf-8").splitlines()]
    assert recorded == [{"note": "[redacted]"}]
    written = {"snapshot": snapshot.read_text(encoding="utf-8"), "snapshot's output": made.stdout + made.stderr,
               "tools": listed.stdout + listed.stderr, "client and standard error": "".join(seen),
               "recording": recording.read_text(encoding="utf-8"), "log": log.read_text(encoding="utf-8")}
    for secret in (TOKEN, signed_in, query_key, fragment_token):
        assert not [where for where, text in written.items() if secret in text], secret


# How a header that holds a URL reaches the gateway: written out on its command line, from a
# variable there, and from a variable in a configured server's entry.
HEADER_GIVEN = {
    "--header as written": ("command line", "X-Upstream: {upstream}"),
    "--header from a variable": ("command line", "X-Upstream: ${{env:UPSTREAM_URL}}"),
    "configured header from a variable": ("servers file", "${{UPSTREAM_URL}}"),
}


@pytest.mark.parametrize(("where", "header"), HEADER_GIVEN.values(), ids=HEADER_GIVEN.keys())
def test_the_key_of_a_url_a_header_holds_never_reaches_the_recording_or_the_agent(
        tmp_path: Path, where: str, header: str) -> None:
    """A header gives the server a URL with a key in its path and a token in its query
    (`X-Upstream: https://upstream.example.com/v1/<key>/feed?region=eu-west-1&token=<token>`),
    as an env value may. The whole value was a secret, but the key or the token alone was not:
    an agent passing just one had it recorded, and a server repeating it had it reach the agent.
    Now they are the server's credentials, as an env value's are: redacted in the recording and
    starred in what the agent reads, however the header was given."""
    key, token = "xcMLHm0VHEdvV5Tt5yoEWhfa", "plain-query-value-4471"
    upstream = f"https://upstream.example.com/v1/{key}/feed?region=eu-west-1&token={token}"
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    recording, log = tmp_path / "calls.jsonl", tmp_path / "gateway.log"
    env = {**os.environ, "TOKEN": TOKEN, "UPSTREAM_URL": upstream}
    with _token_server_on() as port:
        url = f"http://127.0.0.1:{port}/mcp"
        if where == "command line":
            target = [url, "--header", "Authorization: Bearer ${env:TOKEN}", "--header", header.format(upstream=upstream)]
        else:
            config = tmp_path / "config"
            config.mkdir()
            entry = {"type": "http", "url": url,
                     "headers": {"Authorization": "Bearer ${TOKEN}", "X-Upstream": header.format()}}
            (config / "servers.json").write_text(json.dumps({"mcpServers": {"upstream": entry}}), encoding="utf-8")
            env |= {"POLICYTUI_CONFIG_DIR": str(config), "POLICYTUI_PROJECT_DIR": str(tmp_path)}
            target = ["upstream"]
        seen = _stdio_session(
            [str(Path(sys.executable).parent / "policytui"), "gateway", "--policy", str(policy),
             "--state-dir", str(tmp_path / "state"), "--record", str(recording), "--log", str(log),
             "--log-level", "debug", *target], env,
            [{"jsonrpc": "2.0", "id": 2, "method": "tools/call",
              "params": {"name": "whoami", "arguments": {"note": f"as the server said: {key}"}}},
             {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "whoami", "arguments": {"note": token}}},
             {"jsonrpc": "2.0", "id": 4, "method": "tools/call",
              "params": {"name": "whoami", "arguments": {"note": "region eu-west-1"}}}])
    answers = {m.get("id"): m for m in (json.loads(line) for line in seen[:-1])}
    assert {2, 3, 4} <= set(answers), seen
    text = recording.read_text(encoding="utf-8")
    # The three calls were sent together: recorded in the order they were decided.
    recorded = sorted(json.loads(line)["arguments"]["note"] for line in text.splitlines())
    assert recorded == ["[redacted]", "[redacted]", "region eu-west-1"]
    written = "".join(seen) + text + log.read_text(encoding="utf-8")
    assert key not in written and token not in written


def test_a_key_given_as_the_urls_bare_query_is_hidden_as_a_path_key_is(tmp_path: Path, token_server: str) -> None:
    """`http://host/mcp?<key>`: some services take their key as the whole query, without a name.
    It reads as a key (as a part of a path would), so `tools`, the snapshot and a 404's sentence
    show `?***`, and an agent passing it has it redacted in the recording; a word such as
    `?json` is shown. Before, only a named query value (`?key=...`) was hidden: the bare key was
    printed, saved and recorded as written."""
    key = "xcMLHm0VHEdvV5Tt5yoEWhfa"
    policytui = str(Path(sys.executable).parent / "policytui")
    url = token_server.replace("http://", f"http://{TOKEN}@") + f"?{key}"
    shown = token_server.replace("http://", "http://***@") + "?***"
    snapshot = tmp_path / "snapshot.json"
    made = subprocess.run([policytui, "snapshot", url, "-o", str(snapshot)], capture_output=True, text=True, timeout=60)
    listed = subprocess.run([policytui, "tools", url], capture_output=True, text=True, timeout=60)
    missing = subprocess.run([policytui, "tools", url.replace("/mcp?", "/gone?")], capture_output=True, text=True,
                             timeout=60)
    worded = subprocess.run([policytui, "tools", url.replace(f"?{key}", "?json")], capture_output=True, text=True,
                            timeout=60)
    assert (made.returncode, listed.returncode, missing.returncode, worded.returncode) == (0, 0, 1, 0), made.stderr
    assert json.loads(snapshot.read_text(encoding="utf-8"))["source"]["url"] == shown
    assert listed.stdout.splitlines()[0].endswith(f"via http: {shown}"), listed.stdout
    assert f"{shown.replace('/mcp?', '/gone?')} answered HTTP 404" in missing.stderr, missing.stderr
    assert worded.stdout.splitlines()[0].endswith("/mcp?json"), worded.stdout
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    recording = tmp_path / "calls.jsonl"
    seen = _stdio_session(
        [policytui, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
         "--record", str(recording), url], dict(os.environ),
        [{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "whoami", "arguments": {"note": key}}}])
    recorded = [json.loads(line)["arguments"] for line in recording.read_text(encoding="utf-8").splitlines()]
    assert recorded == [{"note": "[redacted]"}]
    for text in (snapshot.read_text(encoding="utf-8"), made.stdout, made.stderr, listed.stdout, listed.stderr,
                 missing.stdout, missing.stderr, recording.read_text(encoding="utf-8"), "".join(seen)):
        assert key not in text


@pytest.mark.parametrize("scheme", ["HTTP", "Http"])
def test_a_url_whose_scheme_is_in_capitals_is_taken_for_the_url_it_is(tmp_path: Path, scheme: str) -> None:
    """A URL's scheme is read in any case: `HTTP://TOKEN@host/mcp` was taken for a server's name
    ("no server named 'http://***@...' is configured"). `tools` and `snapshot` reach the server
    and show, save and print its token starred."""
    policytui = str(Path(sys.executable).parent / "policytui")
    snapshot = tmp_path / "snapshot.json"
    with _token_server_on(ECHO_TOKEN="1") as port:
        url = f"{scheme}://{TOKEN}@127.0.0.1:{port}/mcp"
        listed = subprocess.run([policytui, "tools", url], capture_output=True, text=True, timeout=60)
        made = subprocess.run([policytui, "snapshot", url, "-o", str(snapshot)], capture_output=True, text=True,
                              timeout=60)
    assert (listed.returncode, made.returncode) == (0, 0), listed.stderr + made.stderr
    shown = f"http://***@127.0.0.1:{port}/mcp"
    assert listed.stdout.splitlines()[0].endswith(f"via http: {shown}"), listed.stdout
    saved = json.loads(snapshot.read_text(encoding="utf-8"))
    assert saved["source"]["url"] == shown
    assert saved["tools"][0]["description"] == "Who you are (as ***)."
    for text in (listed.stdout, listed.stderr, made.stdout, made.stderr, snapshot.read_text(encoding="utf-8")):
        assert TOKEN not in text


def test_a_gateway_whose_target_has_a_capital_scheme_connects_and_logs_it_hidden(tmp_path: Path) -> None:
    """`policytui gateway HTTP://alice:TOKEN@host/mcp;jsessionid=...?api_key=...#access_token=...`:
    the gateway reaches the server with the URL's sign-in (the server accepts only that basic
    auth), its log names the server as `http://alice:***@host/mcp;jsessionid=***?api_key=***`,
    its audit names it by its host, and a 404 at such a URL is told with the same URL. Neither
    the sign-in, the session's id, the query's key nor the fragment's token is in any of them.
    Before, the log did not name the server at all."""
    session, key, fragment = "Sess1onIdHeld77", "query-key-held-4412", "fragment-token-held-7781"
    policytui = str(Path(sys.executable).parent / "policytui")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    audit, log = tmp_path / "audit.jsonl", tmp_path / "gateway.log"
    with _token_server_on(ECHO_TOKEN="1", EXPECTED_USER="alice") as port:
        url = f"HTTP://alice:{TOKEN}@127.0.0.1:{port}/mcp;jsessionid={session}?api_key={key}#access_token={fragment}"
        shown = f"http://alice:***@127.0.0.1:{port}/mcp;jsessionid=***?api_key=***"
        options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit),
                   "--log", str(log), "--log-level", "debug"]
        seen = _stdio_session([policytui, "gateway", *options, url], dict(os.environ),
                              [{"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                               {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                                "params": {"name": "whoami", "arguments": {}}}])
        logged = log.read_text(encoding="utf-8")
        missing = subprocess.run([policytui, "gateway", *options, url.replace("/mcp;", "/gone;")],
                                 capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    answers = {m.get("id"): m for m in (json.loads(line) for line in seen[:-1])}
    assert answers[1]["result"]["instructions"] == "Authenticated with ***.", seen
    assert answers[2]["result"]["tools"][0]["description"] == "Who you are (as ***).", seen
    assert answers[3]["error"]["message"] == "no", seen  # the server's own answer: the call reached it
    assert f" INFO server: {shown}\n" in logged, logged
    audited = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    assert {entry["server"] for entry in audited} == {"127.0.0.1"}, audited
    assert {entry["tool"] for entry in audited if entry["decision"] == "allowed"} == {"whoami"}, audited
    assert missing.returncode == 1, missing.stderr
    assert f"{shown.replace('/mcp;', '/gone;')} answered HTTP 404 Not Found" in missing.stderr, missing.stderr
    assert f" INFO server: {shown.replace('/mcp;', '/gone;')}\n" in log.read_text(encoding="utf-8")
    assert f" ERROR the gateway stops: {shown.replace('/mcp;', '/gone;')} answered HTTP 404" in log.read_text(
        encoding="utf-8")
    written = {"client and standard error": "".join(seen), "failed start": missing.stdout + missing.stderr,
               "log": log.read_text(encoding="utf-8"), "audit": audit.read_text(encoding="utf-8")}
    for secret in (TOKEN, session, key, fragment):
        assert not [where for where, text in written.items() if secret in text], secret


def test_a_dropped_connection_is_told_in_a_sentence_ending_in_one_full_stop(tmp_path: Path) -> None:
    """A server that closes the connection without answering: the HTTP client's own words end
    in a full stop ("Server disconnected without sending a response."), and the sentence built
    on them added another. `tools`, `snapshot` and the gateway end it with one, and the URL's
    credentials are starred in it."""
    policytui = str(Path(sys.executable).parent / "policytui")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    with _token_server_on(DROP="1") as port:
        url = f"http://alice:{TOKEN}@127.0.0.1:{port}/mcp?api_key=query-key-held-4412"
        done = [subprocess.run([policytui, *argv], capture_output=True, text=True, timeout=60) for argv in (
            ["tools", url], ["snapshot", url, "-o", str(tmp_path / "snapshot.json")],
            ["gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"), url])]
    said = (f"the connection to http://alice:***@127.0.0.1:{port}/mcp?api_key=*** failed: "
            "Server disconnected without sending a response.")
    for result in done:
        assert result.returncode == 1, result.stderr
        assert said in result.stderr, result.stderr
        assert ".." not in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert TOKEN not in result.stdout + result.stderr and "query-key-held-4412" not in result.stderr
    assert not (tmp_path / "snapshot.json").exists()


REDIRECTS = {  # where the server redirects to: what is said of it
    "another path": ("/v2/mcp", "to another path on the same host, http://alice:***@127.0.0.1:{port}/v2/mcp"),
    "https": ("https://127.0.0.1/mcp", "to https on the same host, https://127.0.0.1/mcp"),
    "another site": ("http://elsewhere.example/mcp?api_key=elsewhere-key-3391",
                     "to another site, http://elsewhere.example/mcp?api_key=***"),
}


@pytest.mark.parametrize(("location", "said"), REDIRECTS.values(), ids=REDIRECTS.keys())
def test_a_redirect_is_refused_saying_where_it_went(tmp_path: Path, location: str, said: str) -> None:
    """A redirect is never followed (the URL's credentials would go with it); a 302 to another
    path of the same host was told as going "to another site". `tools`, `snapshot` and the
    gateway refuse it as before and say where it went, the place's credentials hidden as a
    target's are."""
    policytui = str(Path(sys.executable).parent / "policytui")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    with _token_server_on(REDIRECT=location) as port:
        url = f"http://alice:{TOKEN}@127.0.0.1:{port}/mcp?api_key=query-key-held-4412"
        done = [subprocess.run([policytui, *argv], capture_output=True, text=True, timeout=60) for argv in (
            ["tools", url], ["snapshot", url, "-o", str(tmp_path / "snapshot.json")],
            ["gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"), url])]
    sentence = (f"http://alice:***@127.0.0.1:{port}/mcp?api_key=*** redirected (HTTP 302 Found) "
                f"{said.format(port=port)}; use the final URL directly.")
    for result in done:
        assert result.returncode == 1, result.stderr
        assert sentence in result.stderr, result.stderr
        assert "another site" not in result.stderr or "elsewhere" in location, result.stderr
        for secret in (TOKEN, "query-key-held-4412", "elsewhere-key-3391"):
            assert secret not in result.stdout + result.stderr
    assert not (tmp_path / "snapshot.json").exists()


def test_a_urls_matrix_parameters_are_hidden_and_counted_as_its_query_is(tmp_path: Path) -> None:
    """`http://host/mcp;jsessionid=...;api_key=...;<key>`: matrix parameters in a URL's path sign
    a session in or carry a key as a query's parameters do. `tools`, the snapshot, a 404's
    sentence and `servers` (for a configured entry) show them as `;jsessionid=***`, `;***`
    (a word alone, `;json`, is shown), and an agent passing the session's id, the key, or a URL
    of its own or of a header with such a parameter has it redacted in the recording and the
    log. Before, the path's parameters were printed, saved and recorded as written."""
    session, key, bare = "Sess1onIdHeld77", "matrix-key-held-5521", "xcMLHm0VHEdvV5Tt5yoEWhfa"
    header_token, other_session = "header-token-held-6634", "0therSessi0nHeld42"
    secrets = (TOKEN, session, key, bare, header_token, other_session)
    policytui = str(Path(sys.executable).parent / "policytui")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    config = tmp_path / "config"
    config.mkdir()
    snapshot, recording, log = tmp_path / "snapshot.json", tmp_path / "calls.jsonl", tmp_path / "gateway.log"
    with _token_server_on() as port:
        url = f"http://{TOKEN}@127.0.0.1:{port}/mcp;jsessionid={session};api_key={key};{bare}"
        shown = f"http://***@127.0.0.1:{port}/mcp;jsessionid=***;api_key=***;***"
        (config / "servers.json").write_text(json.dumps({"mcpServers": {"matrix": {"url": url}}}), encoding="utf-8")
        env = {**os.environ, "POLICYTUI_CONFIG_DIR": str(config), "POLICYTUI_STATE_DIR": str(tmp_path / "state")}
        done = {name: subprocess.run([policytui, *argv], capture_output=True, text=True, timeout=60, env=env)
                for name, argv in {
                    "snapshot": ["snapshot", url, "-o", str(snapshot)], "tools": ["tools", url],
                    "missing": ["tools", url.replace("/mcp;", "/gone;")], "worded": ["tools", url.replace(bare, "json")],
                    "servers": ["servers", "--json"], "named": ["tools", "matrix"]}.items()}
        seen = _stdio_session(
            [policytui, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
             "--record", str(recording), "--log", str(log), "--log-level", "debug",
             "--header", f"X-Upstream: https://upstream.example.com/feed;token={header_token}", url], env,
            [{"jsonrpc": "2.0", "id": n, "method": "tools/call", "params": {"name": "whoami", "arguments": {"note": note}}}
             for n, note in enumerate([session, key, bare, header_token,
                                       f"https://app.example.com/cart;jsessionid={other_session}",
                                       "https://example.org/docs;json", "mcp;v=2"], start=2)])
    codes = {name: result.returncode for name, result in done.items()}
    assert codes == {"snapshot": 0, "tools": 0, "missing": 1, "worded": 0, "servers": 0, "named": 0}, done
    assert json.loads(snapshot.read_text(encoding="utf-8"))["source"]["url"] == shown
    assert done["tools"].stdout.splitlines()[0].endswith(f"via http: {shown}"), done["tools"].stdout
    assert f"{shown.replace('/mcp;', '/gone;')} answered HTTP 404" in done["missing"].stderr, done["missing"].stderr
    assert done["worded"].stdout.splitlines()[0].endswith("/mcp;jsessionid=***;api_key=***;json"), done["worded"].stdout
    [row] = [row for row in json.loads(done["servers"].stdout)["servers"] if row["name"] == "matrix"]
    assert row["target"] == shown
    recorded = [json.loads(line)["arguments"]["note"] for line in recording.read_text(encoding="utf-8").splitlines()]
    # The calls are sent at once and may be answered, so recorded, in any order.
    assert sorted(recorded) == sorted(["[redacted]"] * 5 + ["https://example.org/docs;json", "mcp;v=2"])
    written = {name: result.stdout + result.stderr for name, result in done.items()}
    written |= {"snapshot file": snapshot.read_text(encoding="utf-8"), "client and standard error": "".join(seen),
                "recording": recording.read_text(encoding="utf-8"), "log": log.read_text(encoding="utf-8")}
    for secret in secrets:
        assert not [where for where, text in written.items() if secret in text], secret


def test_a_404_on_an_sse_path_with_parameters_says_add_sse_as_a_plain_one_does(tmp_path: Path) -> None:
    """A legacy SSE server's `/sse` reached without --sse answers 404, and the sentence says to
    add --sse. A path written with a matrix parameter (`/sse;jsessionid=...`) or a query is the
    same endpoint: `tools`, `snapshot` and the gateway say the same, the parameters' values
    hidden. Before, the shown URL's ending (`;jsessionid=***`) was judged and the hint was
    "check the path"."""
    session, key = "Sess1onIdHeld77", "query-key-held-4412"
    policytui = str(Path(sys.executable).parent / "policytui")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    with _token_server_on() as port:
        base = f"http://127.0.0.1:{port}/sse"
        written = {f"{base};jsessionid={session}": f"{base};jsessionid=***",
                   f"{base}?api_key={key}": f"{base}?api_key=***",
                   f"{base};jsessionid={session}/?api_key={key}": f"{base};jsessionid=***/?api_key=***"}
        done = {(url, argv[0]): subprocess.run([policytui, *argv], capture_output=True, text=True, timeout=60)
                for url in written for argv in (
                    ["tools", url], ["snapshot", url, "-o", str(tmp_path / "snapshot.json")],
                    ["gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"), url])}
    for (url, command), result in done.items():
        said = f"{written[url]} answered HTTP 404 Not Found; this looks like a legacy SSE endpoint: add --sse."
        assert result.returncode == 1, (command, result.stderr)
        assert said in result.stderr, (command, result.stderr)
        assert session not in result.stdout + result.stderr and key not in result.stdout + result.stderr
    assert not (tmp_path / "snapshot.json").exists()


def test_a_configured_entry_refused_for_its_transport_is_told_to_change_its_type_not_to_add_sse(
    tmp_path: Path,
) -> None:
    """A configured entry typed "http" whose URL ends in /sse answers 404, and one typed "sse"
    before a Streamable HTTP server is refused its event stream: `tools`, `snapshot` and the
    gateway, given the entry's name, say to set its "type" in the file it comes from, which
    they name. Before, they said to add --sse (or to connect without it), an option of a URL
    typed on the command line that a configured entry cannot take."""
    policytui = str(Path(sys.executable).parent / "policytui")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    config = tmp_path / "config"
    config.mkdir()
    env = {**os.environ, "POLICYTUI_CONFIG_DIR": str(config), "POLICYTUI_PROJECT_DIR": str(tmp_path)}
    streamable = subprocess.Popen([sys.executable, str(MISBEHAVING / "refusing_http.py")], stdout=subprocess.PIPE,
                                  text=True)
    try:
        assert streamable.stdout is not None
        streamable_url = f"http://127.0.0.1:{int(streamable.stdout.readline())}/mcp"
        with _token_server_on() as port:
            legacy_url = f"http://127.0.0.1:{port}/sse"
            (config / "servers.json").write_text(json.dumps({"mcpServers": {
                "legacy": {"type": "http", "url": legacy_url},
                "streamable": {"type": "sse", "url": streamable_url}}}), encoding="utf-8")
            done = {(name, argv[0]): subprocess.run([policytui, *argv], capture_output=True, text=True, timeout=60,
                                                    env=env, cwd=tmp_path)
                    for name in ("legacy", "streamable") for argv in (
                        ["tools", name], ["snapshot", name, "-o", str(tmp_path / "snapshot.json")],
                        ["gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"), name])}
    finally:
        streamable.kill()
        streamable.wait(timeout=10)
    origin = f"policytui ({config / 'servers.json'})"  # the file, as `servers` names it
    said = {
        "legacy": f'{legacy_url} answered HTTP 404 Not Found; this looks like a legacy SSE endpoint: '
                  f'set "type": "sse" in its entry in {origin}.',
        "streamable": f'{streamable_url} answered GET with HTTP 405 Method Not Allowed; it does not offer a legacy '
                      f'SSE stream there; if it speaks Streamable HTTP, set "type": "http" in its entry in {origin}.',
    }
    for (name, command), result in done.items():
        assert result.returncode == 1, (name, command, result.stderr)
        assert said[name] in result.stderr, (name, command, result.stderr)
        assert "--sse" not in result.stderr and "Traceback" not in result.stderr, (name, command, result.stderr)
    assert not (tmp_path / "snapshot.json").exists()


def test_a_configured_url_ending_in_sse_with_a_matrix_parameter_is_taken_for_sse(tmp_path: Path) -> None:
    """A configured entry without a type is taken for a legacy SSE server when its URL's path
    ends in /sse; `http://host/sse;jsessionid=...` ends so too, its parameter no part of the
    route. `servers` lists it as sse with the session's id hidden, and `tools NAME` lists the
    real SSE server's tools. Before, the path with its parameter was judged: the entry was
    taken for Streamable HTTP and `tools` failed on the SSE server."""
    session = "Sess1onIdHeld77"
    policytui = str(Path(sys.executable).parent / "policytui")
    config = tmp_path / "config"
    config.mkdir()
    server = subprocess.Popen([sys.executable, str(MISBEHAVING / "refusing_sse.py")], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        url = f"http://127.0.0.1:{port}/sse;jsessionid={session}"
        (config / "servers.json").write_text(json.dumps({"mcpServers": {"legacy": {"url": url}}}), encoding="utf-8")
        env = {**os.environ, "POLICYTUI_CONFIG_DIR": str(config), "POLICYTUI_PROJECT_DIR": str(tmp_path)}
        done = [subprocess.run([policytui, *argv], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
                for argv in (["servers", "--json"], ["tools", "legacy"])]
    finally:
        server.kill()
        server.wait(timeout=10)
    listed, tools = done
    assert (listed.returncode, tools.returncode) == (0, 0), listed.stderr + tools.stderr
    [row] = [row for row in json.loads(listed.stdout)["servers"] if row["name"] == "legacy"]
    assert (row["transport"], row["target"]) == ("sse", f"http://127.0.0.1:{port}/sse;jsessionid=***"), row
    assert tools.stdout.splitlines()[0].endswith(f"via sse: http://127.0.0.1:{port}/sse;jsessionid=*** (SSE)"), tools.stdout
    assert "echo" in tools.stdout, tools.stdout
    assert all(session not in result.stdout + result.stderr for result in done)


def test_a_gateway_that_cannot_reach_its_server_says_why_in_its_log_file(tmp_path: Path) -> None:
    """A gateway started by an MCP client, its standard error often thrown away, logging to
    `--log FILE`: when its server cannot be reached, the log says why, in the sentence standard
    error has (once there), the URL's sign-in, session's id, keys and fragment token hidden.
    Before, the log ended at the policy loaded, the reason on standard error alone."""
    key, session, query_key, fragment = "xcMLHm0VHEdvV5Tt5yoEWhfa", "Sess1onIdHeld77", "query-key-held-4412", "frag-held-7781"
    policytui = str(Path(sys.executable).parent / "policytui")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    log = tmp_path / "gateway.log"
    port = free_port()  # nothing listens there
    url = f"http://alice:{TOKEN}@127.0.0.1:{port}/mcp;jsessionid={session};{key}?api_key={query_key}#access_token={fragment}"
    said = (f"ould not connect to http://alice:***@127.0.0.1:{port}/mcp;jsessionid=***;***?api_key=***: "
            "connection refused (is the server running on that port?).")
    result = subprocess.run([policytui, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
                             "--log", str(log), url], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    logged = log.read_text(encoding="utf-8")
    assert result.returncode == 1, result.stderr
    assert result.stderr == f"policytui gateway: c{said}\n", result.stderr
    assert logged.splitlines()[-1].endswith(f" ERROR the gateway stops: C{said}"), logged
    for secret in (TOKEN, key, session, query_key, fragment):
        assert secret not in logged + result.stderr, secret
