"""The CLI's server commands as a user runs them: the installed `policytui` against real servers
(the third-party ones tests/servers/install.sh installs, and the project's misbehaving ones)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from discovery_support import (
    DOCKER_DENIED,
    DOCKER_STOPPED,
    MISBEHAVING,
    PYTHON,
    assert_all_gone,
    fake_docker,
    pids_in,
    script,
)

ROOT = Path(__file__).resolve().parent.parent
POLICYTUI = str(Path(sys.executable).parent / "policytui")
KESTRA_CODE = (
    "import sys, src; sys.path.insert(0, list(src.__path__)[0]); import server; server.main()"
)


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """The installed command, in a clean home and config folder of its own."""
    environment = {
        **os.environ,
        "HOME": str(cwd / "home"),
        "POLICYTUI_CONFIG_DIR": str(cwd / "config"),
        "XDG_CONFIG_HOME": str(cwd / "xdg"),
        **(env or {}),
    }
    return subprocess.run(
        [POLICYTUI, *args], cwd=cwd, env=environment, capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL,
    )


def one_sentence(result: subprocess.CompletedProcess[str], command: str) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines and lines[0].startswith(f"policytui {command}: "), result.stderr
    return lines[0]


def test_tools_json_lists_a_real_npm_server(tmp_path: Path, everything: Path) -> None:
    result = run("tools", "--json", "--", str(everything), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    names = {tool["name"] for tool in document["tools"]}
    assert {"echo", "get-sum"} <= names
    assert document["server"]["transport"] == "stdio" and document["offline"] is False
    # Exactly as sent: every tool carries its schema and a risk category.
    assert all(tool["inputSchema"] and tool["category"] for tool in document["tools"])


def test_listing_declares_what_the_gateway_declares_and_answers_a_roots_request(tmp_path: Path) -> None:
    """A server that offers tools only to a client declaring sampling or roots (and asks for the
    roots while listing) has them listed by `tools` and recorded by `snapshot`: the gateway
    declares both to a server it starts, so an agent behind it is offered them."""
    wanted = {"plain", "ask_the_model", "roots_answered"}
    listed = run("tools", "--json", "--", *script("capability_gated.py"), cwd=tmp_path, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert {tool["name"] for tool in json.loads(listed.stdout)["tools"]} == wanted
    recorded = run("snapshot", "-o", "gated.json", "--", *script("capability_gated.py"), cwd=tmp_path, timeout=60)
    assert recorded.returncode == 0, recorded.stderr
    snapshot = json.loads((tmp_path / "gated.json").read_text(encoding="utf-8"))
    assert {tool["name"] for tool in snapshot["tools"]} == wanted


def test_tools_lists_the_real_kestra_server(tmp_path: Path, test_servers: Path) -> None:
    python = test_servers / "kestra" / "bin" / "python"
    if not python.exists():
        pytest.skip("the Kestra server is not installed (run tests/servers/install.sh)")
    result = run(
        "tools", "--",
        "env", "KESTRA_BASE_URL=http://127.0.0.1:9/api/v1", str(python), "-c", KESTRA_CODE,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "29 tools via stdio" in result.stdout
    assert any(line.startswith("execute_flow") for line in result.stdout.splitlines())


def test_a_server_dying_on_the_second_page_is_reported_as_dying_while_paging(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    result = run(
        "tools", "--",
        "env", f"MISBEHAVING_PIDFILE={pidfile}", "EXIT_AT_PAGE=2", *script("paginating.py"),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert one_sentence(result, "tools").endswith(
        "exited with code 4 while paging through tools/list (after 1 page, 7 tools)."
    )
    assert "before answering" not in result.stderr
    assert_all_gone(pids_in(pidfile))


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("tools", []),
        ("snapshot", ["-o", "out.json"]),
        ("init", ["-o", "policy.json"]),
        ("connect", []),
        ("gateway", ["--policy", "policy.json"]),
    ],
)
def test_an_unknown_server_name_exits_2_in_every_command(
    tmp_path: Path, command: str, extra: list[str]
) -> None:
    if command == "gateway":
        (tmp_path / "policy.json").write_text('{"version": "1", "default": "deny"}')
    result = run(command, "kestar", *extra, cwd=tmp_path)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert one_sentence(result, command) == (
        f"policytui {command}: no server named 'kestar' is configured; did you mean 'kestra'?"
    )
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("tools", []),
        ("snapshot", ["-o", "out.json"]),
        ("init", ["-o", "out.json"]),
        ("gateway", ["--policy", "policy.json", "--log", os.devnull]),
    ],
)
def test_a_server_that_dies_at_start_is_quoted_by_every_command(
    tmp_path: Path, command: str, extra: list[str]
) -> None:
    """The server's own last words are usually the real reason (a setting it lacks): each
    command that starts a server ends its one sentence with them, in the same form."""
    (tmp_path / "policy.json").write_text('{"version": "1", "default": "deny"}')
    pidfile = tmp_path / "pids"
    result = run(command, *extra, "--", "env", f"MISBEHAVING_PIDFILE={pidfile}", *script("exits_at_start.py"),
                 cwd=tmp_path, env={"POLICYTUI_STATE_DIR": str(tmp_path / "state")})
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = one_sentence(result, command), *result.stderr.strip().splitlines()[1:]
    assert lines[0].endswith("exited with code 3 before answering initialize."), lines
    assert lines[-3:] == (
        "Last lines the server wrote to stderr:",
        "  | Loading configuration...",
        "  | fatal: KESTRA_BASE_URL is not set; cannot start",
    ), result.stderr
    assert not (tmp_path / "out.json").exists()
    assert_all_gone(pids_in(pidfile))


def test_a_policy_file_given_as_the_server_says_to_use_policy(tmp_path: Path) -> None:
    """`policytui connect policy.json`: the file is a policy, not a server's tools, so the hint
    is --policy with a server name (--from would only fail on it); a snapshot still gets --from."""
    (tmp_path / "policy.json").write_text('{"version": "1", "default": "deny", "tools": {}}')
    result = run("tools", "policy.json", cwd=tmp_path)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert one_sentence(result, "tools") == (
        "policytui tools: no server named 'policy.json' is configured; policy.json is a policy "
        "file: name a server (run `policytui servers`) and give the policy with --policy policy.json."
    )
    (tmp_path / "tools.json").write_text('{"tools": [{"name": "a", "inputSchema": {"type": "object"}}]}')
    result = run("tools", "tools.json", cwd=tmp_path)
    assert "to read the file, use --from tools.json" in result.stderr, result.stderr
    # The gateway takes no --from: it is not offered.
    result = run("gateway", "--policy", "policy.json", cwd=tmp_path)
    assert result.returncode == 2 and "--from" not in result.stderr, result.stderr


def test_snapshot_of_kestra_without_docker_falls_back_and_mentions_offline(tmp_path: Path) -> None:
    path = f"{fake_docker(tmp_path / 'bin', DOCKER_STOPPED)}:/usr/bin:/bin"
    result = run("snapshot", "kestra", "-o", "k.json", cwd=tmp_path, env={"PATH": path})
    assert result.returncode == 0, result.stderr
    assert "Docker is not running here" in result.stderr
    assert "--offline" in result.stderr
    assert "wrote k.json (39 tools of kestra)" in result.stderr
    document = json.loads((tmp_path / "k.json").read_text(encoding="utf-8"))
    assert len(document["tools"]) == 39
    # The file says it is the built-in snapshot standing in, and why.
    assert document["source"]["offline"].startswith("Docker is not running here")
    assert document["source"]["file"].endswith("kestra.json")


DENIED_REASON = ("Docker is installed, but this user may not use its daemon (permission denied on its socket): "
                 "add the user to the docker group, or run with access to the socket.")


def test_tools_of_kestra_where_the_docker_daemon_refuses_the_user_says_so(tmp_path: Path) -> None:
    # The daemon runs; its socket refuses a user outside the docker group (before, this was
    # "Docker is not running here", which sent the user to start what already ran).
    path = f"{fake_docker(tmp_path / 'bin', DOCKER_DENIED)}:/usr/bin:/bin"
    result = run("tools", "kestra", cwd=tmp_path, env={"PATH": path})
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"Offline snapshot, not the live server: {DENIED_REASON}"
    assert result.stdout.startswith("kestra - 39 tools via snapshot")
    listed = json.loads(run("tools", "kestra", "--json", cwd=tmp_path, env={"PATH": path}).stdout)
    assert listed["offline"] is True and listed["offlineReason"] == DENIED_REASON


def test_a_snapshot_of_the_built_in_kestra_tools_keeps_the_server_name(tmp_path: Path) -> None:
    """The built-in snapshot records no `initialize` answer, so the file must say whose tools it
    holds: `--from` names the server the snapshot recorded, not the file."""
    assert run("snapshot", "kestra", "--offline", "-o", "k.json", cwd=tmp_path).returncode == 0
    listed = run("tools", "--from", "k.json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("kestra - 39 tools via snapshot: k.json"), listed.stdout[:200]
    # A snapshot of that file names the same server.
    assert run("snapshot", "--from", "k.json", "-o", "again.json", cwd=tmp_path).returncode == 0
    assert run("tools", "--from", "again.json", cwd=tmp_path).stdout.startswith("kestra - 39 tools")


def test_check_says_when_a_tool_is_not_on_the_server(tmp_path: Path) -> None:
    assert run("snapshot", "kestra", "--offline", "-o", "tools.json", cwd=tmp_path).returncode == 0
    assert run("init", "kestra", "--offline", "-o", "policy.json", cwd=tmp_path).returncode == 0
    typo = run("check", "policy.json", "list_flow", "--tools", "tools.json", cwd=tmp_path)
    assert typo.returncode == 1
    assert typo.stdout.splitlines()[-1] == (
        "hint: 'list_flow' is not on this server (the tools in tools.json); did you mean 'find_flow'?"
    )
    known = run("check", "policy.json", "search_flows", "--tools", "tools.json", cwd=tmp_path)
    assert known.returncode == 0 and "hint:" not in known.stdout
    as_json = run("check", "policy.json", "list_flow", "--tools", "tools.json", "--json", cwd=tmp_path)
    assert "did you mean 'find_flow'" in json.loads(as_json.stdout)["hint"]
    # Without a tool list, the names in the policy's rules: a name close to one of them is
    # most likely mistyped; one close to none is a tool the default decides, and no hint is
    # made up for it.
    rules = json.loads((tmp_path / "policy.json").read_text(encoding="utf-8"))["tools"]
    assert "manage_flow" in rules
    mistyped = run("check", "policy.json", "manage_flw", cwd=tmp_path)
    assert mistyped.returncode == 1 and mistyped.stdout.splitlines()[-1] == (
        "hint: 'manage_flw' is not a tool this policy names; did you mean 'manage_flow'?")
    (tmp_path / "few.json").write_text(json.dumps({"version": "1", "default": "allow",
                                                   "tools": {"manage_flow": {"action": "deny"}}}))
    unknown = run("check", "few.json", "list_executions", cwd=tmp_path)
    assert unknown.returncode == 0 and "hint:" not in unknown.stdout
    # A policy the editor saved approves the tools its author reviewed: a name it neither
    # approves nor names is said to be just that (a tool the server added since is on the
    # server, unapproved), never "not on this server".
    saved = json.loads((tmp_path / "policy.json").read_text(encoding="utf-8"))
    saved["x-policytui"] = {"fingerprints": {"find_flow": "sha256:" + "0" * 64}}
    (tmp_path / "policy.json").write_text(json.dumps(saved), encoding="utf-8")
    approved = run("check", "policy.json", "list_flow", cwd=tmp_path)
    assert approved.stdout.splitlines()[-1] == (
        "hint: 'list_flow' is not a tool this policy approves or names; did you mean 'find_flow'?"
    )


def test_exit_codes_of_check_follow_the_table(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"version": "1", "default": "maybe"}')
    assert run("check", "bad.json", "x", cwd=tmp_path).returncode == 3
    assert run("check", "missing.json", "x", cwd=tmp_path).returncode == 3
    (tmp_path / "p.json").write_text('{"version": "1", "default": "deny", "tools": {"a": {}}}')
    assert run("check", "p.json", "a", cwd=tmp_path).returncode == 0
    assert run("check", "p.json", "b", cwd=tmp_path).returncode == 1
    assert run("check", "p.json", "a", "--args", "[1]", cwd=tmp_path).returncode == 2
    assert run("check", "p.json", "a", "--no-such-option", cwd=tmp_path).returncode == 2


def test_tools_from_a_file_of_10000_tools_prints_every_name_uncut(tmp_path: Path) -> None:
    long_name = "a_tool_with_a_rather_long_name_that_does_not_fit_in_the_column_" * 2
    tools = [
        {"name": f"tool_{i:05d}", "description": f"Reads item {i}.\nSecond line.", "inputSchema": {}}
        for i in range(10_000)
    ] + [{"name": long_name, "description": "x" * 500, "inputSchema": {}}]
    (tmp_path / "many.json").write_text(json.dumps({"tools": tools}), encoding="utf-8")
    result = run("tools", "--from", "many.json", cwd=tmp_path, env={"COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("10001 tools via snapshot: many.json")
    assert all(len(line) <= 100 for line in lines[3:])
    names = {line.split()[0] for line in lines[3:] if line.startswith("tool_")}
    assert len(names) == 10_000
    # The long name wraps inside its column instead of being cut.
    assert long_name.replace("\n", "") in "".join(
        line.split()[0] for line in lines if line.split() and line.split()[0] in long_name
    )
    assert "Second line" not in result.stdout
    assert "…" in result.stdout  # the long description is cut where the width runs out


def test_a_command_after_dashes_takes_its_own_options(tmp_path: Path) -> None:
    # --json after -- belongs to the server command, not to `policytui tools`.
    result = run(
        "tools", "--",
        "env", "TOOL_COUNT=3", "PAGE_SIZE=2", "CLEAN=1", *script("paginating.py"), "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("paginating 0.0.1 - 3 tools via stdio")
    usage = run("tools", "--help", cwd=tmp_path).stdout
    assert "[-- COMMAND ARGS...]" in usage


def test_listing_a_stdio_server_never_imports_the_sdk(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from policytui.cli import main\n"
        f"code = main(['tools', '--json', '--', {PYTHON!r}, {str(MISBEHAVING / 'paginating.py')!r}])\n"
        "print('SDK', any(m == 'mcp' or m.startswith(('mcp.', 'mcp_types')) for m in sys.modules),"
        " 'pydantic', 'pydantic' in sys.modules, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [PYTHON, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "SDK False pydantic False" in result.stderr


def test_cancel_kills_a_starting_server_at_once(tmp_path: Path) -> None:
    from policytui.discovery import ListingCancelled, resolve_target, start_listing

    spec = resolve_target(command=script("never_answers.py"))
    spec.env = {"MISBEHAVING_PIDFILE": str(tmp_path / "pids")}
    lister = start_listing(spec, timeout=30)
    outcome: list[BaseException | object] = []

    def wait() -> None:
        try:
            outcome.append(lister())
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcome.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    deadline = time.monotonic() + 10
    while len(pids_in(tmp_path / "pids")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the server and its helper are up, ignoring SIGTERM and EOF
    cancelled_at = time.monotonic()
    lister.cancel()
    waiter.join(5)
    assert not waiter.is_alive()
    assert time.monotonic() - cancelled_at < 1.5
    assert isinstance(outcome[0], ListingCancelled)
    assert_all_gone(pids_in(tmp_path / "pids"))
    with pytest.raises(ListingCancelled):
        lister()  # a cancelled lister stays cancelled


def test_cancel_before_the_wait_leaves_nothing_running(tmp_path: Path) -> None:
    from policytui.discovery import ListingCancelled, resolve_target, start_listing

    spec = resolve_target(command=script("never_answers.py"))
    spec.env = {"MISBEHAVING_PIDFILE": str(tmp_path / "pids")}
    lister = start_listing(spec, timeout=30)
    assert lister.pid is not None
    time.sleep(0.5)
    lister.cancel()
    with pytest.raises(ListingCancelled):
        lister()
    assert_all_gone(pids_in(tmp_path / "pids"))


def test_the_raw_listing_speaks_the_sdks_protocol_versions_and_environment() -> None:
    from mcp.client.stdio import DEFAULT_INHERITED_ENV_VARS
    from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

    from policytui.discovery.spawn import INHERITED_ENV_VARS
    from policytui.discovery.stdio_listing import KNOWN_PROTOCOL_VERSIONS, LATEST_PROTOCOL_VERSION

    assert LATEST_PROTOCOL_VERSION == LATEST_HANDSHAKE_VERSION
    assert set(KNOWN_PROTOCOL_VERSIONS) == set(HANDSHAKE_PROTOCOL_VERSIONS)
    assert set(INHERITED_ENV_VARS) == set(DEFAULT_INHERITED_ENV_VARS)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_quitting_the_editor_while_the_server_starts_ends_both_at_once(tmp_path: Path) -> None:
    """`connect -- COMMAND` in a real terminal; ctrl+q while the server has not answered."""
    socket = f"cli-test-{os.getpid()}"
    # A `sleep` that only this test starts: no other test, nor the same test of another run
    # going at once on this machine (whose process number can end in the same three digits).
    marker = f"{4000 + os.getpid() % 1000}.{uuid.uuid4().int % 10**9:09d}"
    done = tmp_path / "exit-code"
    command = (
        f"env HOME={tmp_path} POLICYTUI_CONFIG_DIR={tmp_path / 'config'} TERM=xterm-256color "
        f"{POLICYTUI} connect --policy {tmp_path / 'p.json'} -- sleep {marker}; "
        f"echo $? > {done}"
    )

    def tmux(*args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", socket, "-f", "/dev/null", *args],
            capture_output=True, text=True, timeout=10,
        ).stdout

    tmux("new-session", "-d", "-x", "100", "-y", "30", "sh", "-c", command)
    socket_path = tmux("display-message", "-p", "#{socket_path}").strip()
    try:
        deadline = time.monotonic() + 30
        while "listing its tools" not in tmux("capture-pane", "-p"):
            assert time.monotonic() < deadline, tmux("capture-pane", "-p")
            time.sleep(0.1)
        sleeper = subprocess.run(["pgrep", "-f", f"^sleep {re.escape(marker)}$"], capture_output=True, text=True)
        assert sleeper.stdout.strip(), "the server process should be running while it starts"
        tmux("send-keys", "C-q")
        pressed = time.monotonic()
        # The shell makes the file first and writes the code into it after: wait for both.
        while not (done.exists() and done.read_text().strip()):
            assert time.monotonic() - pressed < 5, "the app did not exit after ctrl+q"
            time.sleep(0.05)
        assert done.read_text().strip() == "0"
        assert_all_gone([int(pid) for pid in sleeper.stdout.split()])
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=10)
        if socket_path:
            Path(socket_path).unlink(missing_ok=True)


def test_a_configured_server_shadowing_the_catalogue_fails_loudly_unless_offline_is_asked(
    tmp_path: Path,
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "servers.json").write_text(
        json.dumps({"mcpServers": {"kestra": {"command": "sh", "args": ["-c", "exit 7"]}}})
    )
    live = run("tools", "kestra", cwd=tmp_path)
    assert live.returncode == 1
    assert one_sentence(live, "tools") == (
        "policytui tools: server 'kestra' exited with code 7 before answering initialize."
    )
    offline = run("tools", "kestra", "--offline", "--json", cwd=tmp_path)
    assert offline.returncode == 0, offline.stderr
    assert len(json.loads(offline.stdout)["tools"]) == 39


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP"])
def test_a_terminated_listing_leaves_no_server_behind(tmp_path: Path, signal_name: str) -> None:
    import signal

    pidfile = tmp_path / "pids"
    process = subprocess.Popen(
        [POLICYTUI, "tools", "--", "env", f"MISBEHAVING_PIDFILE={pidfile}", *script("never_answers.py")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 20
    while len(pids_in(pidfile)) < 2:  # the server and its helper, both deaf to SIGTERM
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(getattr(signal, signal_name))
    _, err = process.communicate(timeout=10)
    # stderr in the message: once in many CI runs this ended with 1, and what it said is the
    # only clue to why.
    assert process.returncode == 128 + getattr(signal, signal_name), err
    assert "Traceback" not in err
    assert_all_gone(pids_in(pidfile))


def test_a_server_whose_last_stderr_line_is_huge_still_shows_its_end(tmp_path: Path) -> None:
    """One huge line last on stderr (longer than the tail kept) is shown cut, not dropped."""
    crash = tmp_path / "crash.py"
    crash.write_text(
        "import sys\nsys.stderr.write('fatal: bad config\\n' + 'A' * 100000 + ' the end\\n')\nsys.exit(4)\n",
        encoding="utf-8",
    )
    result = run("tools", "--", PYTHON, str(crash), cwd=tmp_path)
    assert result.returncode == 1
    assert one_sentence(result, "tools").endswith("exited with code 4 before answering initialize.")
    assert "Last lines the server wrote to stderr:" in result.stderr
    (shown,) = result.stderr.strip().splitlines()[2:]
    assert shown.startswith("  | …A") and shown.endswith("AAA the end") and len(shown) < 320


def test_broken_tools_are_numbered_by_their_place_in_the_servers_list(tmp_path: Path) -> None:
    """A tool without a schema is the 2nd entry and a second `a_tool` the 3rd: each is named by
    the place it has in what the server sent, whatever was broken before it."""
    listed = tmp_path / "bare.json"
    listed.write_text(json.dumps([
        {"name": "a_tool", "inputSchema": {"type": "object"}},
        {"name": "broken"},
        {"name": "a_tool", "inputSchema": {"type": "object"}},
        {"name": "b_tool", "inputSchema": {"type": "object"}},
        {"name": "b_tool", "inputSchema": {"type": "object"}},
    ]), encoding="utf-8")
    result = run("tools", "--from", str(listed), cwd=tmp_path)
    said = [line for line in result.stderr.splitlines() + result.stdout.splitlines() if line.startswith("Broken tool #")]
    assert said == [
        "Broken tool #2 'broken': tool 'broken' has no inputSchema object",
        "Broken tool #3 'a_tool': tool 'a_tool' is listed more than once",
        "Broken tool #5 'b_tool': tool 'b_tool' is listed more than once",
    ], result.stdout + result.stderr


def test_check_with_the_servers_tools_denies_a_tool_it_does_not_list_as_the_gateway_does(tmp_path: Path) -> None:
    """The gateway answers a call for a tool the server does not list itself (rule server.tools,
    never forwarded, whatever the policy): check, given that list, decides the same, even
    under a policy that allows every tool."""
    assert run("snapshot", "kestra", "--offline", "-o", "tools.json", cwd=tmp_path).returncode == 0
    (tmp_path / "allow.json").write_text('{"version": "1", "default": "allow"}', encoding="utf-8")
    typo = run("check", "allow.json", "list_flow", "--tools", "tools.json", cwd=tmp_path)
    assert typo.returncode == 1, typo.stdout
    assert typo.stdout.splitlines()[:3] == [
        "denied: the server does not list this tool",
        "rule: server.tools",
        "agent sees: the server's own answer to a tool it does not have, as for a hidden tool",
    ]
    assert "did you mean 'find_flow'" in typo.stdout
    as_json = json.loads(run("check", "allow.json", "list_flow", "--tools", "tools.json", "--json",
                             cwd=tmp_path).stdout)
    assert (as_json["outcome"], as_json["rule"]) == ("denied", "server.tools")
    # A tool the server lists is decided by the policy, as before.
    assert run("check", "allow.json", "find_flow", "--tools", "tools.json", cwd=tmp_path).returncode == 0


def test_a_server_started_through_env_is_named_after_the_command_env_runs(tmp_path: Path) -> None:
    """`-- env NAME=VALUE COMMAND` (how a variable reaches a server `connect` starts) names the
    server after COMMAND, in what the commands print and in the gateway's audit log; it was
    "env" everywhere ("wrote ... (2 tools of env)", "Server 'env' exited ...", "server": "env")."""
    env_program = shutil.which("env")
    assert env_program is not None
    through_env = [env_program, "-u", "UNSET_BY_THE_TEST", "TOOL_COUNT=2", "CLEAN=1"]

    listed = run("snapshot", "-o", "-", "--", *through_env, *script("paginating.py"), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "wrote standard output (2 tools of paginating.py)" in listed.stderr
    assert [tool["name"] for tool in json.loads(listed.stdout)["tools"]] == ["tool_000", "tool_001"]

    failed = run("tools", "--", env_program, "X=1", *script("exits_at_start.py"), cwd=tmp_path)
    assert failed.returncode == 1
    assert "server 'exits_at_start.py' exited with code 3" in one_sentence(failed, "tools")

    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow",
                                  "tools": {"delete_x": {"action": "deny"}}}), encoding="utf-8")
    calls = tmp_path / "calls.jsonl"
    calls.write_text("".join(json.dumps(message) + "\n" for message in (
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "delete_x", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "echo", "arguments": {}}},
    )), encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    with calls.open("rb") as requests:
        served = subprocess.run(
            [POLICYTUI, "gateway", "--policy", str(policy), "--audit", str(audit),
             "--state", "memory://", "--", env_program, "HOSTILE_RECORD=" + str(tmp_path / "received"),
             *script("hostile_tools.py")],
            cwd=tmp_path, env={**os.environ, "HOME": str(tmp_path / "home")}, stdin=requests,
            capture_output=True, text=True, timeout=90,
        )
    assert served.returncode == 0, served.stderr
    answers = {answer["id"]: answer for answer in map(json.loads, served.stdout.splitlines())}
    assert "[POLICY DENIED]" in answers[2]["result"]["content"][0]["text"]
    assert answers[3]["result"]["content"][0]["text"] == "ran echo"
    decided = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    calls_decided = [line for line in decided if line["tool"] in ("delete_x", "echo")]
    assert calls_decided and {line["server"] for line in calls_decided} == {"hostile_tools.py"}


def test_check_names_a_long_tool_name_not_on_the_server_by_its_start(tmp_path: Path) -> None:
    """A tool name of thousands of characters (arguments pasted where the name goes) gets a hint
    of one short line; it quoted the whole name."""
    assert run("snapshot", "kestra", "--offline", "-o", "tools.json", cwd=tmp_path).returncode == 0
    (tmp_path / "policy.json").write_text('{"version": "1", "default": "deny"}', encoding="utf-8")
    pasted = '{"namespace": "' + "n" * 5_000 + '"}'
    result = run("check", "policy.json", pasted, "--tools", "tools.json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    hint = result.stdout.splitlines()[-1]
    assert hint.startswith("hint: '{\"namespace\": \"nnn"), hint[:300]
    assert hint.endswith("more characters not shown) is not on this server (the tools in tools.json); "
                         "check the name."), hint[:300]
    assert len(hint) < 200, hint[:300]
