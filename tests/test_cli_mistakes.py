"""Command-line mistakes and the answers a user gets, through the installed `policytui`:
README's exit-code table (2 for a wrong command line, said before any work and alone), the
`recommended` preset on the reference server, the approval hint the gateway logs, and
`replay` on files that are not recordings."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

POLICYTUI = str(Path(sys.executable).parent / "policytui")

WARNED = {  # valid, but `validate` and the gateway warn about it
    "version": "1", "default": "deny", "hide": ["echo"],
    "tools": {"echo": {"action": "deny"}},
}


def _env(tmp: Path) -> dict[str, str]:
    """The user's environment with a state folder of the test's own."""
    env = {k: v for k, v in os.environ.items() if k not in ("POLICYTUI_STATE", "POLICYTUI_STATE_DIR")}
    env["POLICYTUI_STATE_DIR"] = str(tmp / "default-state")
    return env


def run(tmp: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLICYTUI, *argv], capture_output=True, text=True, timeout=120,
                          check=False, cwd=tmp, env=_env(tmp))


def _one_sentence(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # alone: no table, no warnings, no traceback
    for word in words:
        assert word in lines[0], lines[0]


def _policy(tmp: Path, doc: dict[str, Any], name: str = "policy.json") -> Path:
    path = tmp / name
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


# --- a folder where a file is expected: exit 2, before any work ------------------------------

def test_export_to_a_folder_is_refused_before_the_loss_table(tmp_path: Path) -> None:
    policy = _policy(tmp_path, {"version": "1", "default": "deny", "tools": {
        "echo": {"action": "require_approval"},
        "add": {"limits": [{"counter": "c", "window": "minute", "max": 3, "scope": "grant"}]}}})
    out = tmp_path / "out"
    out.mkdir()
    result = run(tmp_path, "export", str(policy), "--format", "cedar", "-o", str(out))
    _one_sentence(result, 2, "is a folder")
    assert result.stdout == "" and list(out.iterdir()) == []

    # A policy that is a folder cannot be read, as a missing one: exit 1 (a wrong output is 2).
    _one_sentence(run(tmp_path, "export", str(tmp_path), "--format", "cedar"), 1, "is a folder, not a policy file")
    gone = run(tmp_path, "export", str(policy), "--format", "cedar", "-o", str(tmp_path / "no" / "x.json"))
    _one_sentence(gone, 1, "cannot write", "does not exist")

    written = run(tmp_path, "export", str(policy), "--format", "cedar", "-o", str(tmp_path / "x.json"))
    assert written.returncode == 0 and "Cedar" in written.stderr  # the table, once written
    assert json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))


# --- an output file (-o): one rule and one wording for every command that writes one -------

WRITERS = {  # each command that writes `-o FILE`, ready to run without a network
    "init": ["init", "kestra", "--offline", "-q"],
    "snapshot": ["snapshot", "kestra", "--offline"],
    "export": ["export", "policy.json", "--format", "cedar"],
}


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_an_existing_output_file_is_refused_alike_without_force(tmp_path: Path, command: str) -> None:
    _policy(tmp_path, {"version": "1", "default": "deny"})
    existing = tmp_path / "out.json"
    existing.write_text("keep me", encoding="utf-8")
    refused = run(tmp_path, *WRITERS[command], "-o", str(existing))
    _one_sentence(refused, 2, f"{existing} already exists; use --force to replace it")
    assert existing.read_text(encoding="utf-8") == "keep me"
    # The policy writer keeps the old file: the sentence says --force loses nothing.
    kept = "(the old one is kept as out.json.bak)"
    assert (kept in refused.stderr) == (command == "init"), refused.stderr

    replaced = run(tmp_path, *WRITERS[command], "-o", str(existing), "--force")
    assert replaced.returncode == 0, replaced.stderr
    assert json.loads(existing.read_text(encoding="utf-8"))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("command", sorted(WRITERS))
@pytest.mark.parametrize("where", ["under-a-file", "name-too-long"])
def test_a_failed_write_is_worded_alike(tmp_path: Path, command: str, where: str) -> None:
    _policy(tmp_path, {"version": "1", "default": "deny"})
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    target, reason = {
        "under-a-file": (tmp_path / "a-file" / "out.json", f"{tmp_path / 'a-file'} is not a folder"),
        "name-too-long": (tmp_path / ("x" * 300 + ".json"), "file name too long"),
    }[where]
    failed = run(tmp_path, *WRITERS[command], "-o", str(target))
    assert failed.returncode == 1, failed.stderr
    said = [line for line in failed.stderr.splitlines() if not line.startswith("Offline snapshot")]
    assert said == [f"policytui {command}: cannot write {target}: {reason}."], failed.stderr


# Standard output as `-o`: by its device name, or `-` as most command-line tools take it.
STDOUT_NAMES = {"/dev/stdout": "/dev/stdout", "-": "standard output"}


@pytest.mark.parametrize("name", sorted(STDOUT_NAMES))
@pytest.mark.parametrize("command", sorted(WRITERS))
def test_standard_output_as_the_output_file_needs_no_force(tmp_path: Path, command: str, name: str) -> None:
    # `-o /dev/stdout` (or `-o -`) writes into the pipe the caller reads: nothing is replaced,
    # nothing is backed up, and the one line saying so goes to standard error.
    _policy(tmp_path, {"version": "1", "default": "deny"})
    result = run(tmp_path, *WRITERS[command], "-o", name)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)
    assert result.stderr.splitlines()[-1].startswith(f"wrote {STDOUT_NAMES[name]} (")
    assert Path("/dev/stdout").is_symlink() or Path("/dev/stdout").is_char_device()


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_a_dash_as_the_output_file_never_writes_a_file_named_dash(tmp_path: Path, command: str) -> None:
    # `-o -` wrote a file named "-" in the current folder, and printed nothing. A file, or a
    # folder, named "-" already there (made that way) is neither refused nor touched.
    _policy(tmp_path, {"version": "1", "default": "deny"})
    first = run(tmp_path, *WRITERS[command], "-o", "-")
    assert first.returncode == 0 and json.loads(first.stdout), first.stderr
    assert not (tmp_path / "-").exists()
    (tmp_path / "-").write_text("made by hand\n", encoding="utf-8")
    again = run(tmp_path, *WRITERS[command], "-o", "-")
    assert again.returncode == 0 and json.loads(again.stdout), again.stderr
    assert (tmp_path / "-").read_text(encoding="utf-8") == "made by hand\n"
    (tmp_path / "-").unlink()
    (tmp_path / "-").mkdir()
    folder = run(tmp_path, *WRITERS[command], "-o", "-")
    assert folder.returncode == 0 and json.loads(folder.stdout), folder.stderr
    assert list((tmp_path / "-").iterdir()) == []


@pytest.mark.parametrize("name", sorted(STDOUT_NAMES))
@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize("command", sorted(WRITERS))
def test_standard_output_redirected_to_a_file_is_written_into_not_backed_up(
        tmp_path: Path, command: str, force: list[str], name: str) -> None:
    # `policytui init ... -o /dev/stdout --force > out`: /dev/stdout leads to the file `out`,
    # which must get the output through standard output, not be replaced and kept as out.bak.
    _policy(tmp_path, {"version": "1", "default": "deny"})
    out = tmp_path / "out"
    out.write_text("the shell empties this\n", encoding="utf-8")
    with open(out, "w", encoding="utf-8") as stdout:
        result = subprocess.run([POLICYTUI, *WRITERS[command], "-o", name, *force],
                                stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120,
                                check=False, cwd=tmp_path, env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith((".bak", ".tmp"))]

    # After `>>` the output is appended: what the file held stays.
    out.write_text("kept\n", encoding="utf-8")
    with open(out, "a", encoding="utf-8") as stdout:
        appended = subprocess.run([POLICYTUI, *WRITERS[command], "-o", name, *force],
                                  stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120,
                                  check=False, cwd=tmp_path, env=_env(tmp_path))
    assert appended.returncode == 0, appended.stderr
    kept, _, written = out.read_text(encoding="utf-8").partition("\n")
    assert kept == "kept" and json.loads(written)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith((".bak", ".tmp"))]


@pytest.mark.parametrize("command", [*sorted(WRITERS), "fmt"])
def test_every_command_that_writes_a_file_says_so_in_one_shape(tmp_path: Path, command: str) -> None:
    policy = _policy(tmp_path, {"default": "deny", "version": "1"})  # fmt has work to do
    argv = ["fmt", str(policy)] if command == "fmt" else [*WRITERS[command], "-o", "out.json"]
    result = run(tmp_path, *argv)
    assert result.returncode == 0, result.stderr
    written = "policy.json" if command == "fmt" else "out.json"
    assert re.fullmatch(rf"wrote {re.escape(str(policy) if command == 'fmt' else written)} "
                        r"\([^()]+\)", result.stderr.splitlines()[-1]), result.stderr
    assert "wrote" not in result.stdout
    assert (tmp_path / written).exists()


def test_init_says_a_missing_folder_before_it_lists_the_server(tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "policy.json"
    result = run(tmp_path, *WRITERS["init"], "-o", str(target))
    _one_sentence(result, 1, f"cannot write {target}: its folder does not exist")  # no listing said


@pytest.mark.parametrize("command", ["connect", "serve"])
@pytest.mark.parametrize("where", ["a folder that does not exist", "a file"])
def test_the_editor_refuses_a_policy_file_no_save_could_write_before_any_server_starts(
    tmp_path: Path, command: str, where: str
) -> None:
    """`connect` and `serve` say at once, as `init` does of its output file, that the policy
    file can never be saved: one sentence, exit status 1, no server started, nothing made."""
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    if where == "a file":
        target, reason = tmp_path / "a-file" / "policy.json", f"{tmp_path / 'a-file'} is not a folder"
    else:
        target, reason = tmp_path / "no-such-folder" / "sub" / "policy.json", "its folder does not exist"
    started = tmp_path / "server-started"
    server = ["--", "sh", "-c", f"touch {shlex.quote(str(started))}; sleep 30"]
    before = sorted(tmp_path.rglob("*"))
    extra = ["--no-open"] if command == "serve" else []
    result = run(tmp_path, command, "--policy", str(target), *extra, *server)
    _one_sentence(result, 1, f"policytui {command}: cannot write {target}: {reason}")
    assert result.stdout == ""
    time.sleep(0.3)  # a server started despite the refusal would have made its file by now
    assert not started.exists(), "a server was started"
    assert sorted(tmp_path.rglob("*")) == before  # no folder, no policy file, nothing else

    # The same sentence and status as `init` gives for its output file, full stop included.
    init = run(tmp_path, *WRITERS["init"], "-o", str(target))
    _one_sentence(init, 1, f"policytui init: cannot write {target}: {reason}")
    assert result.stderr.removeprefix(f"policytui {command}: ") == init.stderr.removeprefix("policytui init: ")


def test_the_editor_without_a_terminal_says_so_in_one_sentence_with_a_full_stop(tmp_path: Path) -> None:
    """`connect < /dev/null` is refused in the one line every command writes on a failure,
    `policytui COMMAND: sentence.`"""
    snapshot = Path(__file__).resolve().parent.parent / "policytui/discovery/snapshots/kestra.json"
    result = subprocess.run([POLICYTUI, "connect", "--from", str(snapshot), "--policy", str(tmp_path / "p.json")],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert re.fullmatch(r"policytui connect: the editor needs a terminal, [^\n]*\.\n", result.stderr), result.stderr


@pytest.mark.parametrize("flag", ["--policy", "--log", "--audit", "--record"])
def test_gateway_refuses_a_folder_for_a_file(tmp_path: Path, flag: str) -> None:
    policy = _policy(tmp_path, {"version": "1", "default": "deny"})
    argv = ["gateway", "--policy", str(policy), flag, str(tmp_path), "--", "true"]
    if flag == "--policy":
        # A policy that cannot be read, as a missing or invalid one: exit 1.
        argv = ["gateway", "--policy", str(tmp_path), "--", "true"]
        _one_sentence(run(tmp_path, *argv), 1, "is a folder, not a policy file")
        return
    _one_sentence(run(tmp_path, *argv), 2, flag, "is a folder")


@pytest.mark.parametrize("flag", ["--log", "--audit", "--record"])
@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_gateway_over_stdio_refuses_to_write_its_files_into_the_protocol(
    tmp_path: Path, flag: str, name: str
) -> None:
    """Over stdio the gateway's standard output is the MCP stream its client reads: log lines,
    audit records or recorded arguments written there would be read as messages. Refused in
    one sentence before the server starts, as a client starts the gateway (stdout a pipe)."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    marker = tmp_path / "started"
    done = run(tmp_path, "gateway", "--policy", str(policy), flag, name, "--", "touch", str(marker))
    _one_sentence(done, 2, f"{flag} {name} is the gateway's standard output")
    assert done.stdout == "" and not marker.exists()
    # Standard error stays available, and so does a file.
    ok = run(tmp_path, "gateway", "--policy", str(policy), flag, str(tmp_path / "out.txt"), "--", "true")
    assert "standard output" not in ok.stderr, ok.stderr


