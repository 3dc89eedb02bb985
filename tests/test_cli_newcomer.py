"""A newcomer's slips through the installed `policytui`: each answer is the one line that
explains the slip, in the order a reader needs it, and the exit status `--help` promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

POLICYTUI = str(Path(sys.executable).parent / "policytui")


def run(tmp: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("POLICYTUI_STATE", "POLICYTUI_STATE_DIR")}
    env["POLICYTUI_STATE_DIR"] = str(tmp / "state")
    return subprocess.run([POLICYTUI, *argv], capture_output=True, text=True, timeout=120,
                          check=False, cwd=tmp, env=env)


@pytest.mark.parametrize(("text", "said"), [
    ('{\n  "version": "1",\n  "defualt": "deny"\n}\n',
     ['policy.json: error: defualt: unknown key "defualt" (did you mean "default"?) (line 3, col 3)']),
    ('{"verison": "1", "defualt": "deny"}',
     ['policy.json: error: verison: unknown key "verison" (did you mean "version"?) (line 1, col 2)',
      'policy.json: error: defualt: unknown key "defualt" (did you mean "default"?) (line 1, col 18)']),
    ('{"version": "1", "default": "deny", "tools": {"a": {"limits": [{"countr": "c", "window": "minute", "max": 3}]}}}',
     ['policy.json: error: tools.a.limits[0].countr: unknown key "countr" (did you mean "counter"?) (line 1, col 65)']),
], ids=["default", "version-and-default", "a-limits-counter"])
def test_a_misspelt_required_key_is_said_once_by_its_did_you_mean(tmp_path: Path, text: str, said: list[str]) -> None:
    """The misspelling's own line explains the key found missing; a "missing required key"
    line before it named the key without the reason, out of order."""
    (tmp_path / "policy.json").write_text(text, encoding="utf-8")
    result = run(tmp_path, "validate", "policy.json")
    assert result.returncode == 1, result
    assert result.stdout.splitlines() == said, result.stdout


def test_a_required_key_missing_with_no_misspelling_of_it_is_still_said(tmp_path: Path) -> None:
    """An x-* key spelt like the one missing is extension data, no misspelling: the key is missing."""
    (tmp_path / "policy.json").write_text(json.dumps({"version": "1", "x-default": "deny"}), encoding="utf-8")
    result = run(tmp_path, "validate", "policy.json")
    assert result.returncode == 1
    assert result.stdout.splitlines() == ['policy.json: error: missing required key "default" (line 1, col 1)']


@pytest.mark.parametrize(("fmt", "target"), [("policylayer", "PolicyLayer"), ("intercept", "Intercept"),
                                             ("cedar", "ToolHive")])
def test_export_says_the_target_cannot_refuse_argument_keys_alike_but_for_case(
        tmp_path: Path, fmt: str, target: str) -> None:
    """policytui's gateway refuses `{"action": "read", "Action": "delete"}`; each target reads
    `action` as spelled and passes it to a server that may run `delete`: the export says so
    once, naming the tools whose conditions it keeps, and none exported as denied."""
    (tmp_path / "policy.json").write_text(json.dumps({
        "version": "1", "default": "deny",
        "tools": {
            "manage_flow": {"require": [{"path": "args.action", "op": "in", "value": ["read", "list"]}]},
            "read_file": {},
            "ask": {"action": "require_approval",
                    "require": [{"path": "args.action", "op": "in", "value": ["read"]}]},
        },
    }), encoding="utf-8")
    result = run(tmp_path, "export", "policy.json", "--format", fmt, "-o", "out")
    assert result.returncode == 0, result.stderr
    # The table's second column, its wrapped lines joined.
    said = " ".join(" ".join(line.split(" | ", 1)[-1] for line in result.stderr.splitlines()).split())
    assert (f"{target} reads an argument a condition names by its key as spelled, so it cannot refuse "
            "a call holding two keys alike but for letter case (`action` and `Action`), as policytui's "
            "gateway does, and a server on Go's encoding/json reads the two as one key, the last; the "
            "conditions of manage_flow are exported as written") in said, result.stderr
    assert "Traceback" not in result.stderr

    # A policy whose exported rules read no argument has no such warning.
    (tmp_path / "plain.json").write_text(json.dumps({
        "version": "1", "default": "deny", "tools": {"read_file": {}, "ask": {"action": "deny"}},
    }), encoding="utf-8")
    result = run(tmp_path, "export", "plain.json", "--format", fmt, "-o", "plain-out")
    assert result.returncode == 0 and "letter case" not in result.stderr, result.stderr


@pytest.mark.servers
@pytest.mark.usefixtures("one_window")
def test_counters_of_a_policy_named_otherwise_than_the_gateway_was_given_say_whose_there_are(
        tmp_path: Path, everything: Path) -> None:
    """`counters --policy` spelt otherwise (`polcy`) named no counter and said "No counter has
    been used", as if the limits were unused: it says which policy's counters there are."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {
        "echo": {"limits": [{"counter": "echoes", "window": "day", "max": 100}]}}}), encoding="utf-8")
    state = tmp_path / "state"

    async def one_echo() -> None:
        params = StdioServerParameters(
            command=POLICYTUI, cwd=str(tmp_path),
            args=["gateway", "--policy", str(policy), "--state-dir", str(state), "--no-audit",
                  "--log", str(tmp_path / "gateway.log"), "--", str(everything), "stdio"])
        with open(os.devnull, "w") as errlog:  # noqa: ASYNC230 - opened once, never blocks
            async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=90) as client:
                await client.call_tool("echo", {"message": "hi"})

    anyio.run(one_echo)
    listed = run(tmp_path, "counters", "--state-dir", str(state), "--policy", "policy")
    assert listed.returncode == 0 and "echoes" in listed.stdout, listed
    mistyped = run(tmp_path, "counters", "--state-dir", str(state), "--policy", "polcy")
    assert mistyped.returncode == 0, mistyped.stderr
    assert mistyped.stdout == (
        f"No counter of policy 'polcy' has been used in its current window; counters of '{policy}' "
        "have (`policytui counters` lists them).\n")


