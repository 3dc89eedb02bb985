"""A server that fails quotes what it was working on: its stderr (and stray text on stdout),
which policytui shows in the error sentence and the gateway's log, may hold a credential an
agent passed in a call, or one of the server's own it read from somewhere policytui does not
know. A line that holds one (a bearer token, a JSON Web Token, an AWS key ID, a PEM block, a
value given to `password=` or `"api_key":`) is shown as "[a line that holds a credential, not
shown]"; the server's other lines are shown as they are.

Through the installed command: `policytui tools -- SERVER`, and `policytui gateway` in front of
a server that dies in the middle of a call, spoken to in raw JSON lines over stdio.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from policytui.redaction import CREDENTIAL_LINE

POLICYTUI = str(Path(sys.executable).parent / "policytui")
PASSWORD = "hunter2-Stderr-55kq"
BEARER = "9ZkLmq2XwT7vR4"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudC03In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
AWS = "AKIAQ7XTRM2ZBPLMN4OV"
SECRETS = (PASSWORD, BEARER, JWT, AWS)

FAILS_AT_START = f'''
import sys
print("connecting with Authorization: Bearer {BEARER}", file=sys.stderr)
print("login failed for password={PASSWORD}", file=sys.stderr)
print("session {JWT} expired", file=sys.stderr)
print("fatal: the upstream API refused the key", file=sys.stderr)
print("using {AWS} from the instance profile", flush=True)
sys.exit(3)
'''

DIES_IN_A_CALL = r'''
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message:
        continue
    method = message["method"]
    if method == "initialize":
        result = {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                  "serverInfo": {"name": "fragile", "version": "1"}}
    elif method == "tools/list":
        result = {"tools": [{"name": "export", "inputSchema": {"type": "object"}}]}
    elif method == "tools/call" and message["params"]["name"] != "export":
        result = {"content": [{"type": "text", "text": "no such tool"}], "isError": True}
    elif method == "tools/call":
        print("export failed for " + json.dumps(message["params"]["arguments"]), file=sys.stderr)
        print("Traceback: the export target refused the connection", file=sys.stderr)
        sys.exit(4)
    else:
        result = {}
    print(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}), flush=True)
'''


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def test_a_server_failing_at_start_is_quoted_without_the_lines_that_hold_credentials(tmp_path: Path) -> None:
    server = tmp_path / "fails.py"
    server.write_text(FAILS_AT_START, encoding="utf-8")
    result = subprocess.run([POLICYTUI, "tools", "--", sys.executable, str(server)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "exited with code 3 before answering initialize" in result.stderr, result.stderr
    # The line that tells why stays; the three that hold a credential, and the stray stdout
    # line the sentence names, are shown as such.
    assert "fatal: the upstream API refused the key" in result.stderr
    assert result.stderr.count(CREDENTIAL_LINE) == 4, result.stderr
    assert _leaks(result.stdout + result.stderr) == []


def test_a_server_writing_a_url_with_a_key_without_its_scheme_is_quoted_without_that_line(tmp_path: Path) -> None:
    """A server that writes where it posts (`hooks.slack.com/services/T0/B0/<key>`, a Telegram
    bot's endpoint) without `https://` before failing: `tools` quoted those lines whole, keys
    and all, where a URL with its scheme was found. Each is shown as holding a credential now;
    lines naming a file's path, a version and an ordinary page stay."""
    keys = ("XXXXXXXXXXXXXXXXXXXXXXXX", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
    server = tmp_path / "notifier.py"
    server.write_text("import sys\n" + "".join(f"print({line!r}, file=sys.stderr)\n" for line in (
        "loading src/app/main.py",
        f"posting alerts to hooks.slack.com/services/T00000000/B00000000/{keys[0]}",
        f"bot endpoint api.telegram.org/bot123456789:{keys[1]}/ unreachable",
        "see v1.2/docs or example.com/docs/errors/start for help",
    )) + "sys.exit(3)\n", encoding="utf-8")
    result = subprocess.run([POLICYTUI, "tools", "--", sys.executable, str(server)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert "exited with code 3 before answering initialize" in result.stderr, result.stderr
    assert "| loading src/app/main.py" in result.stderr, result.stderr
    assert "| see v1.2/docs or example.com/docs/errors/start for help" in result.stderr, result.stderr
    assert result.stderr.count(CREDENTIAL_LINE) == 2, result.stderr
    assert not [key for key in keys if key in result.stdout + result.stderr]


def test_a_server_dying_in_a_call_is_logged_without_the_calls_credentials(tmp_path: Path) -> None:
    server = tmp_path / "fragile.py"
    server.write_text(DIES_IN_A_CALL, encoding="utf-8")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    log = tmp_path / "gateway.log"
    gateway = subprocess.Popen(
        [POLICYTUI, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
         "--audit", str(tmp_path / "audit.jsonl"), "--log", str(log), "--log-level", "debug",
         "--", sys.executable, str(server)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert gateway.stdin is not None and gateway.stdout is not None and gateway.stderr is not None
    arguments = {"target": "s3://reports", "password": PASSWORD, "note": f"Bearer {BEARER}", "session": JWT}
    for message in (
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "agent", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "export", "arguments": arguments}},
    ):
        gateway.stdin.write(json.dumps(message) + "\n")
        gateway.stdin.flush()
    answers = []
    while len(answers) < 2:
        line = gateway.stdout.readline()
        assert line, answers
        answers.append(json.loads(line))
    assert "error" in answers[1] or answers[1]["result"].get("isError"), answers[1]
    deadline = time.monotonic() + 20
    while "while serving" not in (log.read_text(encoding="utf-8") if log.exists() else ""):
        assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
        time.sleep(0.05)
    gateway.stdin.close()
    gateway.wait(timeout=30)
    text = log.read_text(encoding="utf-8")
    assert "Traceback: the export target refused the connection" in text and CREDENTIAL_LINE in text, text
    assert _leaks(text + gateway.stderr.read() + json.dumps(answers)) == []
    assert _leaks((tmp_path / "audit.jsonl").read_text(encoding="utf-8")) == []