@pytest.mark.parametrize(("closed", "words"), [("<&-", "standard input is closed"),
                                               (">&-", "standard output is closed")])
def test_gateway_over_stdio_with_a_closed_standard_stream_says_so_before_the_server_starts(
    tmp_path: Path, closed: str, words: str
) -> None:
    """A shell's `<&-` or `>&-` leaves no standard input or output for the client's messages:
    one sentence and exit 1 before the server starts, where the server was started and the
    gateway then ended on an unexpected error, with a traceback in its log."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    marker = tmp_path / "started"
    command = [POLICYTUI, "gateway", "--policy", str(policy), "--log", str(tmp_path / "gateway.log"),
               "--state-dir", str(tmp_path / "state"), "--", "touch", str(marker)]
    done = subprocess.run(["sh", "-c", f"exec {shlex.join(command)} {closed}"], capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path, env=_env(tmp_path))
    _one_sentence(done, 1, words, "--listen")
    assert done.stdout == "" and not marker.exists()


HOSTILE = Path(__file__).parent / "servers" / "misbehaving" / "hostile_tools.py"


def test_gateway_with_standard_error_closed_serves_and_logs_nowhere(tmp_path: Path) -> None:
    """A shell's `2>&-`: the gateway serves as ever, its diagnostics (and an `--audit -` meant for
    standard error) go nowhere, and standard output carries the protocol alone. Before, the audit
    log on standard error failed the gateway with an unexpected error (AttributeError) written
    onto standard output, and the first file it opened took descriptor 2 and was handed to the
    server as its standard error."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow", "tools": {"delete_x": {"action": "deny"}}})
    command = [POLICYTUI, "gateway", "--policy", str(policy), "--audit", "-", "--state-dir", str(tmp_path / "state"),
               "--", sys.executable, str(HOSTILE)]
    process = subprocess.Popen(["sh", "-c", f"exec {shlex.join(command)} 2>&-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=tmp_path, env=_env(tmp_path))
    assert process.stdin is not None and process.stdout is not None
    answers = []
    try:
        for message in (
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {}}},
            {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "delete_x", "arguments": {}}},
        ):
            process.stdin.write(json.dumps(message).encode() + b"\n")
            process.stdin.flush()
            answers.append(json.loads(process.stdout.readline()))  # a line of JSON, or the test fails
    finally:
        process.stdin.close()
        rest = process.stdout.read()
        code = process.wait(timeout=60)
    assert code == 0 and rest == b"", rest
    assert [a["id"] for a in answers] == [1, 2, 3] and "result" in answers[0], answers
    assert answers[1]["result"].get("isError") is not True, answers[1]
    assert "[POLICY DENIED]" in answers[2]["result"]["content"][0]["text"], answers[2]
    for name in os.listdir(tmp_path / "state"):  # no diagnostics written into the state file
        assert b"policytui gateway" not in (tmp_path / "state" / name).read_bytes(), name


def test_a_command_with_standard_error_closed_writes_its_error_nowhere_else(tmp_path: Path) -> None:
    """`policytui gateway --policy bad.json ... 2>&-` exits 1 with nothing on standard output,
    where Python, having no standard error, printed the error sentence there, into the stream
    an MCP client reads as the protocol."""
    (tmp_path / "bad.json").write_text("{bad", encoding="utf-8")
    command = [POLICYTUI, "gateway", "--policy", "bad.json", "--state-dir", str(tmp_path / "state"), "--", "true"]
    done = subprocess.run(["sh", "-c", f"exec {shlex.join(command)} 2>&-"], capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path, env=_env(tmp_path))
    assert (done.returncode, done.stdout) == (1, "")


@pytest.mark.parametrize("command", ["tools", "snapshot", "init", "gateway"])
def test_a_header_for_a_server_that_is_not_http_is_refused_before_it_starts(tmp_path: Path, command: str) -> None:
    """`--header` is sent to an HTTP server only: given with a command after `--` (or a
    snapshot file) it would be dropped without a word, credentials the user meant to send
    included. Refused as it is for a configured stdio server, before anything starts."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    extra = {"snapshot": ["-o", "out.json"], "init": ["-o", "out.json"],
             "gateway": ["--policy", str(policy)]}.get(command, [])
    marker = tmp_path / "started"
    done = run(tmp_path, command, *extra, "--header", "X-Api-Key: k123456789", "--", "touch", str(marker))
    _one_sentence(done, 2, "--header only applies to HTTP servers")
    assert "k123456789" not in done.stderr and not marker.exists() and not (tmp_path / "out.json").exists()
    if command != "gateway":  # the gateway takes no --from
        (tmp_path / "tools.json").write_text('{"tools": []}', encoding="utf-8")
        _one_sentence(run(tmp_path, command, *extra, "--header", "X-Api-Key: k123456789", "--from", "tools.json"),
                      2, "--header only applies to HTTP servers")


@pytest.mark.parametrize("command", ["tools", "snapshot", "init", "gateway", "connect"])
def test_a_url_that_cannot_be_read_is_refused_in_one_sentence_without_its_key(tmp_path: Path, command: str) -> None:
    """`http://[::1:8080/mcp?api_key=...` (a bracket not closed) ended in a traceback."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    extra = {"snapshot": ["-o", "out.json"], "init": ["-o", "out.json"],
             "gateway": ["--policy", str(policy)], "connect": ["--policy", str(policy)]}.get(command, [])
    done = run(tmp_path, command, *extra, "http://[::1:8080/mcp?api_key=k123456789")
    _one_sentence(done, 2, "the server's URL cannot be read (Invalid IPv6 URL); check its brackets.")
    assert "k123456789" not in done.stdout + done.stderr and not (tmp_path / "out.json").exists()
    # A port past 65535 ended in "OverflowError: connect(): port must be 0-65535.." (exit 1).
    done = run(tmp_path, command, *extra, "http://k123456789@127.0.0.1:99999/mcp")
    _one_sentence(done, 2, "the port of 'http://***@127.0.0.1:99999/mcp' is not a number from 0 to 65535.")
    assert "k123456789" not in done.stdout + done.stderr and not (tmp_path / "out.json").exists()