def test_serve_says_why_its_lock_folder_cannot_be_made_in_one_sentence(tmp_path: Path) -> None:
    """A $XDG_RUNTIME_DIR that is not there (a session's, kept by `sudo` or `su`), or a file
    where the lock folder goes: one sentence naming the folder, not Python's `[Errno 2] No such
    file or directory: '...'`."""
    missing = tmp_path / "gone"
    folder = missing / f"policytui-{os.getuid()}"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(missing), "HOME": str(tmp_path)}
    argv = [POLICYTUI, "serve", "kestra", "--offline", "--no-open", "--policy", str(tmp_path / "policy.json")]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (f"policytui serve: cannot keep the edit lock: cannot make the folder {folder}: "
                           f"$XDG_RUNTIME_DIR names {missing}, which does not exist.\n")

    missing.mkdir()
    folder.write_text("not a folder", encoding="utf-8")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (f"policytui serve: cannot keep the edit lock: {folder} must be a folder of your "
                           "own that no one else can write to; remove it.\n")
    assert not (tmp_path / "policy.json").exists()


@pytest.mark.parametrize(("argv", "said", "code"), [
    (["replay", "afile/r.jsonl", "--policy", "policy.json"], "policytui replay: cannot read afile/r.jsonl: not a directory.", 2),
    (["replay", "r.jsonl", "--policy", "policy.json", "--against", "afile/p.json"],
     "policytui replay: cannot read afile/p.json: not a directory.", 2),
    (["export", "afile/p.json", "--format", "cedar"], "policytui export: cannot read afile/p.json: not a directory.", 1),
    (["gateway", "--policy", "policy.json", "--listen", "127.0.0.1:0", "--tokens", "afile/t.json", "--", "true"],
     "policytui gateway: cannot read the tokens file afile/t.json: not a directory.", 2),
    (["gateway", "--policy", "policy.json", "--state-dir", "afile/st", "--", "true"],
     "policytui gateway: cannot create the state folder afile/st: not a directory.", 1),
    (["tools", "--", "./garbage"], "policytui tools: the server command './garbage' could not be started: exec format error.", 1),
    (["gateway", "--policy", "policy.json", "--", "./garbage"],
     "policytui gateway: the server command './garbage' could not be started: exec format error.", 1),
], ids=["replay-recording", "replay-against", "export", "gateway-tokens", "gateway-state-dir", "tools-command",
        "gateway-command"])
def test_the_systems_reason_ends_the_sentence_in_lower_case(tmp_path: Path, argv: list[str], said: str,
                                                            code: int) -> None:
    """The operating system's reason is the end of one sentence, as `cannot write x: permission
    denied` is; before, it was joined on as Python words it (`Not a directory`, `Exec format
    error`), a capital letter mid-sentence."""
    (tmp_path / "afile").write_text("a file, where a folder would be", encoding="utf-8")
    (tmp_path / "policy.json").write_text('{"version": "1", "default": "allow"}', encoding="utf-8")
    (tmp_path / "r.jsonl").write_text(json.dumps({"time": "2026-01-01T00:00:00Z", "tool": "t", "decision": "allowed",
                                                  "rule": "default", "arguments": {}}) + "\n", encoding="utf-8")
    (tmp_path / "garbage").write_bytes(b"\x7fELF, but no program")
    (tmp_path / "garbage").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("POLICYTUI_STATE", "POLICYTUI_STATE_DIR")}
    env["POLICYTUI_STATE_DIR"] = str(tmp_path / "state")
    done = subprocess.run([POLICYTUI, *argv], capture_output=True, text=True, timeout=120, check=False,
                          cwd=tmp_path, env=env, stdin=subprocess.DEVNULL)
    assert done.returncode == code, done
    assert done.stderr.strip().splitlines() == [said], done.stderr


