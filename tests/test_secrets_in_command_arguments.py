"""A credential given on the server's command line (`--api-key abc`, `--api-key=abc`,
`--password abc`) is a secret like one in its environment: what the server writes on stderr, puts
in its own metadata or answers with reaches no message, snapshot, log or recording in clear.

The installed `policytui` runs, as a person runs it, against small real servers written here:
one that writes its key to stderr and exits, one that speaks MCP and repeats its key in its
name, its instructions, a tool's description and, when asked to, on stderr before it dies.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from policytui.cli.connect_cmd import _loaders
from policytui.discovery import resolve_target
from policytui.tui import make_app

POLICYTUI = str(Path(sys.executable).with_name("policytui"))
MISBEHAVING = Path(__file__).parent / "servers" / "misbehaving"
SECRET = "sk-argv-7f3a9c2e51b04d68"

# The key is read from the command line in either form: `--api-key KEY` or `--api-key=KEY`.
READ_KEY = r'''
import sys
def key():
    for i, arg in enumerate(sys.argv):
        flag, eq, value = arg.partition("=")
        if flag in ("--api-key", "--password", "--token"):
            return value if eq else sys.argv[i + 1]
    raise SystemExit("no key given")
'''

FAILING = READ_KEY + r'''
print("starting", file=sys.stderr)
print("rejected key " + key() + " (401)", file=sys.stderr)
sys.exit(3)
'''

ECHOING = READ_KEY + r'''
sys.path.insert(0, sys.argv[1])
from _rpc import initialize_result, serve

KEY = key()
print("connecting with key " + KEY, file=sys.stderr, flush=True)
TOOLS = [
    {"name": "lookup", "description": "Looks things up as " + KEY,
     "inputSchema": {"type": "object", "properties": {"query": {"type": "string"}}}},
    {"name": "crash", "description": "Stops the server.", "inputSchema": {"type": "object"}},
]

def handle(method, params):
    if method == "initialize":
        return initialize_result("echo " + KEY, "Signed in with " + KEY + ".")
    if method == "tools/list":
        return {"tools": TOOLS}
    if method == "tools/call":
        if params.get("name") == "crash":
            print("dying, key " + KEY + " revoked", file=sys.stderr, flush=True)
            sys.exit(4)
        return {"content": [{"type": "text", "text": "found"}]}
    return {}

serve(handle)
'''

# Given as arguments of their own, as server-postgres takes its database: a URL with a password
# and an issued key. The server repeats both.
DATABASE_PASSWORD = "pg-Plain-value-4471"
DATABASE = f"postgresql://reporter:{DATABASE_PASSWORD}@db.internal/sales"
ISSUED_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
POSITIONAL = r'''
import sys
from urllib.parse import urlsplit
sys.path.insert(0, sys.argv[1])
from _rpc import initialize_result, serve

DATABASE, KEY = sys.argv[2], sys.argv[3]
print("connecting to " + DATABASE, file=sys.stderr, flush=True)
TOOLS = [{"name": "query", "inputSchema": {"type": "object"}, "description":
          "Runs SQL on " + DATABASE + " as " + urlsplit(DATABASE).password + ", billing " + KEY}]

def handle(method, params):
    if method == "initialize":
        return initialize_result("db", "Connected to " + DATABASE + ".")
    if method == "tools/list":
        return {"tools": TOOLS}
    return {}

serve(handle)
'''

# The two ways a flag takes its value, and a second credential-looking flag.
FORMS = {
    "--api-key VALUE": ["--api-key", SECRET],
    "--api-key=VALUE": [f"--api-key={SECRET}"],
    "--password VALUE": ["--password", SECRET],
}


def script(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [POLICYTUI, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL, env={**os.environ, "POLICYTUI_CONFIG_DIR": str(tmp_path / "config")},
    )


def files_text(folder: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("given", FORMS.values(), ids=FORMS.keys())
def test_tools_shows_the_stderr_of_a_failing_server_without_its_key(tmp_path: Path, given: list[str]) -> None:
    failing = script(tmp_path, "failing.py", FAILING)
    result = run(tmp_path, "tools", "--", sys.executable, str(failing), *given)
    assert result.returncode != 0
    assert SECRET not in result.stdout + result.stderr
    assert "exited with code 3" in result.stderr
    assert "| rejected key *** (401)" in result.stderr, result.stderr


@pytest.mark.parametrize("given", FORMS.values(), ids=FORMS.keys())
def test_the_snapshot_keeps_no_key_the_server_repeats(tmp_path: Path, given: list[str]) -> None:
    echoing = script(tmp_path, "echoing.py", ECHOING)
    out = tmp_path / "snap.json"
    result = run(tmp_path, "snapshot", "-o", str(out), "--", sys.executable, str(echoing), str(MISBEHAVING), *given)
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert SECRET not in text + result.stdout + result.stderr
    document = json.loads(text)
    assert document["serverInfo"]["name"] == "echo ***"
    assert document["instructions"] == "Signed in with ***."
    assert document["tools"][0]["description"] == "Looks things up as ***"
    assert "***" in document["source"]["command"]


def test_a_snapshot_on_standard_output_keeps_no_key(tmp_path: Path) -> None:
    echoing = script(tmp_path, "echoing.py", ECHOING)
    result = run(tmp_path, "snapshot", "-o", "-", "--", sys.executable, str(echoing), str(MISBEHAVING),
                 "--api-key", SECRET)
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert '"name": "echo ***"' in result.stdout


@pytest.mark.parametrize("json_output", [False, True], ids=["table", "json"])
def test_tools_lists_a_repeated_key_as_stars(tmp_path: Path, json_output: bool) -> None:
    echoing = script(tmp_path, "echoing.py", ECHOING)
    result = run(tmp_path, "tools", *(["--json"] if json_output else []),
                 "--", sys.executable, str(echoing), str(MISBEHAVING), f"--api-key={SECRET}")
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert "Looks things up as ***" in result.stdout
    assert "echo ***" in result.stdout


def test_only_the_values_of_credential_flags_are_secrets(tmp_path: Path) -> None:
    """`--path` and `--pattern` hold no credential ("pat" is a personal access token only as a
    word of its own, `--github-pat`): their values stay readable in the command and on stderr."""
    printing = script(tmp_path, "printing.py", (
        "import sys\nprint('args: ' + ' '.join(sys.argv[1:]), file=sys.stderr)\nsys.exit(3)\n"))
    folder = str(tmp_path / "projects")
    result = run(tmp_path, "tools", "--", sys.executable, str(printing), "--path", folder,
                 "--pattern", "*.txt", "--github-pat", SECRET)
    assert result.returncode != 0
    assert SECRET not in result.stdout + result.stderr
    assert f"| args: --path {folder} --pattern *.txt --github-pat ***" in result.stderr, result.stderr


def test_a_short_argument_value_is_not_starred_everywhere(tmp_path: Path) -> None:
    """The rule for short values is the one for every other secret: a value of fewer than four
    characters is hidden in the command shown, but not starred wherever it appears."""
    failing = script(tmp_path, "failing.py", FAILING)
    result = run(tmp_path, "tools", "--", sys.executable, str(failing), "--token", "401")
    assert "| rejected key 401 (401)" in result.stderr, result.stderr


@pytest.mark.parametrize("given", FORMS.values(), ids=FORMS.keys())
def test_a_gateway_that_cannot_start_its_server_says_why_without_the_key(
    tmp_path: Path, given: list[str]
) -> None:
    failing = script(tmp_path, "failing.py", FAILING)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    log = tmp_path / "gateway.log"
    result = run(tmp_path, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
                 "--log", str(log), "--", sys.executable, str(failing), *given)
    assert result.returncode != 0
    assert "| rejected key *** (401)" in result.stderr, result.stderr
    assert SECRET not in result.stdout + result.stderr + log.read_text(encoding="utf-8")
    assert SECRET not in files_text(tmp_path / "state")


def _answer(process: subprocess.Popen[str], request_id: int) -> dict[str, Any]:
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        message = json.loads(line)
        if message.get("id") == request_id:
            assert isinstance(message, dict)
            return message
    raise AssertionError(f"no answer to request {request_id}")


def test_the_gateway_keeps_the_key_from_clients_log_audit_and_recording(tmp_path: Path) -> None:
    echoing = script(tmp_path, "echoing.py", ECHOING)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    log, record, state = tmp_path / "gateway.log", tmp_path / "calls.jsonl", tmp_path / "state"
    process = subprocess.Popen(
        [POLICYTUI, "gateway", "--policy", str(policy), "--state-dir", str(state), "--log", str(log),
         "--record", str(record), "--", sys.executable, str(echoing), str(MISBEHAVING), "--api-key", SECRET],
        cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None

    def send(message: dict[str, Any]) -> None:
        assert process.stdin is not None
        process.stdin.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")
        process.stdin.flush()

    try:
        send({"id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
        init = _answer(process, 1)
        send({"method": "notifications/initialized"})
        send({"id": 2, "method": "tools/list"})
        tools = _answer(process, 2)
        # A client that learned the key somehow and passes it in a call's arguments.
        send({"id": 3, "method": "tools/call", "params": {"name": "lookup", "arguments": {"query": "as " + SECRET}}})
        found = _answer(process, 3)
        send({"id": 4, "method": "tools/call", "params": {"name": "crash", "arguments": {}}})
        deadline = time.monotonic() + 30
        while "exited with code 4" not in (log.read_text(encoding="utf-8") if log.exists() else ""):
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.05)
    finally:
        process.stdin.close()
        process.wait(timeout=30)
        out, err = process.stdout.read(), process.stderr.read()
        process.stdout.close()
        process.stderr.close()

    assert init["result"]["instructions"] == "Signed in with ***."
    assert tools["result"]["tools"][0]["description"] == "Looks things up as ***"
    assert found["result"]["content"][0]["text"] == "found"
    logged = log.read_text(encoding="utf-8")
    assert "| dying, key *** revoked" in logged, logged
    lines = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    lookup = next(line for line in lines if line["tool"] == "lookup")
    assert lookup["arguments"] == {"query": "[redacted]"}
    for where, text in [("stdout", out), ("stderr", err), ("log", logged),
                        ("recording", record.read_text(encoding="utf-8")), ("state", files_text(state))]:
        assert SECRET not in text, where


async def _connect_failure_screen(tmp_path: Path, command: list[str]) -> str:
    """What the editor's failure screen shows for a server started by `command` that fails
    (the screen it opens instead of the tools); `q` then ends the editor with exit status 1."""
    spec = resolve_target(command=command, cwd=tmp_path)
    load, _offline = _loaders(spec, offline=False, timeout=60)
    app = make_app(policy_path=tmp_path / "policy.json", load_listing=load, target_label=spec.describe())
    async with app.run_test(size=(120, 34)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.id == "failure"
        strips = app.screen._compositor.render_strips()
        shown = "\n".join("".join(segment.text for segment in strip) for strip in strips)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 1
    return shown


async def test_the_connect_dialog_shows_the_stderr_of_a_failing_server_without_its_key(tmp_path: Path) -> None:
    failing = script(tmp_path, "failing.py", FAILING)
    shown = await _connect_failure_screen(tmp_path, [sys.executable, str(failing), f"--api-key={SECRET}"])
    assert "Could not list the server's tools" in shown
    assert "rejected key *** (401)" in shown, shown
    assert SECRET not in shown


def test_a_database_url_and_a_key_given_as_arguments_of_their_own_are_secrets(tmp_path: Path) -> None:
    """`-- server postgresql://me:PASSWORD@db/x sk_live_...`: the URL's password and the key
    reach neither the snapshot (its command, the server's words), nor `tools`' output."""
    positional = script(tmp_path, "positional.py", POSITIONAL)
    out = tmp_path / "snap.json"
    command = ["--", sys.executable, str(positional), str(MISBEHAVING), DATABASE, ISSUED_KEY]
    made = run(tmp_path, "snapshot", "-o", str(out), *command)
    listed = run(tmp_path, "tools", *command)
    assert (made.returncode, listed.returncode) == (0, 0), made.stderr + listed.stderr
    text = out.read_text(encoding="utf-8")
    for written in (text, made.stdout, made.stderr, listed.stdout, listed.stderr):
        assert DATABASE_PASSWORD not in written and ISSUED_KEY not in written
    document = json.loads(text)
    assert document["source"]["command"].endswith(" 'postgresql://reporter:***@db.internal/sales' '***'")
    assert document["instructions"] == "Connected to postgresql://reporter:***@db.internal/sales."
    assert document["tools"][0]["description"] == (
        "Runs SQL on postgresql://reporter:***@db.internal/sales as ***, billing ***")


# Keys servers take as a bare argument of their own (`server KEY`), each of a known shape.
BARE_KEYS = {
    "40 hex digits (an older GitHub token)": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
    "32 hex digits": "5D41402ABC4B2A76B9719D911017C592",
    "ghp_": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "xoxb-": "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "JWT": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
}


PRINTING = "import sys\nprint('args: ' + ' '.join(sys.argv[1:]), file=sys.stderr)\nsys.exit(1)\n"


@pytest.mark.parametrize("key", BARE_KEYS.values(), ids=BARE_KEYS.keys())
def test_a_key_given_as_a_bare_argument_is_starred_in_the_stderr_of_a_failing_server(
        tmp_path: Path, key: str) -> None:
    """A server that prints its arguments and exits 1, given its key alone (or after a flag's
    `=`): `tools` and a gateway that cannot start it quote its stderr with *** for the key; a
    short hex word (a commit's abbreviation) stays as written."""
    printing = script(tmp_path, "printing.py", PRINTING)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    for command in (["tools"], ["gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state")]):
        result = run(tmp_path, *command, "--", sys.executable, str(printing), "serve", key, f"--key={key}", "abc1234")
        assert result.returncode != 0
        assert "exited with code 1" in result.stderr, result.stderr
        # After a flag's `=`, the key alone is starred, or the whole argument that holds it.
        assert ("| args: serve *** --key=*** abc1234" in result.stderr
                or "| args: serve *** *** abc1234" in result.stderr), result.stderr
        assert key not in result.stdout + result.stderr


# URLs given to a server whose path holds its key, by its look or by its place, and one whose
# path holds only a tenant's id, which stays readable.
HEX_KEY, URL_UUID, TENANT = "9f86d081884c7d659a2feaa0c55ad015", "3f9c2a71-8b4e-4d6a-9c15-7e20b8d4a6f3", \
    "0b7e5c1a-2d4f-4e8b-9a6c-1f3e5d7b9c2a"
KEYED_URLS = {
    f"https://hooks.example.com/services/T0/B0/{HEX_KEY}": "https://hooks.example.com/services/T0/B0/***",
    f"https://api.example.com/v1/{URL_UUID}/events": "https://api.example.com/v1/***/events",
    "https://hooks.slack.com/services/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":
        "https://hooks.slack.com/services/***/***/***",
    f"https://api.example.com/tenants/{TENANT}/items": f"https://api.example.com/tenants/{TENANT}/items",
}


def test_a_key_in_the_path_of_a_url_given_as_an_argument_is_starred(tmp_path: Path) -> None:
    """A server given a webhook's URL (`https://hooks.example.com/services/T0/B0/<hex>`), one
    with a UUID key after the API's version (`/v1/<uuid>/`) or Slack's, whose every part after
    `/services/` is the key: the snapshot's command and the stderr `tools` and the gateway
    quote showed the keys as written. They show *** in their place now; a tenant's UUID after
    its collection's name (`/tenants/<uuid>/items`) stays as written."""
    printing = script(tmp_path, "printing.py", PRINTING)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    keys = (HEX_KEY, URL_UUID, "T0AB12CD3", "B0EF45GH6", "xcMLHm0VHEdvV5Tt5yoEWhfa")
    for command in (["tools"], ["gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state")]):
        result = run(tmp_path, *command, "--", sys.executable, str(printing), *KEYED_URLS)
        assert "exited with code 1" in result.stderr, result.stderr
        assert "| args: " + " ".join(KEYED_URLS.values()) in result.stderr, result.stderr
        for key in keys:
            assert key not in result.stdout + result.stderr
    positional = script(tmp_path, "positional.py", POSITIONAL)
    out = tmp_path / "snap.json"
    made = run(tmp_path, "snapshot", "-o", str(out), "--", sys.executable, str(positional), str(MISBEHAVING),
               DATABASE, *KEYED_URLS)
    assert made.returncode == 0, made.stderr
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["source"]["command"].endswith(" " + shlex.join(["postgresql://reporter:***@db.internal/sales",
                                                                  *KEYED_URLS.values()]))
    assert saved["tools"][0]["description"].endswith(", billing https://hooks.example.com/services/T0/B0/***")
    for key in keys:
        assert key not in out.read_text(encoding="utf-8") + made.stdout + made.stderr