def test_a_configured_url_that_cannot_be_read_is_listed_and_refused_in_one_sentence(tmp_path: Path) -> None:
    """An entry of a servers file (a cloned project's .mcp.json, say) with such a URL ended
    `policytui servers`, and `tools NAME`, in a traceback."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "servers.json").write_text(json.dumps({"mcpServers": {
        "broken": {"url": "http://[::1:8080/mcp?api_key=k123456789"}}}), encoding="utf-8")
    env = {**_env(tmp_path), "POLICYTUI_CONFIG_DIR": str(config)}
    listed, named = (subprocess.run([POLICYTUI, *argv], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                                    env=env) for argv in (["servers", "--json"], ["tools", "broken"]))
    assert listed.returncode == 0, listed.stderr
    [row] = [row for row in json.loads(listed.stdout)["servers"] if row["name"] == "broken"]
    assert row["target"] == "<invalid URL>"
    _one_sentence(named, 2, "the server's URL cannot be read (Invalid IPv6 URL); check its brackets.")
    assert "k123456789" not in listed.stdout + listed.stderr + named.stdout + named.stderr


def test_servers_lists_an_entry_nobody_can_connect_to_as_broken_with_the_reason(tmp_path: Path) -> None:
    """An entry whose URL cannot be read, is not http(s), has a port past 65535 (written, or
    filled in from a variable) or a type policytui does not speak was listed `active`, as if it
    could be used. `servers` and `servers --json` list it `broken`, with the sentence `tools
    NAME` refuses it in; an entry that can be used stays `active`."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "servers.json").write_text(json.dumps({"mcpServers": {
        "brackets": {"url": "http://[::1:8080/mcp?api_key=k123456789"},
        "ftp": {"url": "ftp://u:k123456789@files.example.com/mcp"},
        "port": {"url": "http://k123456789@127.0.0.1:99999/mcp"},
        "varport": {"url": "http://127.0.0.1:${BAD_PORT}/mcp"},
        "socket": {"type": "websocket", "url": "wss://h.example.com/mcp"},
        "fine": {"url": "http://127.0.0.1:${GOOD_PORT}/mcp?api_key=k123456789"}}}), encoding="utf-8")
    env = {**_env(tmp_path), "POLICYTUI_CONFIG_DIR": str(config), "BAD_PORT": "70000", "GOOD_PORT": "8080",
           "COLUMNS": "200"}
    listed, table = (subprocess.run([POLICYTUI, *argv], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                                    env=env) for argv in (["servers", "--json"], ["servers"]))
    assert (listed.returncode, table.returncode) == (0, 0), listed.stderr + table.stderr
    rows = {row["name"]: (row["status"], row["note"]) for row in json.loads(listed.stdout)["servers"]
            if row["origin"] == "policytui"}
    assert rows == {
        "brackets": ("broken", "the server's URL cannot be read (Invalid IPv6 URL); check its brackets"),
        "ftp": ("broken", "'ftp://u:***@files.example.com/mcp' is not an http(s) URL with a host name"),
        "port": ("broken", "the port of 'http://***@127.0.0.1:99999/mcp' is not a number from 0 to 65535"),
        "varport": ("broken", "the port of 'http://127.0.0.1:${BAD_PORT}/mcp' is not a number from 0 to 65535"),
        "socket": ("broken", "its type is 'websocket'; policytui knows http (Streamable HTTP), sse and stdio"),
        "fine": ("active", ""),
    }
    named = subprocess.run([POLICYTUI, "tools", "port"], capture_output=True, text=True, timeout=120,
                           cwd=tmp_path, env=env)
    _one_sentence(named, 2, "the port of 'http://***@127.0.0.1:99999/mcp' is not a number from 0 to 65535.")
    lines = {line.split()[1]: line for line in table.stdout.splitlines() if line.startswith("│ ")
             and len(line.split()) > 2}
    for name in ("brackets", "ftp", "port", "varport", "socket"):
        assert "broken" in lines[name] and "active" not in lines[name], table.stdout
    assert "active" in lines["fine"], table.stdout
    assert "cannot be read (Invalid IPv6 URL); check its brackets" in table.stdout
    assert "k123456789" not in listed.stdout + listed.stderr + table.stdout + table.stderr + named.stderr


def test_servers_lists_an_entry_whose_envfile_or_prompt_cannot_be_filled_as_broken(tmp_path: Path) -> None:
    """An entry whose envFile cannot be read (missing, a folder, not UTF-8), or that asks for a
    VS Code prompt (`${input:token}`, in its env, args or headers), was listed `active`, though
    `tools NAME` refuses it (an envFile not in UTF-8 with a traceback). `servers` and `servers --json` list it `broken`, with the sentence `tools
    NAME` refuses it in; an entry whose envFile can be read stays `active`, and no value of it
    is shown."""
    config = tmp_path / "config"
    config.mkdir()
    (tmp_path / "good.env").write_text("API_TOKEN=k123456789\n", encoding="utf-8")
    (tmp_path / "folder.env").mkdir()
    (tmp_path / "latin1.env").write_bytes(b"API_TOKEN=caf\xe9\n")
    missing = tmp_path / "missing.env"
    (config / "servers.json").write_text(json.dumps({"mcpServers": {
        "missing": {"command": "srv", "envFile": str(missing)},
        "folder": {"command": "srv", "envFile": "${POLICYTUI_TEST_HOME}/folder.env"},
        "latin1": {"command": "srv", "envFile": str(tmp_path / "latin1.env")},
        "prompt": {"command": "srv", "env": {"API_TOKEN": "${input:token}"}},
        "argprompt": {"command": "srv", "args": ["--token", "${input:token}"]},
        "urlprompt": {"url": "https://h.example.com/mcp", "headers": {"Authorization": "Bearer ${input:token}"}},
        "fine": {"command": "srv", "envFile": str(tmp_path / "good.env")}}}), encoding="utf-8")
    env = {**_env(tmp_path), "POLICYTUI_CONFIG_DIR": str(config), "POLICYTUI_TEST_HOME": str(tmp_path),
           "COLUMNS": "250"}
    listed, table = (subprocess.run([POLICYTUI, *argv], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                                    env=env) for argv in (["servers", "--json"], ["servers"]))
    assert (listed.returncode, table.returncode) == (0, 0), listed.stderr + table.stderr
    rows = {row["name"]: (row["status"], row["note"]) for row in json.loads(listed.stdout)["servers"]
            if row["origin"] == "policytui"}
    prompt = ("broken", "it asks for ${input:token}, a VS Code prompt policytui cannot answer; put the value in an "
                        "environment variable and write ${env:NAME} instead")
    assert rows == {
        "missing": ("broken", f"it names an envFile that cannot be read (no such file or directory): {missing}"),
        "folder": ("broken", f"it names an envFile that cannot be read (is a directory): {tmp_path / 'folder.env'}"),
        "latin1": ("broken", f"it names an envFile that cannot be read (it is not UTF-8 text): {tmp_path / 'latin1.env'}"),
        "prompt": prompt, "argprompt": prompt, "urlprompt": prompt,
        "fine": ("active", ""),
    }
    lines = {line.split()[1]: line for line in table.stdout.splitlines() if line.startswith("│ ")
             and len(line.split()) > 2}
    for name in ("missing", "folder", "latin1", "prompt", "argprompt", "urlprompt"):
        assert "broken" in lines[name] and "active" not in lines[name], table.stdout
    assert "active" in lines["fine"], table.stdout
    for name, said in (("missing", rows["missing"][1]), ("latin1", rows["latin1"][1]), ("prompt", prompt[1])):
        named = subprocess.run([POLICYTUI, "tools", name], capture_output=True, text=True, timeout=120,
                               cwd=tmp_path, env=env)
        _one_sentence(named, 2, said.removeprefix("it ") + ".")
    assert "k123456789" not in listed.stdout + listed.stderr + table.stdout + table.stderr


def test_a_relative_envfile_is_read_from_the_folder_of_the_file_that_names_it(tmp_path: Path) -> None:
    """`"envFile": "server.env"` in policytui's servers file, `".env"` in a project's
    `.vscode/mcp.json` and `"~/tilde.env"`: each was read from the folder `policytui` was
    started in (`~` not even filled in), so from anywhere else `servers` listed the entry
    broken and `tools NAME` refused it. A relative envFile is read from the servers file's
    folder, or the project's root for a project's file (VS Code's `${workspaceFolder}`), and
    `~` is the home folder, from any folder the command runs in."""
    config, home, project = tmp_path / "config", tmp_path / "home", tmp_path / "project"
    for folder in (config, home, project / ".vscode", project / "src"):
        folder.mkdir(parents=True)
    server = [sys.executable, str(Path(__file__).parent / "servers" / "misbehaving" / "rug_pull.py")]
    (config / "servers.json").write_text(json.dumps({"mcpServers": {
        "user": {"command": server[0], "args": server[1:], "envFile": "server.env"},
        "tilde": {"command": server[0], "args": server[1:], "envFile": "~/tilde.env"}}}), encoding="utf-8")
    (project / ".vscode" / "mcp.json").write_text(json.dumps({"servers": {
        "proj": {"command": server[0], "args": server[1:], "envFile": ".env"}}}), encoding="utf-8")
    # rug_pull.py lists one tool more, named by RUG_PULL_NEW_TOOL: the envFile was read (a name under 8
    # characters, which is not starred as a possible credential).
    for path, tool in ((config / "server.env", "by_cfg"), (home / "tilde.env", "by_home"),
                       (project / ".env", "by_proj")):
        path.write_text(f"RUG_PULL_NEW_TOOL={tool}\n", encoding="utf-8")
    env = {**_env(tmp_path), "POLICYTUI_CONFIG_DIR": str(config), "HOME": str(home)}
    listed = subprocess.run([POLICYTUI, "servers", "--json"], capture_output=True, text=True, timeout=120,
                            cwd=project / "src", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: (row["status"], row["note"]) for row in json.loads(listed.stdout)["servers"]
            if row["name"] in ("user", "tilde", "proj")}
    assert rows == {"user": ("active", ""), "tilde": ("active", ""), "proj": ("active", "")}, rows
    for name, tool in (("user", "by_cfg"), ("tilde", "by_home"), ("proj", "by_proj")):
        named = subprocess.run([POLICYTUI, "tools", name, "--json"], capture_output=True, text=True, timeout=120,
                               cwd=project / "src", env=env)
        assert named.returncode == 0, named.stderr
        assert tool in [entry["name"] for entry in json.loads(named.stdout)["tools"]], named.stdout