def test_a_snapshot_given_as_the_policy_is_named_as_one(tmp_path: Path) -> None:
    """Both files are JSON, and `snapshot -o tools.json` then `validate tools.json` is an easy
    slip: one line says what the file is and what makes a policy of it; before, a line for
    each of its keys, unknown to a policy, and for its tool list, not an object."""
    made = run(tmp_path, "snapshot", "kestra", "--offline", "-o", "tools.json")
    assert made.returncode == 0, made.stderr
    said = ("tools.json: error: this is a server's tool list written by `policytui snapshot`, not a policy; "
            "`policytui init --from` this file writes a policy from it (line 1, col 1)")
    validated = run(tmp_path, "validate", "tools.json")
    assert validated.returncode == 1 and validated.stdout.splitlines() == [said], validated.stdout
    checked = run(tmp_path, "check", "tools.json", "list_flows")
    assert checked.returncode == 3
    assert checked.stdout.splitlines()[0] == said and len(checked.stdout.splitlines()) == 2, checked.stdout
    assert run(tmp_path, "init", "--from", "tools.json", "-o", "policy.json", "-q").returncode == 0
    assert run(tmp_path, "validate", "policy.json").returncode == 0


@pytest.mark.servers
def test_a_recording_or_audit_log_given_as_the_policy_is_named_as_one(tmp_path: Path, everything: Path) -> None:
    """`replay calls.jsonl --policy calls.jsonl` (the recording given for the draft too) or
    `validate audit.jsonl`: one line says the file is a log of calls; before, "invalid JSON:
    unexpected text after the end" at line 2 for a log of several calls, and a line for each
    key unknown to a policy for a log of one call."""
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "allow"}', encoding="utf-8")
    state = tmp_path / "state"

    async def two_echoes() -> None:
        params = StdioServerParameters(
            command=POLICYTUI, cwd=str(tmp_path),
            args=["gateway", "--policy", str(policy), "--state-dir", str(state),
                  "--record", str(tmp_path / "calls.jsonl"),
                  "--log", str(tmp_path / "gateway.log"), "--", str(everything), "stdio"])
        with open(os.devnull, "w") as errlog:  # noqa: ASYNC230 - opened once, never blocks
            async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=90) as client:
                await client.call_tool("echo", {"message": "hi"})
                await client.call_tool("echo", {"message": "again"})

    anyio.run(two_echoes)
    calls = (tmp_path / "calls.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(calls) >= 2, calls
    (tmp_path / "one.jsonl").write_text(calls[-1] + "\n", encoding="utf-8")
    said = ("this is a log of calls, one JSON object a line (a `policytui gateway --record` recording "
            "or an audit log), not a policy; `policytui replay` tests a policy against a recording (line 1, col 1)")
    for log in ("calls.jsonl", "one.jsonl", "state/audit.jsonl"):
        validated = run(tmp_path, "validate", log)
        assert validated.returncode == 1 and validated.stdout.splitlines() == [f"{log}: error: {said}"], validated
    swapped = run(tmp_path, "replay", "calls.jsonl", "--policy", "calls.jsonl")
    assert swapped.returncode == 2
    assert swapped.stderr.strip() == (
        f"policytui replay: the draft policy calls.jsonl is not a valid policy: {said}."), swapped.stderr
    # A policy that merely starts with a line of its own is still read as a policy.
    two = tmp_path / "two.json"
    two.write_text('{"version": "1", "default": "deny"}\n{"x": 1}\n', encoding="utf-8")
    assert "unexpected text after the end" in run(tmp_path, "validate", "two.json").stdout


@pytest.mark.parametrize(("entry", "said"), [
    ({"command": 5}, "its command is a number, not a string"),
    ({"command": ["npx", "-y", "some-server"]},
     'its command is a list; put the program in command and its arguments in args ("command": "npx", '
     '"args": ["-y", "..."])'),
    ({"command": False}, "its command is false, not a string"),
    ({"url": {"href": "http://127.0.0.1:1/mcp"}}, "its url is an object, not a string"),
    ({"command": "   "}, "its command is blank"),
    ({"args": ["x"]}, "it has neither a command nor a url"),
], ids=["number", "list", "false", "url-object", "blank", "neither"])
def test_a_client_config_entry_of_the_wrong_type_says_which_key_and_why(
        tmp_path: Path, entry: dict, said: str) -> None:
    """A server entry whose command or url is not a string said "it has neither a command nor a
    url", as if the key were missing: the entry says which key is wrong and how."""
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    (home / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": {"bad": entry}}), encoding="utf-8")
    env = {"HOME": str(home), "PATH": os.environ["PATH"]}
    done = subprocess.run([POLICYTUI, "tools", "bad"], capture_output=True, text=True, timeout=120,
                          check=False, cwd=tmp_path, env=env)
    assert done.returncode == 2, done
    assert done.stderr.strip() == (
        f"policytui tools: server 'bad' from Cursor (~/.cursor/mcp.json) cannot be used: {said}."), done.stderr