# The same keys in URLs written without their scheme, as servers' READMEs and users write
# them, and arguments of the same shape that hold no key, which stay as written.
BARE_KEYED_URLS = {
    "hooks.slack.com/services/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": "hooks.slack.com/services/***/***/***",
    "--telegram=api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/":
        "--telegram=api.telegram.org/***/",
    "WEBHOOK=example.com/webhook/Zx9QwEr7tyUiOp4asDfGhJkL": "WEBHOOK=example.com/webhook/***",
    f"api.example.com/v1/{URL_UUID}/events": "api.example.com/v1/***/events",
}
BARE_PLAIN = ["src/app/main.py", "v1.2/docs", f"api.example.com/tenants/{TENANT}/items",
              "github.com/octo/repo/commit/9c1185a5c5e9fc54612808977ee8f548b2258d31"]
BARE_URL_KEYS = ("T0AB12CD3", "B0EF45GH6", "xcMLHm0VHEdvV5Tt5yoEWhfa", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
                 "Zx9QwEr7tyUiOp4asDfGhJkL", URL_UUID)


def test_a_key_in_the_path_of_a_url_written_without_its_scheme_is_starred(tmp_path: Path) -> None:
    """`hooks.slack.com/services/T0/B0/<key>`, a Telegram bot's URL and a webhook's, written
    without `https://` (after a flag's or a variable's `=` too): the server's stderr that
    `tools` and the gateway quote, and the command `servers` lists, showed the keys as written.
    They show *** in their place now, as for a URL with its scheme; a file's path, a version, a
    tenant's id after its collection and a commit's hash stay as written."""
    printing = script(tmp_path, "printing.py", PRINTING)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    arguments = [*BARE_KEYED_URLS, *BARE_PLAIN]
    shown = "args: " + " ".join([*BARE_KEYED_URLS.values(), *BARE_PLAIN])
    for command in (["tools"], ["gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state")]):
        result = run(tmp_path, *command, "--", sys.executable, str(printing), *arguments)
        assert "exited with code 1" in result.stderr, result.stderr
        assert "| " + shown in result.stderr, result.stderr
        for key in BARE_URL_KEYS:
            assert key not in result.stdout + result.stderr
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "servers.json").write_text(json.dumps({"mcpServers": {
        "notifier": {"command": sys.executable, "args": [str(printing), *arguments]}}}), encoding="utf-8")
    listed = run(tmp_path, "servers", "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = [row for row in json.loads(listed.stdout)["servers"] if row["name"] == "notifier"]
    assert row["target"] == " ".join([sys.executable, str(printing), *BARE_KEYED_URLS.values(), *BARE_PLAIN])
    for key in BARE_URL_KEYS:
        assert key not in listed.stdout + listed.stderr


async def test_the_connect_dialog_stars_a_hex_key_given_as_a_bare_argument(tmp_path: Path) -> None:
    key = BARE_KEYS["40 hex digits (an older GitHub token)"]
    printing = script(tmp_path, "printing.py", PRINTING)
    shown = await _connect_failure_screen(tmp_path, [sys.executable, str(printing), key])
    assert "args: ***" in shown and key not in shown, shown