def test_servers_stars_a_credential_an_entry_gives_where_its_command_or_url_repeats_it(tmp_path: Path) -> None:
    """A UUID used as a key (`HEROKU_API_KEY`, a header's key) that the entry's arguments or URL
    path repeat was shown as written by `servers` and `servers --json`, a UUID in a path being
    no key by its look. It is starred where it is the key the entry gives its server (written
    in its env or header, or filled in from a variable, or written when another variable is not
    set); a tenant's UUID in a path is shown."""
    key, tenant = "3f9c2a71-8b4e-4d6a-9c15-7e20b8d4a6f3", "0b7e5c1a-2d4f-4e8b-9a6c-1f3e5d7b9c2a"
    config = tmp_path / "config"
    config.mkdir()
    (config / "servers.json").write_text(json.dumps({"mcpServers": {
        "written": {"command": "heroku-mcp", "args": ["--key", key], "env": {"HEROKU_API_KEY": key}},
        "filled": {"command": "heroku-mcp", "args": [f"--app={key}"], "env": {"HEROKU_API_KEY": "${HK}"}},
        "unset": {"command": "heroku-mcp", "args": [key], "env": {"HEROKU_API_KEY": key, "X": "${UNSET_X}"}},
        "header": {"url": f"https://mcp.example.com/apps/{key}/mcp", "headers": {"X-Api-Key": key}},
        "tenant": {"url": f"https://mcp.example.com/tenants/{tenant}/mcp"}}}), encoding="utf-8")
    env = {**_env(tmp_path), "POLICYTUI_CONFIG_DIR": str(config), "HK": key, "COLUMNS": "250"}
    env.pop("UNSET_X", None)
    listed, table = (subprocess.run([POLICYTUI, *argv], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                                    env=env) for argv in (["servers", "--json"], ["servers"]))
    assert (listed.returncode, table.returncode) == (0, 0), listed.stderr + table.stderr
    targets = {row["name"]: row["target"] for row in json.loads(listed.stdout)["servers"]
               if row["origin"] == "policytui"}
    assert targets == {
        "written": "heroku-mcp --key ***",
        "filled": "heroku-mcp --app=***",
        "unset": "heroku-mcp ***",
        "header": "https://mcp.example.com/apps/***/mcp",
        "tenant": f"https://mcp.example.com/tenants/{tenant}/mcp",
    }
    assert key not in listed.stdout + listed.stderr + table.stdout + table.stderr
    assert tenant in table.stdout


@pytest.mark.parametrize("written", ["${env:POLICYTUI_UNSET_TOKEN}", "${POLICYTUI_UNSET_TOKEN}"])
def test_a_header_naming_an_unset_variable_quotes_it_as_written(tmp_path: Path, written: str) -> None:
    done = run(tmp_path, "tools", "http://127.0.0.1:9/mcp", "--header", f"Authorization: Bearer {written}")
    _one_sentence(done, 2, f"the --header Authorization uses {written}, but POLICYTUI_UNSET_TOKEN "
                           "is not set in your environment.")


@pytest.mark.parametrize("command", ["tools", "snapshot", "gateway"])
@pytest.mark.parametrize("token", ["s3cretTokenValue42\r", "s3cretTokenValue42\n", "s3crétTokenValue42"])
def test_a_header_value_http_cannot_carry_is_refused_without_showing_it(
    tmp_path: Path, command: str, token: str
) -> None:
    """A token read from a file with Windows line ends ends in a carriage return, which no HTTP
    header can carry: the request would fail, and the HTTP library's error quotes the value
    (`Illegal header value b'Bearer ...\\r'`), the credential escaped past the redaction. Said in
    one sentence naming the header, never its value, before any connection, whether the header
    is given with --header or in a servers file."""
    with socket.socket() as sock:  # a port nothing listens on: nothing must be tried there
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    extra = {"snapshot": ["-o", "out.json"], "gateway": ["--policy", str(policy)]}.get(command, [])
    env = {**_env(tmp_path), "TOKEN": token, "POLICYTUI_CONFIG_DIR": str(tmp_path / "config")}
    done = subprocess.run([POLICYTUI, command, *extra, url, "--header", "Authorization: Bearer ${env:TOKEN}"],
                          capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path, env=env)
    _one_sentence(done, 2, "--header Authorization", "cannot carry")
    assert "s3cr" not in done.stderr and not (tmp_path / "out.json").exists()

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "servers.json").write_text(json.dumps({"mcpServers": {"api": {
        "url": url, "headers": {"X-Api-Key": "${env:TOKEN}"}}}}), encoding="utf-8")
    done = subprocess.run([POLICYTUI, command, *extra, "api"],
                          capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path, env=env)
    _one_sentence(done, 2, "header X-Api-Key", "'api'", "cannot carry")
    assert "s3cr" not in done.stderr


def test_gateway_without_a_server_says_so_first_and_alone(tmp_path: Path) -> None:
    policy = _policy(tmp_path, WARNED)
    assert "warning" in run(tmp_path, "validate", str(policy)).stdout  # the policy does warn
    _one_sentence(run(tmp_path, "gateway", "--policy", str(policy)), 2, "no server given")


@pytest.mark.parametrize("interval", ["inf", "1e-9", "nan", "-1", "0", "61", "1e400"])
def test_a_reload_interval_out_of_bounds_is_refused_naming_the_bounds(tmp_path: Path, interval: str) -> None:
    """`inf` would never reload a changed policy, `1e-9` checks the file in a busy loop: exit 2,
    one sentence naming the bounds, before the server starts. Before, both started a gateway."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    result = run(tmp_path, "gateway", "--policy", str(policy), "--reload-interval", interval, "--", "true")
    _one_sentence(result, 2, "policytui gateway: --reload-interval must be between 0.1 and 60 seconds, not ")


@pytest.mark.parametrize("interval", ["0.1", "60"])
def test_a_reload_interval_at_its_bounds_starts_the_gateway(tmp_path: Path, interval: str) -> None:
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    result = run(tmp_path, "gateway", "--policy", str(policy), "--reload-interval", interval, "--", "true")
    assert result.returncode == 1, result.stderr  # it went on to start the server, which ended
    assert "server 'true' exited" in result.stderr and "--reload-interval" not in result.stderr


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--approval-timeout", "inf", "--approval-timeout must be a number of seconds above 0 and at most 86400, not inf."),
    ("--approval-timeout", "86401", "--approval-timeout must be a number of seconds above 0 and at most 86400, not 86401."),
    ("--approval-timeout", "nan", "--approval-timeout must be a number of seconds above 0 and at most 86400, not nan."),
    ("--call-timeout", "nan", "--call-timeout must be 0 (never) or a positive number of seconds, not nan."),
    ("--call-timeout", "inf", "--call-timeout must be 0 (never) or a positive number of seconds, not inf."),
])
def test_a_timeout_that_is_no_number_of_seconds_is_refused(tmp_path: Path, option: str, value: str, said: str) -> None:
    """`--approval-timeout inf` held calls for good, and `policytui approvals` then listed them
    with a traceback (OverflowError: cannot convert float infinity to integer); `--call-timeout
    nan` was taken, a time-out whose timer asyncio runs at once and that no clock reading is
    before, so a server over stdio had every request given up on. Exit 2 before the server starts."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    result = run(tmp_path, "gateway", "--policy", str(policy), option, value, "--", "true")
    _one_sentence(result, 2, f"policytui gateway: {said}")


@pytest.mark.parametrize(("options", "said"), [
    (["--client-timeout", "5"], "--client-timeout applies only with --listen."),
    (["--listen", "127.0.0.1:0", "--client-timeout", "0"],
     "--client-timeout must be a number of seconds above 0 and at most 600, not 0."),
    (["--listen", "127.0.0.1:0", "--client-timeout", "601"],
     "--client-timeout must be a number of seconds above 0 and at most 600, not 601."),
    (["--listen", "127.0.0.1:0", "--client-timeout", "nan"],
     "--client-timeout must be a number of seconds above 0 and at most 600, not nan."),
])
def test_a_client_timeout_that_cannot_apply_is_refused(tmp_path: Path, options: list[str], said: str) -> None:
    """How long an HTTP client may take to send a request: over stdio there is none to time,
    and 0, `nan` or more than ten minutes would cut every client off at once, or let one that
    sends nothing hold a connection for as long as it likes. Exit 2 before the server starts."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    result = run(tmp_path, "gateway", "--policy", str(policy), *options, "--", "true")
    _one_sentence(result, 2, f"policytui gateway: {said}")


@pytest.mark.parametrize("value", ["100000", "inf", "0"])
def test_a_server_timeout_out_of_range_is_refused_naming_both_bounds(tmp_path: Path, value: str) -> None:
    """Before, `--timeout 100000` and `--timeout inf` were refused as "expects a number of
    seconds above 0", which they are: the bound they break, a day, went unsaid."""
    result = run(tmp_path, "tools", "kestra", "--offline", "--timeout", value)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "policytui tools: error: argument --timeout: expects a number of seconds above 0 and at most "
        f"86400 (a day), not {value}")


def test_an_empty_grant_name_is_refused_as_in_a_tokens_file(tmp_path: Path) -> None:
    """Before, `--grant ""` was taken: calls were counted under a grant of no name, which
    `policytui counters` showed as the scope `grant ` (a tokens file refuses such a name)."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    result = run(tmp_path, "gateway", "--policy", str(policy), "--grant", "", "--", "true")
    _one_sentence(result, 2, "policytui gateway: the --grant name is empty; give the name this client's "
                  "calls are counted and audited under.")


def test_an_override_of_a_mistyped_tool_names_the_tool_meant(tmp_path: Path) -> None:
    """The server's tools are not listed in the sentence (Kestra has 39): a name one letter
    off is answered with the one meant. Before, only the mistyped name was said."""
    result = run(tmp_path, "init", "kestra", "--offline", "--override", "manag_flow=Destructive", "-o", "x.json")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "policytui init: --override names a tool the server does not have: manag_flow; "
        "did you mean 'manage_flow'?")
    assert not (tmp_path / "x.json").exists()
    far = run(tmp_path, "init", "kestra", "--offline", "--override", "zzz=Destructive", "-o", "x.json")
    assert far.stderr.strip().splitlines()[-1] == (
        "policytui init: --override names a tool the server does not have: zzz.")


@pytest.mark.parametrize(("argv", "said"), [
    (["conect", "kestra"], "policytui: error: argument COMMAND: invalid choice: 'conect'; did you mean 'connect'?"),
    (["init", "kestra", "--offline", "--preset", "recomended"],
     "policytui init: error: argument --preset: invalid choice: 'recomended'; did you mean 'recommended'?"),
    (["export", "policy.json", "--format", "cedr"],
     "policytui export: error: argument --format/-f: invalid choice: 'cedr'; did you mean 'cedar'?"),
])
def test_a_mistyped_choice_names_the_one_meant(tmp_path: Path, argv: list[str], said: str) -> None:
    """argparse lists every choice and leaves the reader to find the typo; the nearest is named
    first and the list still follows. Before, the line had no "did you mean"."""
    result = run(tmp_path, *argv)
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(said + " (choose from '"), last
    assert not (tmp_path / "policy.json").exists()


def test_a_choice_near_none_is_told_with_the_list_alone(tmp_path: Path) -> None:
    result = run(tmp_path, "init", "kestra", "--offline", "--preset", "zzz")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "policytui init: error: argument --preset: invalid choice: 'zzz' (choose from 'recommended', "
        "'read-only', 'lockdown', 'permissive-with-approval')")


@pytest.mark.parametrize("port", ["²", "٨٠٨٠"])
def test_a_listen_port_of_digits_that_are_not_ascii_is_a_usage_error(tmp_path: Path, port: str) -> None:
    """`²` is a digit to Python's str.isdigit but not to int(): before, `--listen 127.0.0.1:²`
    ended in a traceback (ValueError), and Arabic-Indic digits were read as a port number."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    result = run(tmp_path, "gateway", "--policy", str(policy), "--listen", f"127.0.0.1:{port}", "--", "true")
    _one_sentence(result, 2, f"policytui gateway: --listen wants HOST:PORT, e.g. 127.0.0.1:8765, not '127.0.0.1:{port}'.")


def test_an_audit_log_named_with_no_audit_is_refused(tmp_path: Path) -> None:
    """Before, `--no-audit --audit audit.jsonl` started the gateway and wrote no audit log."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    result = run(tmp_path, "gateway", "--policy", str(policy), "--no-audit", "--audit", "audit.jsonl", "--", "true")
    _one_sentence(result, 2, "policytui gateway: --audit audit.jsonl and --no-audit contradict each other; give one.")


# --- approvals and counters: mistakes are exit 2, looking creates nothing --------------------

@pytest.mark.parametrize("action", ["show", "approve", "reject"])
def test_a_malformed_approval_id_is_a_usage_error(tmp_path: Path, action: str) -> None:
    _one_sentence(run(tmp_path, "approvals", action, "nope"), 2, "'nope' is not an approval id")
    # Well formed but unknown: the command ran and the answer is no.
    _one_sentence(run(tmp_path, "approvals", action, "0123456789ab"), 1, "no call is waiting")


@pytest.mark.parametrize("command", [["approvals"], ["approvals", "show", "0123456789ab"], ["counters"]])
def test_state_options_that_name_the_wrong_kind_of_thing(tmp_path: Path, command: list[str]) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    _one_sentence(run(tmp_path, *command, "--state-dir", str(a_file)), 2, "--state-dir", "is a file")
    _one_sentence(run(tmp_path, *command, "--state", f"sqlite://{tmp_path}"), 2, "names a folder")

    unused = tmp_path / "unused" / "state.sqlite"
    looked = run(tmp_path, *command, "--state", f"sqlite://{unused}")
    assert looked.returncode in (0, 1) and "Traceback" not in looked.stderr
    assert not unused.parent.exists()  # nothing created by merely looking


def test_an_empty_approvals_list_names_the_store_it_read(tmp_path: Path) -> None:
    """A newcomer who forgot the gateway's --state read "No calls are waiting for approval."
    while a call waited in the gateway's own store: the line now names the store read."""
    folder = tmp_path / "state"
    unused = run(tmp_path, "approvals", "--state-dir", str(tmp_path))
    assert unused.returncode == 0 and unused.stdout == (
        f"No calls are waiting for approval in sqlite://{tmp_path}/state.sqlite (a gateway started with "
        "another --state or --state-dir keeps its own).\n"), unused
    never = subprocess.run([POLICYTUI, "approvals"], capture_output=True, text=True, timeout=120, check=False,
                           cwd=tmp_path, env={**_env(tmp_path), "POLICYTUI_STATE_DIR": str(folder)})
    assert never.returncode == 0 and never.stdout == (
        f"No calls are waiting for approval in {folder}, which no gateway has used yet (a gateway started "
        "with another --state or --state-dir keeps its own).\n"), never
    assert not folder.exists()  # nothing created by merely looking


# --- replay -----------------------------------------------------------------------------------

def test_replay_names_files_that_are_not_recordings(tmp_path: Path) -> None:
    policy = _policy(tmp_path, {"version": "1", "default": "deny", "tools": {"echo": {}}})
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps({"tool": "echo", "decision": "allowed", "arguments": {}}, indent=2),
                      encoding="utf-8")
    yaml = tmp_path / "policy.yaml"
    yaml.write_text("version: '1'\ndefault: deny\n", encoding="utf-8")
    array = tmp_path / "array.json"
    array.write_text('[{"tool": "echo"}]\n', encoding="utf-8")
    for path in (policy, pretty, yaml, array):
        result = run(tmp_path, "replay", str(path), "--policy", str(policy))
        _one_sentence(result, 2, f"{path} is not a recording: expected one JSON object per line "
                      "(gateway --record or an audit log)")
    _one_sentence(run(tmp_path, "replay", str(tmp_path), "--policy", str(policy)), 2, "is a folder")

    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    # A gate that tested nothing does not pass (an empty file, or one of blank lines).
    for text in ("", "\n\n"):
        empty.write_text(text, encoding="utf-8")
        result = run(tmp_path, "replay", str(empty), "--policy", str(policy))
        _one_sentence(result, 2, f"the recording {empty} holds no calls, so nothing can be tested")
        assert result.stdout == ""


def test_a_credential_typed_on_a_mistaken_command_line_is_not_repeated(tmp_path: Path) -> None:
    """argparse repeats the words it rejects, and the server-name check repeats the name: a key
    typed beside a mistaken flag, or a URL of a kind not served, was printed whole on the
    terminal (and into any log of it)."""
    key, password = "sk_live_Mistake0123456789abcdefXY", "pw-Mistake-5521"
    for argv, shown in (
        (["tools", "http://127.0.0.1:9/mcp", "--bogus", key, f"--x=postgresql://me:{password}@db/x"],
         "unrecognized arguments: --bogus *** --x=postgresql://me:***@db/x"),
        (["--bogus", key], "invalid choice: '***'"),
        (["tools", f"ftp://u:{password}@h/x"], "no server named 'ftp://u:***@h/x' is configured"),
        (["tools", key], "no server named '***' is configured"),
    ):
        result = run(tmp_path, *argv)
        assert result.returncode == 2 and shown in result.stderr, (argv, result.stderr)
        assert key not in result.stderr + result.stdout and password not in result.stderr + result.stdout
    # A flag's value masked where it stands alone, not every letter like it in the message.
    result = run(tmp_path, "tools", "kestra", "--bogus", "--api-key", "a")
    assert "error: unrecognized arguments: --bogus --api-key ***\n" in result.stderr, result.stderr


def test_replay_says_which_policy_file_does_not_exist(tmp_path: Path) -> None:
    """`--against nofile.json` said "nofile.json does not exist.", as a missing --policy did:
    which of the two was mistyped was left to guess."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    recording = tmp_path / "calls.jsonl"
    recording.write_text(json.dumps({
        "time": "2026-12-01T10:00:00.000Z", "server": "x", "grant": "default", "session": "s", "tool": "echo",
        "decision": "allowed", "rule": "default", "reason": "", "args_sha256": "0" * 64, "upstream": "ok",
        "arguments": {}}) + "\n", encoding="utf-8")
    _one_sentence(run(tmp_path, "replay", str(recording), "--policy", str(policy), "--against", "nofile.json"), 2,
                  "the policy to compare with, --against, nofile.json does not exist.")
    _one_sentence(run(tmp_path, "replay", str(recording), "--policy", "nofile.json"), 2,
                  "the draft policy nofile.json does not exist.")


@pytest.mark.parametrize("command", ["gateway", "approvals", "counters"])
def test_the_default_state_folder_is_told_alike_by_every_command_that_uses_it(tmp_path: Path, command: str) -> None:
    """The gateway writes where `approvals` and `counters` read: $XDG_STATE_HOME is one of the
    places for all three, and each help says so."""
    shown = " ".join(run(tmp_path, command, "--help").stdout.split())
    assert ("(default: $POLICYTUI_STATE_DIR, else $XDG_STATE_HOME/policytui, else "
            "~/.local/state/policytui)") in shown, shown


def test_gateway_help_offers_no_option_the_gateway_refuses(tmp_path: Path) -> None:
    shown = run(tmp_path, "gateway", "--help").stdout
    assert "--header" in shown and "--offline" not in shown and "--from" not in shown
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    _one_sentence(run(tmp_path, "gateway", "--policy", str(policy), "--offline", "kestra"), 2,
                  "--offline does not apply: the gateway needs the live server")
    # --from (a snapshot) is as wrong a command line as --offline: exit 2, before any work.
    snapshot = tmp_path / "tools.json"
    snapshot.write_text(json.dumps({"tools": [{"name": "echo", "inputSchema": {"type": "object"}}]}),
                        encoding="utf-8")
    _one_sentence(run(tmp_path, "gateway", "--policy", str(policy), "--from", str(snapshot)), 2,
                  "--from does not apply: the gateway needs the live server")


def test_a_binary_file_given_as_a_snapshot_is_named_as_not_text(tmp_path: Path) -> None:
    (tmp_path / "bin.json").write_bytes(bytes(range(128, 256)) * 4)
    _one_sentence(run(tmp_path, "tools", "--from", "bin.json"), 2,
                  "the snapshot file bin.json is not text (UTF-8)")


def test_replay_help_tells_the_exit_codes(tmp_path: Path) -> None:
    shown = " ".join(run(tmp_path, "replay", "--help").stdout.split())
    assert "exit codes: 0 when no call that was allowed would be denied, 1 when one would be" in shown


# --- usage lines and mistyped options ---------------------------------------------------------

COMMANDS = ["connect", "serve", "validate", "fmt", "check", "schema", "servers", "tools", "snapshot",
            "init", "export", "gateway", "replay", "approvals", "counters"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_usage_line_that_wraps_lines_up_under_its_first_option(tmp_path: Path, command: str) -> None:
    """`usage: policytui tools [-h] ...`: the lines it wraps onto start under `[-h]`, as
    argparse lays out every usage, also for the commands that take `-- COMMAND ARGS...`."""
    env = {**_env(tmp_path), "COLUMNS": "80"}
    shown = subprocess.run([POLICYTUI, command, "--help"], capture_output=True, text=True, timeout=120,
                           check=False, cwd=tmp_path, env=env).stdout
    usage = shown.split("\n\n")[0].splitlines()
    prefix = f"usage: policytui {command} "
    assert usage[0].startswith(prefix + "[-h]"), usage
    for line in usage[1:]:
        assert line.startswith(" " * len(prefix)) and line[len(prefix)] != " ", usage


@pytest.mark.parametrize(("argv", "unknown"), [
    (["export", "policy.json", "--formt", "cedar"], "--formt cedar"),
    (["replay", "calls.jsonl", "--polcy", "policy.json"], "--polcy policy.json"),
    (["snapshot", "kestra", "--ouput", "out.json"], "--ouput out.json"),
    (["gateway", "--policy", "policy.json", "--recrod", "calls.jsonl", "kestra"], "--recrod kestra"),
    (["tools", "kestra", "--ofline"], "--ofline"),
    (["schema", "--jsn"], "--jsn"),
])
def test_a_mistyped_option_is_named_by_the_command_it_was_given_to(
    tmp_path: Path, argv: list[str], unknown: str
) -> None:
    """The option the user mistyped is the mistake to show, with that command's usage, also
    when the command then lacks an option it requires (`--formt` for `--format`), never
    'the following arguments are required: --format' nor the top-level usage alone."""
    _policy(tmp_path, {"version": "1", "default": "deny"})
    done = run(tmp_path, *argv)
    assert done.returncode == 2 and done.stdout == "", done
    assert done.stderr.startswith(f"usage: policytui {argv[0]} [-h]"), done.stderr
    assert done.stderr.splitlines()[-1] == f"policytui {argv[0]}: error: unrecognized arguments: {unknown}"
    assert not (tmp_path / "out.json").exists() and not (tmp_path / "calls.jsonl").exists()


def test_dashes_end_the_options_of_a_command_that_takes_no_server_command(tmp_path: Path) -> None:
    """`--` before a file name, as scripts write it (`validate -- "$file"`) and as a file whose
    name begins with a dash needs: the file is read, not asked for again."""
    policy = _policy(tmp_path, {"version": "1", "default": "deny"}, name="-dash.json")
    done = run(tmp_path, "validate", "--", str(policy.name))
    assert (done.returncode, done.stdout, done.stderr) == (0, "-dash.json: ok\n", "")
    done = run(tmp_path, "check", "--json", "--", policy.name, "echo")
    assert done.returncode == 1 and json.loads(done.stdout)["outcome"] == "denied", done.stderr
    done = run(tmp_path, "fmt", "--", policy.name)
    assert done.returncode == 0 and done.stderr == "wrote -dash.json (canonical form, previous version kept as -dash.json.bak)\n"


# --- the recommended preset on the reference server ------------------------------------------

@pytest.mark.servers
def test_recommended_holds_the_environment_dump_for_a_human(tmp_path: Path, everything: Path) -> None:
    made = run(tmp_path, "init", "--preset", "recommended", "-o", "ev.json", "--", str(everything))
    assert made.returncode == 0, made.stderr
    assert re.search(r"get-env\s+Read\s+High\s+needs approval", made.stdout), made.stdout
    checked = run(tmp_path, "check", "ev.json", "get-env")
    assert checked.returncode == 1 and checked.stdout.startswith("needs_approval"), checked.stdout
    assert run(tmp_path, "check", "ev.json", "get-sum").returncode == 0  # a plain read stays allowed
    valid = run(tmp_path, "validate", "ev.json")
    assert valid.returncode == 0 and "warning" not in valid.stdout + valid.stderr, valid.stdout


# --- the approval hint is a command that works -----------------------------------------------

async def _held_call_hint(tmp: Path, everything: Path, state: list[str]) -> tuple[str, Any]:
    policy = _policy(tmp, {"version": "1", "default": "deny", "tools": {
        "echo": {"action": "require_approval", "reason": "a human reads every echo"}}})
    log = tmp / "gateway.log"
    params = StdioServerParameters(
        command=POLICYTUI,
        args=["gateway", "--policy", str(policy), *state, "--approvals", "queue",
              "--approval-timeout", "60", "--no-audit", "--log", str(log), "--", str(everything), "stdio"],
        cwd=str(tmp), env=_env(tmp),
    )
    result: dict[str, Any] = {}
    hint = ""
    with open(os.devnull, "w") as errlog:  # noqa: ASYNC230 - opened once, never blocks
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=90) as client:
            async with anyio.create_task_group() as tg:
                async def call() -> None:
                    result["echo"] = await client.call_tool("echo", {"message": "held"})

                tg.start_soon(call)
                deadline = time.monotonic() + 60
                while not hint and time.monotonic() < deadline:
                    await anyio.sleep(0.1)
                    text = log.read_text(encoding="utf-8") if log.exists() else ""
                    found = re.search(r"call to 'echo' waits for approval: (policytui approvals approve .*)", text)
                    hint = found.group(1) if found else ""
                assert hint, "the gateway logged no approval hint"
                listed = await anyio.to_thread.run_sync(lambda: run(tmp, "approvals", "list", *state))
                suggested = re.search(r"Answer with: (.*)  \(or reject ID\)", listed.stdout)
                assert suggested and "approve ID --state" in suggested.group(1), listed.stdout
                # Run exactly what the log says, from another folder, as the person would.
                elsewhere = tmp / "elsewhere"
                elsewhere.mkdir(exist_ok=True)
                argv = shlex.split(hint)
                answered = await anyio.to_thread.run_sync(lambda: subprocess.run(
                    [POLICYTUI, *argv[1:]], capture_output=True, text=True, timeout=60, check=False,
                    cwd=elsewhere, env=_env(elsewhere)))
                assert answered.returncode == 0, (hint, answered.stderr)
    return hint, result["echo"]


@pytest.mark.servers
@pytest.mark.parametrize("how", ["state-url", "relative-state-dir"])
def test_the_logged_approval_hint_answers_the_call(tmp_path: Path, everything: Path, how: str) -> None:
    if how == "state-url":
        state = ["--state", f"sqlite://{tmp_path}/other place/state.db"]
        (tmp_path / "other place").mkdir()
    else:
        state = ["--state-dir", "gw-state"]
    hint, echoed = anyio.run(_held_call_hint, tmp_path, everything, state)
    assert "--state" in hint
    assert not echoed.is_error and echoed.content[0].text == "Echo: held", echoed


# --- a policy made from a preset: each denial names the rule that decided it ----------------

def _check(tmp: Path, policy: Path, tool: str, *extra: str) -> str:
    result = run(tmp, "check", str(policy), tool, "--json", *extra)
    assert result.returncode == 1, result.stderr
    decision = json.loads(result.stdout)
    assert decision["outcome"] == "denied", decision
    return str(decision["reason"])


def test_a_presets_reason_never_begins_a_denial_another_rule_decided(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    made = run(tmp_path, "init", "kestra", "--offline", "-q", "-o", str(policy))
    assert made.returncode == 0, made.stderr
    document = json.loads(policy.read_text(encoding="utf-8"))
    # What a user adds afterwards: a condition of their own, and a tool denied outright.
    document["tools"]["manage_kv_store"]["deny_if"] = [
        {"path": "args.key", "op": "eq", "value": "secret"}]
    document["tools"]["add_execution_labels"]["action"] = "deny"
    policy.write_text(json.dumps(document, indent=2), encoding="utf-8")

    own = _check(tmp_path, policy, "manage_kv_store", "--args", '{"action": "get", "key": "secret"}')
    assert own == 'denied because args.key eq "secret"'
    refused = _check(tmp_path, policy, "manage_kv_store", "--args",
                     '{"action": "delete", "key": "k"}', "--approval", "rejected")
    assert refused.startswith("approval required because args.action in ["), refused
    unknown = _check(tmp_path, policy, "manage_kv_store", "--args", '{"action": "nuke"}')
    assert unknown.startswith('required condition not met: args.action in ["get", '), unknown
    # The reason a preset gives a tool says what the tool does, true whatever decided the call:
    # never that a human approves it, when it is denied outright.
    denied = _check(tmp_path, policy, "add_execution_labels")
    assert "approv" not in denied and "allowed" not in denied, denied
    labelled = _check(tmp_path, policy, "change_taskrun_state", "--approval", "rejected")
    assert labelled.startswith("this tool changes or removes existing data ("), labelled



# --- output piped into a reader that stopped (`| head -1`) ------------------------------------

@pytest.mark.parametrize("argv", [["approvals"], ["counters"], ["--version"], ["tools", "kestra", "--offline"]])
def test_a_closed_output_pipe_is_no_traceback(tmp_path: Path, argv: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line is written
    try:
        done = subprocess.run([POLICYTUI, *argv], stdout=write_end, stderr=subprocess.PIPE, text=True,
                              timeout=120, check=False, cwd=tmp_path, env=_env(tmp_path))
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


# --- a bad input file: its status depends on what the command does with it, not how it fails --

BAD_INPUTS = {
    "missing": lambda tmp: tmp / "missing.json",
    "a folder": lambda tmp: tmp / "folder",
    "not a list of tools": lambda tmp: tmp / "empty.json",
    "not UTF-8": lambda tmp: tmp / "binary.json",
}


def _bad_inputs(tmp: Path) -> None:
    (tmp / "folder").mkdir()
    (tmp / "empty.json").write_text("{}", encoding="utf-8")
    (tmp / "binary.json").write_bytes(b"\xff\xfe\x00")


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
@pytest.mark.parametrize("argv", [
    ["tools", "--from", "{}"],
    ["snapshot", "--from", "{}", "-o", "snap.json"],
    ["init", "--from", "{}", "-o", "new.json", "-q"],
    ["connect", "--from", "{}"],
    ["validate", "policy.json", "--tools", "{}"],
    ["gateway", "--policy", "policy.json", "--listen", "127.0.0.1:0", "--tokens", "{}", "--", "true"],
], ids=lambda argv: " ".join(argv[:2]) if isinstance(argv, list) else argv)
def test_a_file_named_to_read_besides_the_policy_is_exit_2_however_it_fails(
    tmp_path: Path, argv: list[str], kind: str
) -> None:
    """`tools --from` a folder was 2 and a missing file 1; `init --from` a folder was 1."""
    _bad_inputs(tmp_path)
    _policy(tmp_path, {"version": "1", "default": "deny"})
    bad = BAD_INPUTS[kind](tmp_path)
    result = run(tmp_path, *[str(bad) if part == "{}" else part for part in argv])
    _one_sentence(result, 2, f"policytui {argv[0]}: ")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "snap.json").exists() and not (tmp_path / "new.json").exists()


@pytest.mark.parametrize("kind", ["missing", "a folder", "not UTF-8"])
@pytest.mark.parametrize("command", ["export", "gateway", "fmt", "validate"])
def test_the_policy_a_command_works_on_is_exit_1_however_it_cannot_be_read(
    tmp_path: Path, command: str, kind: str
) -> None:
    """`export` and `gateway` said 2 for a policy that is a folder, 1 for a missing one."""
    _bad_inputs(tmp_path)
    bad = str(BAD_INPUTS[kind](tmp_path))
    argv = {"export": ["export", bad, "--format", "cedar"],
            "gateway": ["gateway", "--policy", bad, "--", "true"]}.get(command, [command, bad])
    result = run(tmp_path, *argv)
    assert result.returncode == 1, (result.returncode, result.stderr + result.stdout)
    text = (result.stderr + result.stdout).strip()
    assert len(text.splitlines()) == 1 and "Traceback" not in text, text


@pytest.mark.parametrize("kind", ["missing", "a folder", "not UTF-8", "invalid"])
def test_check_json_on_a_policy_it_cannot_read_still_prints_one_json_object(tmp_path: Path, kind: str) -> None:
    """`check --json` is for scripts: a policy it cannot decide on (exit 3) is answered in JSON
    too, outcome null and the problems as `validate --json` lists them, not in text lines a
    script's JSON reader fails on."""
    _bad_inputs(tmp_path)
    bad = _policy(tmp_path, {"version": "1", "defualt": "deny"}) if kind == "invalid" else BAD_INPUTS[kind](tmp_path)
    result = run(tmp_path, "check", str(bad), "echo", "--json")
    assert result.returncode == 3, (result.returncode, result.stderr)
    answer = json.loads(result.stdout)
    assert answer["tool"] == "echo" and answer["outcome"] is None and answer["rule"] is None
    assert answer["file"] == str(bad) and answer["errors"], answer
    listed = json.loads(run(tmp_path, "validate", str(bad), "--json").stdout)["files"][0]["errors"]
    assert answer["errors"] == listed
    assert result.stderr == ""


def test_help_says_what_each_exit_status_means(tmp_path: Path) -> None:
    shown = " ".join(run(tmp_path, "--help").stdout.split())
    assert "exit status: 0 done; 1 the answer is no or the work failed" in shown
    assert "2 the command line is wrong, including a file it names to read besides the policy" in shown


# --- a limit's max: the same range in validate, check, the gateway and the editor -----------

@pytest.mark.parametrize("most", [0, 10**23, 1_000_000_001])
def test_a_limit_outside_the_range_is_refused_by_validate_and_the_gateway_alike(tmp_path: Path, most: int) -> None:
    """10^23 calls a minute was a valid policy for validate and the gateway, not for Cedar."""
    limit = {"counter": "c", "window": "minute", "max": most}
    policy = _policy(tmp_path, {"version": "1", "default": "deny", "tools": {"t": {"limits": [limit]}}})
    sentence = f"tools.t.limits[0].max: must be a whole number from 1 to 1,000,000,000, not {most}"
    validated = run(tmp_path, "validate", str(policy))
    assert validated.returncode == 1 and sentence in validated.stdout, validated.stdout
    gateway = run(tmp_path, "gateway", "--policy", str(policy), "--", "true")
    _one_sentence(gateway, 1, "is not a valid policy", sentence)


def test_the_largest_limit_is_accepted_by_validate_and_check(tmp_path: Path) -> None:
    limit = {"counter": "c", "window": "minute", "max": 1_000_000_000}
    policy = _policy(tmp_path, {"version": "1", "default": "deny", "tools": {"t": {"limits": [limit]}}})
    assert run(tmp_path, "validate", str(policy)).returncode == 0
    assert run(tmp_path, "check", str(policy), "t").returncode == 0


@pytest.mark.servers
def test_a_listen_port_in_use_is_a_start_failure_before_the_server_starts(tmp_path: Path, everything: Path) -> None:
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        result = run(tmp_path, "gateway", "--policy", str(policy), "--listen", f"127.0.0.1:{port}",
                     "--audit", str(tmp_path / "audit.jsonl"), "--", str(everything), "stdio")
    finally:
        taken.close()
    _one_sentence(result, 1, f"policytui gateway: cannot listen on 127.0.0.1 port {port}: it is in use")
    # Said before the server is started: no probe of the server in the audit log.
    assert not (tmp_path / "audit.jsonl").exists() or (tmp_path / "audit.jsonl").read_text() == ""


def test_a_listen_host_that_is_not_an_address_is_a_usage_error(tmp_path: Path) -> None:
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    (tmp_path / "tokens.json").write_text(json.dumps({"0123456789abcdef0123": "ci"}), encoding="utf-8")
    (tmp_path / "tokens.json").chmod(0o600)
    result = run(tmp_path, "gateway", "--policy", str(policy), "--listen", "no-such-host.invalid:8765",
                 "--tokens", "tokens.json", "--", "true")
    _one_sentence(result, 2, "--listen no-such-host.invalid is not an address of this machine")


@pytest.mark.parametrize(("mode", "who"), [(0o644, "every user"), (0o640, "its group"), (0o600, None)])
def test_a_tokens_file_others_can_read_is_warned_of(tmp_path: Path, mode: int, who: str | None) -> None:
    """Each token calls tools as its grant: a tokens file other users of the machine may read is
    said, with the command that makes it private (a warning: a Kubernetes secret is mounted 0644
    by default, readable only inside its container). Before, nothing was said."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    (tmp_path / "tokens.json").write_text(json.dumps({"0123456789abcdef0123": "ci"}), encoding="utf-8")
    (tmp_path / "tokens.json").chmod(mode)
    # The server exits at once: the warning is said before it starts.
    result = run(tmp_path, "gateway", "--policy", str(policy), "--listen", "127.0.0.1:0",
                 "--tokens", "tokens.json", "--", "true")
    warned = [line for line in result.stderr.splitlines() if "the tokens file" in line]
    if who is None:
        assert warned == [], result.stderr
        return
    assert len(warned) == 1, result.stderr
    assert warned[0].endswith(
        f"WARNING the tokens file tokens.json can be read by {who} of this machine (mode 0{mode:o}), "
        "and each token in it calls tools as its grant; make it private: chmod 600 tokens.json")
    assert "0123456789abcdef0123" not in result.stderr


@pytest.mark.parametrize(("text", "where"), [
    ('{"0123456789abcdef0123": "ci",\n "fedcba9876543210fedc": }', "(line 2, column 26)"),
    ('{"0123456789abcdef0123": "ci",}', "(line 1, column 31)"),
])
def test_a_tokens_file_that_is_not_json_says_where_and_never_what(tmp_path: Path, text: str, where: str) -> None:
    """A tokens file hand-written with one slip: the error says where the slip is, so it can be
    found without reading the file through, and never quotes the text around it, which would be a
    token in a log or a terminal's scrollback."""
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    (tmp_path / "tokens.json").write_text(text, encoding="utf-8")
    result = run(tmp_path, "gateway", "--policy", str(policy), "--listen", "127.0.0.1:0",
                 "--tokens", "tokens.json", "--", "true")
    _one_sentence(result, 2, f"policytui gateway: the tokens file tokens.json is not valid JSON {where}.")
    assert "0123456789" not in result.stderr and "fedcba" not in result.stderr


def test_a_tokens_file_that_is_not_utf8_says_so(tmp_path: Path) -> None:
    policy = _policy(tmp_path, {"version": "1", "default": "allow"})
    (tmp_path / "tokens.json").write_bytes(b'{"0123456789abcdef\xff0123": "ci"}')
    result = run(tmp_path, "gateway", "--policy", str(policy), "--listen", "127.0.0.1:0",
                 "--tokens", "tokens.json", "--", "true")
    _one_sentence(result, 2, "policytui gateway: the tokens file tokens.json is not UTF-8 text.")


# --- every command's error on bad input: one sentence, in one shape --------------------------

_SENTENCES: list[tuple[list[str], int, str]] = [
    (["check", "policy.json", "echo", "--args", "{bad"], 2, "--args: not valid JSON"),
    (["check", "policy.json", "echo", "--args", "[1]"], 2, "--args: a JSON object is needed"),
    (["check", "policy.json", "echo", "--tools", "missing.json"], 2,
     "--tools file: the snapshot file missing.json does not exist."),
    (["check", "policy.json", "echo", "--tools", "bad.json"], 2, "--tools file: the snapshot file bad.json is not valid JSON"),
    (["tools", "no-such-server"], 2, "no server named 'no-such-server' is configured"),
    (["tools", "--from", "missing.json"], 2, "the snapshot file missing.json does not exist."),
    (["snapshot", "no-such-server", "-o", "x.json"], 2, "no server named 'no-such-server'"),
    (["snapshot", "--from", "tools.json", "-o", "gone/x.json"], 1, "cannot write gone/x.json: its folder does not exist."),
    (["init", "--from", "tools.json", "-o", "gone/x.json"], 1, "cannot write gone/x.json: its folder does not exist."),
    (["init", "--from", "tools.json", "-o", "policy.json"], 2, "policy.json already exists"),
    (["init", "--from", "tools.json", "-o", "."], 2, ". is a folder; give a file name for the policy."),
    (["export", "policy.json", "--format", "cedar", "-o", "gone/x.cedar"], 1, "cannot write gone/x.cedar"),
    (["export", "missing.json", "--format", "cedar"], 1, "missing.json does not exist."),
    (["connect", "no-such-server"], 2, "no server named 'no-such-server'"),
    (["approvals", "show", "zz"], 2, "'zz' is not an approval id"),
    (["approvals", "approve", "0123456789ab"], 1, "no call is waiting with id 0123456789ab."),
    (["approvals", "--state", "bogus://x"], 2, "--state wants"),
    (["counters", "--state", "bogus://x"], 2, "--state wants"),
    (["gateway", "--policy", "policy.json", "--listen", "nope", "--", "true"], 2, "--listen wants HOST:PORT"),
    (["gateway", "--policy", "policy.json", "--call-timeout", "-3", "--", "true"], 2, "--call-timeout must be 0"),
    (["gateway", "--policy", "policy.json", "--listen", "127.0.0.1:0", "--tokens", "bad.json", "--", "true"], 2,
     "the tokens file bad.json is not valid JSON"),
    (["gateway", "--policy", "bad.json", "--", "true"], 1, "bad.json is not a valid policy"),
    (["gateway", "--policy", "policy.json", "no-such-server"], 2, "no server named 'no-such-server'"),
    (["serve", "no-such-server", "--no-open"], 2, "no server named 'no-such-server'"),
]


@pytest.mark.parametrize(("argv", "code", "words"), _SENTENCES, ids=[" ".join(case[0][:4]) for case in _SENTENCES])
def test_every_commands_error_is_one_sentence_in_one_shape(
    tmp_path: Path, argv: list[str], code: int, words: str
) -> None:
    """Bad input to any command is one line, `policytui COMMAND: sentence.`: the thing at fault
    named, begun in lower case and ended with a full stop, as the gateway and the approvals
    command already ended theirs. Before, usage errors and failed writes had no full stop
    (`cannot write x.json: its folder does not exist`), and messages written for the editor's
    dialogs began in capitals after the colon (`policytui tools: No server named ...`,
    `--tools file: The snapshot file ...`)."""
    _policy(tmp_path, {"version": "1", "default": "allow"})
    (tmp_path / "bad.json").write_text("{bad", encoding="utf-8")
    (tmp_path / "tools.json").write_text('[{"name": "echo", "inputSchema": {"type": "object"}}]', encoding="utf-8")
    (tmp_path / "default-state").mkdir()
    result = run(tmp_path, *argv)
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == "", result.stdout
    # The gateway's log (standard error by default) may come first: its last line is the error.
    last = result.stderr.strip().splitlines()[-1]
    if argv[0] != "gateway":
        _one_sentence(result, code)
    prefix = f"policytui {argv[0]}: "
    assert last.startswith(prefix) and last.endswith("."), last
    said = last[len(prefix):]
    assert not (said[0].isupper() and said[1].islower()), last
    assert words in said, last


# --- a standard output that cannot take what a command prints --------------------------------

FULL_OUTPUT_COMMANDS = {
    "servers": ["servers"],
    "servers --json": ["servers", "--json"],
    "schema": ["schema"],
    "tools": ["tools", "--from", str(Path(__file__).parent / "fixtures" / "servers" / "mcp-server-time.json")],
    "validate": ["validate", str(Path(__file__).parent / "fixtures" / "policies" / "good" / "all-fields.json")],
}


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full to make writes fail")
@pytest.mark.parametrize("command", sorted(FULL_OUTPUT_COMMANDS))
def test_a_full_disk_behind_standard_output_is_one_sentence(tmp_path: Path, command: str) -> None:
    """`policytui servers > /dev/full` (a full disk behind `> out`) printed a Python traceback
    from Rich's write; `schema`, `validate` and the other guarded commands called it "unexpected
    error (OSError: [Errno 28] No space left on device); this is a bug in policytui". Each now
    says what failed in one sentence and exits 1, as `export` does."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "servers.json").write_text(json.dumps({"mcpServers": {"time": {"command": "uvx", "args": [
        "mcp-server-time"]}}}), encoding="utf-8")
    env = {**_env(tmp_path), "POLICYTUI_CONFIG_DIR": str(config)}
    argv = " ".join(shlex.quote(arg) for arg in FULL_OUTPUT_COMMANDS[command])
    done = subprocess.run(["sh", "-c", f'"$0" {argv} > /dev/full', POLICYTUI], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env=env)
    name = command.split()[0]
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "bug" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1] == f"policytui {name}: cannot write standard output: no space left on device.", (
        done.stderr)
    # Without the full disk the same command prints, and succeeds: the sentence is about the disk.
    fine = subprocess.run([POLICYTUI, *FULL_OUTPUT_COMMANDS[command]], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=env)
    assert fine.returncode == 0 and fine.stdout.strip(), fine.stderr


# Every command that answers on standard output, as a user runs it, with what it needs in the
# test's folder (`allow.json`, `recording.jsonl`).
CLOSED_OUTPUT_COMMANDS = {
    **FULL_OUTPUT_COMMANDS,
    "fmt": ["fmt", "--check", "allow.json"],
    "check": ["check", "allow.json", "echo"],
    "approvals": ["approvals"],
    "counters": ["counters"],
    "replay": ["replay", "recording.jsonl", "--policy", "allow.json"],
    "init": ["init", "--from", str(Path(__file__).parent / "fixtures" / "servers" / "mcp-server-time.json"),
             "-o", "-"],
}


@pytest.mark.parametrize("command", sorted(CLOSED_OUTPUT_COMMANDS))
def test_a_closed_standard_output_is_one_sentence_and_a_reader_gone_is_quiet(tmp_path: Path, command: str) -> None:
    """`policytui servers >&-` (standard output closed by the shell) wrote nothing and exited 0,
    as `schema`, `validate`, `fmt`, `check`, `approvals`, `counters` and `replay` did: their
    answer was lost without a word. Each now says so in one sentence and exits 1, as `export`
    and a full disk do. Output piped into a reader that has gone (`| head`) stays quiet, `-o -`
    too, which said "cannot write standard output: broken pipe"."""
    _policy(tmp_path, {"version": "1", "default": "allow"}, "allow.json")
    assert run(tmp_path, "fmt", "allow.json").returncode == 0  # canonical, for `fmt --check`
    (tmp_path / "recording.jsonl").write_text(json.dumps({
        "time": "2026-01-01T00:00:00Z", "server": "s", "tool": "echo", "decision": "allowed",
        "arguments": {"text": "hi"}}) + "\n", encoding="utf-8")
    argv = shlex.join(CLOSED_OUTPUT_COMMANDS[command])
    fine = run(tmp_path, *CLOSED_OUTPUT_COMMANDS[command])
    assert fine.returncode == 0 and fine.stdout.strip(), fine.stderr  # it answers, on standard output
    done = subprocess.run(["sh", "-c", f'"$0" {argv} >&-', POLICYTUI], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env=_env(tmp_path))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "bug" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1] == f"policytui {command.split()[0]}: cannot write standard output: it is closed.", (
        done.stderr)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line is written
    try:
        gone = subprocess.run([POLICYTUI, *CLOSED_OUTPUT_COMMANDS[command]], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=120, check=False, cwd=tmp_path, env=_env(tmp_path))
    finally:
        os.close(write_end)
    assert gone.returncode == 1 and "standard output" not in gone.stderr and "Traceback" not in gone.stderr, (
        gone.stderr)


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["-h"], ["servers", "--help"], ["export", "-h"]],
                         ids=" ".join)
def test_help_and_the_version_into_a_closed_standard_output_are_told_as_every_command_tells_it(
        tmp_path: Path, argv: list[str]) -> None:
    """`policytui --help >&-` and `--version >&-` exited 0, argparse having written the help to
    standard error in its place (and the version nowhere), where every other command says
    'cannot write standard output: it is closed.' and exits 1. They say the same now, and a
    reader gone (`| head`) ends them quietly with 1, as it ends the others."""
    fine = run(tmp_path, *argv)
    assert fine.returncode == 0 and fine.stdout.strip() and not fine.stderr, fine.stderr
    done = subprocess.run(["sh", "-c", f'"$0" {shlex.join(argv)} >&-', POLICYTUI], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env=_env(tmp_path))
    command = f" {argv[0]}" if argv[0] in ("servers", "export") else ""
    assert (done.returncode, done.stderr) == (1, f"policytui{command}: cannot write standard output: it is closed.\n")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line is written
    try:
        gone = subprocess.run([POLICYTUI, *argv], stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120,
                              check=False, cwd=tmp_path, env=_env(tmp_path))
    finally:
        os.close(write_end)
    assert (gone.returncode, gone.stderr) == (1, "")


@pytest.mark.parametrize("name", ["", " "])
def test_an_output_name_that_is_empty_or_spaces_is_refused_by_every_writer(tmp_path: Path, name: str) -> None:
    """`-o ""` (an unset shell variable) was taken for no -o by export and init, which then
    wrote to standard output with no word of it, and snapshot said " already exists"; `-o " "`
    wrote a file named a space. Each writer now refuses both in one sentence, exit 2, before any
    work, and writes nothing."""
    fixtures = Path(__file__).parent / "fixtures"
    tools = str(fixtures / "servers" / "mcp-server-time.json")
    policy = str(fixtures / "policies" / "good" / "all-fields.json")
    what = "empty" if not name else "only spaces"
    for argv, result in ((["export", policy, "-f", "cedar"], "the result"), (["init", "--from", tools], "the policy"),
                         (["snapshot", "--from", tools], "the snapshot")):
        done = run(tmp_path, *argv, "-o", name)
        _one_sentence(done, 2, f"the output file name is {what}; give a file name for {result}, or - for "
                               "standard output")
        assert done.stdout == "", done.stdout
    assert [path.name for path in tmp_path.iterdir()] == []  # nothing written, not even the state folder's


def test_the_recommended_presets_help_names_the_overwrites_it_hides(tmp_path: Path) -> None:
    """`init --preset recommended` on the filesystem server hides `write_file` (it overwrites a
    file whole: Destructive, Critical), and `init --help` says the preset hides overwrites, not
    only deletions (a user read "deletions hidden" and could not find write_file)."""
    server = Path(__file__).parent / "fixtures" / "servers" / "server-filesystem.json"
    made = run(tmp_path, "init", "--from", str(server), "--preset", "recommended", "-o", "policy.json")
    assert made.returncode == 0, made.stderr
    hidden = json.loads((tmp_path / "policy.json").read_text(encoding="utf-8"))["hide"]
    assert "write_file" in hidden
    helped = run(tmp_path, "init", "--help")
    words = " ".join(helped.stdout.split())
    assert "recommended: " in words and "delete, wipe or overwrite data hidden" in words, words
