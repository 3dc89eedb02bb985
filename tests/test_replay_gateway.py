"""Replay on recordings made by the real gateway in front of real servers.

`policytui gateway --record` runs in front of the real filesystem and everything servers; an
agent (the mcp SDK's client) makes calls; then `policytui replay` (the installed command)
decides the recording under drafts, and must report exactly the calls a draft changes, with
the exit code gating as documented.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

POLICYTUI = Path(sys.executable).parent / "policytui"
SECRET = "s3cr3t-value-for-the-server-0042"


def _server(test_servers: Path, name: str) -> Path:
    path = test_servers / name / "node_modules" / ".bin" / f"mcp-server-{name}"
    if not path.exists():
        pytest.skip(f"{name} server is not installed at {path} (run tests/servers/install.sh)")
    return path


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@asynccontextmanager
async def recording_gateway(
    tmp: Path, policy: Path, upstream: list[str], env: dict[str, str] | None = None
) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp / "state"),
            "--audit", str(tmp / "audit.jsonl"), "--record", str(tmp / "recording.jsonl"),
            "--log", str(tmp / "gateway.log"), "--", *upstream,
        ],
        cwd=str(tmp),
        env={**os.environ, **(env or {})},
    )
    with open(tmp / "stderr.txt", "w", encoding="utf-8") as errlog:  # noqa: ASYNC230 - opened once
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60) as client:
            yield client


def replay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(POLICYTUI), "replay", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture()
def filesystem_recording(tmp_path: Path, test_servers: Path) -> Path:
    """A recording of real traffic through the gateway to the filesystem server."""
    import anyio

    server = _server(test_servers, "filesystem")
    root = tmp_path / "files"
    root.mkdir()
    (root / "a.txt").write_text("alpha", encoding="utf-8")
    (root / "b.txt").write_text("beta", encoding="utf-8")
    policy = _write(tmp_path / "live.json", {"version": "1", "default": "allow", "hide": ["move_file"]})

    async def traffic() -> None:
        # Started from the folder it serves, as a shell does it: PWD and OLDPWD hold that folder
        # ("PWD" reads like a password's name; the paths under it must still be recorded).
        shell = {"PWD": str(tmp_path), "OLDPWD": str(root)}
        async with recording_gateway(tmp_path, policy, [str(server), str(root)], env=shell) as client:
            for _ in range(2):
                await client.call_tool("list_directory", {"path": str(root)})
            for name in ("a.txt", "b.txt", "a.txt"):
                await client.call_tool("read_text_file", {"path": str(root / name)})
            await client.call_tool("write_file", {"path": str(root / "c.txt"), "content": "gamma"})
            await client.call_tool("write_file", {"path": str(root / "d.txt"), "content": "delta"})
            await client.call_tool("move_file", {"source": str(root / "c.txt"), "destination": str(root / "e.txt")})

    anyio.run(traffic)
    return tmp_path / "recording.jsonl"


def test_recording_has_arguments_and_the_audit_log_does_not(filesystem_recording: Path) -> None:
    lines = [json.loads(line) for line in filesystem_recording.read_text(encoding="utf-8").splitlines()]
    assert [line["tool"] for line in lines] == [
        "list_directory", "list_directory", "read_text_file", "read_text_file", "read_text_file",
        "write_file", "write_file", "move_file",
    ]
    assert lines[5]["arguments"]["content"] == "gamma"
    # A path under the folder the gateway was started from is recorded as sent.
    assert lines[2]["arguments"] == {"path": str(filesystem_recording.parent / "files" / "a.txt")}
    assert [line["decision"] for line in lines][-1] == "hidden"
    audit = (filesystem_recording.parent / "audit.jsonl").read_text(encoding="utf-8")
    assert "gamma" not in audit and "arguments" not in audit
    assert oct(filesystem_recording.stat().st_mode & 0o777) == oct(0o600)


def test_a_draft_denying_one_more_tool_reports_exactly_those_calls(filesystem_recording: Path, tmp_path: Path) -> None:
    draft = _write(
        tmp_path / "draft.json",
        {"version": "1", "default": "allow", "hide": ["move_file"], "tools": {"write_file": {"action": "deny"}}},
    )
    done = replay(str(filesystem_recording), "--policy", str(draft), "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["calls"] == 8
    assert [(c["tool"], c["change"], c["calls"]) for c in report["changes"]] == [("write_file", "newly_denied", 2)]
    first = report["changes"][0]["first"]
    assert first["line"] == 6 and first["arguments"]["content"] == "gamma"
    assert first["reason"] == 'Tool "write_file" is denied by policy'
    assert report["allowed_now_denied"] == 2 and report["passed"] is False

    text = replay(str(filesystem_recording), "--policy", str(draft))
    assert text.returncode == 1
    assert "write_file" in text.stdout and "newly denied" in text.stdout
    assert "Failed: 2 calls that were allowed would be denied." in text.stdout


def test_the_live_policy_replays_without_change_and_passes(filesystem_recording: Path, tmp_path: Path) -> None:
    live = filesystem_recording.parent / "live.json"
    done = replay(str(filesystem_recording), "--policy", str(live), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["changes"] == [] and report["outcomes"] == {"allowed": 7, "denied": 1}


def test_newly_allowed_and_held_calls_pass_the_gate(filesystem_recording: Path, tmp_path: Path) -> None:
    draft = _write(
        tmp_path / "draft.json",
        {"version": "1", "default": "allow", "tools": {"read_text_file": {"action": "require_approval"}}},
    )
    done = replay(str(filesystem_recording), "--policy", str(draft), "--json")
    assert done.returncode == 0, done.stdout
    changes = {(c["tool"], c["change"]): c["calls"] for c in json.loads(done.stdout)["changes"]}
    assert changes == {("read_text_file", "newly_held"): 3, ("move_file", "newly_allowed"): 1}


def test_counters_are_simulated_from_the_recorded_times(filesystem_recording: Path, tmp_path: Path) -> None:
    draft = _write(
        tmp_path / "draft.json",
        {
            "version": "1",
            "default": "allow",
            "hide": ["move_file"],
            "tools": {"read_text_file": {"limits": [{"counter": "reads", "window": "day", "max": 2}]}},
        },
    )
    done = replay(str(filesystem_recording), "--policy", str(draft), "--json")
    report = json.loads(done.stdout)
    assert done.returncode == 1
    # The day was under way when the recording began: the two reads the draft lets through may
    # not fit a limit of two had the day's earlier calls been counted, so they are unknown.
    assert [(c["tool"], c["change"], c["calls"]) for c in report["changes"]] == [
        ("read_text_file", "rate_limited", 1), ("read_text_file", "limit_unknown", 2)]
    assert report["changes"][0]["first"]["line"] == 5
    assert report["allowed_now_limit_unknown"] == 2


def test_against_an_old_policy(filesystem_recording: Path, tmp_path: Path) -> None:
    old = _write(tmp_path / "old.json", {"version": "1", "default": "deny", "tools": {"list_directory": {}}})
    new = _write(tmp_path / "new.json", {"version": "1", "default": "deny", "tools": {"list_directory": {}, "read_text_file": {}}})
    done = replay(str(filesystem_recording), "--policy", str(new), "--against", str(old), "--json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["against"] == str(old)
    assert [(c["tool"], c["change"], c["calls"]) for c in report["changes"]] == [("read_text_file", "newly_allowed", 3)]
    back = replay(str(filesystem_recording), "--policy", str(old), "--against", str(new), "--json")
    assert back.returncode == 1
    # The text names what it compared with: the decisions under the old file, not "the old.json".
    text = replay(str(filesystem_recording), "--policy", str(new), "--against", str(old)).stdout
    assert f"under {new}, compared with the decisions under {old}." in text, text
    text = replay(str(filesystem_recording), "--policy", str(new)).stdout
    assert f"under {new}, compared with the recorded decisions." in text, text


def test_an_audit_log_replays_with_unknowns_where_values_matter(filesystem_recording: Path, tmp_path: Path) -> None:
    audit = filesystem_recording.parent / "audit.jsonl"
    draft = _write(
        tmp_path / "draft.json",
        {
            "version": "1",
            "default": "allow",
            "hide": ["move_file"],
            "tools": {
                "write_file": {"deny_if": [{"path": "args.content", "op": "eq", "value": "gamma"}]},
                "list_directory": {"action": "deny"},
            },
        },
    )
    done = replay(str(audit), "--policy", str(draft), "--json")
    report = json.loads(done.stdout)
    changes = {(c["tool"], c["change"]): c["calls"] for c in report["changes"]}
    # Denying a tool outright needs no argument; a condition on `content` does.
    assert changes == {("list_directory", "newly_denied"): 2, ("write_file", "unknown"): 2}
    assert report["arguments_recorded"] is False
    assert "arguments" not in report["changes"][1]["first"]
    assert done.returncode == 1  # allowed calls that cannot be decided fail closed
    text = replay(str(audit), "--policy", str(draft)).stdout
    assert "unknown: arguments not recorded or redacted" in text
    # The recording has the values: exactly one write is denied.
    full = json.loads(replay(str(filesystem_recording), "--policy", str(draft), "--json").stdout)
    assert {(c["tool"], c["change"]): c["calls"] for c in full["changes"]} == {
        ("list_directory", "newly_denied"): 2,
        ("write_file", "newly_denied"): 1,
    }


def test_paths_under_a_folder_a_setting_names_are_recorded_and_replayed(tmp_path: Path, test_servers: Path) -> None:
    """A shell's settings name folders (WORKSPACE=~/work, GOPATH, PYTHONPATH, a list of them):
    they are long, so they were counted as possible credentials, and every path the agent sent
    under such a folder was recorded as "[redacted]"; a draft that keeps writes in one folder
    could then decide none of the recorded writes. A setting that names folders on this machine
    is no credential; a long value that names none, and a folder under a name that says secret,
    still are."""
    import anyio

    server = _server(test_servers, "filesystem")
    root = tmp_path / "work"
    (root / "project").mkdir(parents=True)
    policy = _write(tmp_path / "live.json", {"version": "1", "default": "allow"})
    settings = {
        "WORKSPACE": str(root),
        "TOOLS_PATH": os.pathsep.join((str(tmp_path), str(root / "project"))),
        "RELEASE_NAME": "blue-heron-7731",  # long and no folder: a possible credential still
        "DEPLOY_KEY": str(root / "project"),  # a folder, but given as a credential
    }

    async def traffic() -> None:
        async with recording_gateway(tmp_path, policy, [str(server), str(root)], env=settings) as client:
            await client.call_tool("write_file", {"path": str(root / "project" / "a.txt"), "content": "a"})
            await client.call_tool("write_file", {"path": str(root / "b.txt"), "content": "blue-heron-7731"})

    anyio.run(traffic)
    recording = tmp_path / "recording.jsonl"
    recorded = [json.loads(line)["arguments"] for line in recording.read_text(encoding="utf-8").splitlines()]
    assert recorded == [
        {"path": "[redacted]", "content": "a"},  # under DEPLOY_KEY's folder
        {"path": str(root / "b.txt"), "content": "[redacted]"},
    ]

    # The path recorded whole is decided by a draft that keeps writes in the project folder.
    draft = _write(tmp_path / "draft.json", {"version": "1", "default": "allow", "tools": {"write_file": {
        "require": [{"path": "args.path", "op": "regex", "value": f"^{root / 'project'}/"}]}}})
    report = json.loads(replay(str(recording), "--policy", str(draft), "--json").stdout)
    assert {(c["tool"], c["change"]): c["calls"] for c in report["changes"]} == {
        ("write_file", "unknown"): 1,
        ("write_file", "newly_denied"): 1,
    }


def test_secrets_are_redacted_from_the_recording(tmp_path: Path, everything: Path) -> None:
    import anyio

    policy = _write(tmp_path / "live.json", {"version": "1", "default": "allow"})

    async def traffic() -> None:
        env = {"SERVICE_API_TOKEN": SECRET}
        async with recording_gateway(tmp_path, policy, [str(everything), "stdio"], env=env) as client:
            await client.call_tool("echo", {"message": f"the token is {SECRET}!"})
            await client.call_tool("echo", {"message": "plain words"})
            await client.call_tool("get-sum", {"a": 1, "b": 2})

    anyio.run(traffic)
    recording = tmp_path / "recording.jsonl"
    text = recording.read_text(encoding="utf-8")
    assert SECRET not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["arguments"] == {"message": "[redacted]"}
    assert lines[1]["arguments"] == {"message": "plain words"}
    # A draft that looks at the redacted value cannot decide that call, and says so.
    draft = _write(
        tmp_path / "draft.json",
        {"version": "1", "default": "allow", "tools": {"echo": {"deny_if": [{"path": "args.message", "op": "contains", "value": "token"}]}}},
    )
    report = json.loads(replay(str(recording), "--policy", str(draft), "--json").stdout)
    assert [(c["tool"], c["change"], c["calls"]) for c in report["changes"]] == [("echo", "unknown", 1)]


def test_bad_input_is_one_sentence(tmp_path: Path) -> None:
    policy = _write(tmp_path / "p.json", {"version": "1", "default": "allow"})
    missing = replay(str(tmp_path / "nope.jsonl"), "--policy", str(policy))
    assert missing.returncode == 2 and missing.stderr.strip().endswith("does not exist.")
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text('{"tool": "a", "decision": "allowed", "arguments": {}, "time": "2026-01-01T00:00:00Z"}\nnot json\n{}\n')
    bad = replay(str(garbage), "--policy", str(policy))
    assert bad.returncode == 2 and "line 2 is not JSON" in bad.stderr and len(bad.stderr.splitlines()) == 1
    cut = tmp_path / "cut.jsonl"
    cut.write_text('{"tool": "a", "decision": "allowed", "arguments": {}, "time": "2026-01-01T00:00:00Z"}\n{"tool": "a", "deci')
    ok = replay(str(cut), "--policy", str(policy), "--json")
    assert ok.returncode == 0 and "cut short" in ok.stderr and json.loads(ok.stdout)["calls"] == 1
    invalid = _write(tmp_path / "bad.json", {"version": "1", "default": "allow", "tools": {"a": {"limts": []}}})
    refused = replay(str(cut), "--policy", str(invalid))
    assert refused.returncode == 2 and "not a valid policy" in refused.stderr
    assert "Traceback" not in refused.stderr + bad.stderr + missing.stderr


def test_memory_server_recording_gates_a_write_ban(tmp_path: Path, test_servers: Path) -> None:
    """The real memory server: a draft that denies writing the graph reports exactly the writes."""
    import anyio

    server = _server(test_servers, "memory")
    policy = _write(tmp_path / "live.json", {"version": "1", "default": "allow"})
    env = {"MEMORY_FILE_PATH": str(tmp_path / "memory.jsonl")}

    async def traffic() -> None:
        async with recording_gateway(tmp_path, policy, [str(server)], env=env) as client:
            await client.call_tool(
                "create_entities",
                {"entities": [{"name": "alice", "entityType": "person", "observations": ["likes tea"]}]},
            )
            await client.call_tool("read_graph", {})
            await client.call_tool("search_nodes", {"query": "alice"})
            await client.call_tool(
                "add_observations", {"observations": [{"entityName": "alice", "contents": ["owns a cat"]}]}
            )
            await client.call_tool("search_nodes", {"query": "cat"})

    anyio.run(traffic)
    recording = tmp_path / "recording.jsonl"
    draft = _write(
        tmp_path / "draft.json",
        {"version": "1", "default": "deny", "tools": {"read_graph": {}, "search_nodes": {}, "open_nodes": {}}},
    )
    done = replay(str(recording), "--policy", str(draft), "--json")
    report = json.loads(done.stdout)
    assert done.returncode == 1
    assert [(c["tool"], c["change"], c["calls"]) for c in report["changes"]] == [
        ("add_observations", "newly_denied", 1),
        ("create_entities", "newly_denied", 1),
    ]
    assert report["changes"][1]["first"]["arguments"]["entities"][0]["name"] == "alice"
    looser = _write(tmp_path / "looser.json", {"version": "1", "default": "allow", "hide": ["delete_entities"]})
    assert replay(str(recording), "--policy", str(looser)).returncode == 0


def test_a_recording_of_another_servers_calls_fails_the_gate_it_cannot_test(
    filesystem_recording: Path, tmp_path: Path, test_servers: Path
) -> None:
    """A policy does not name its server, so the filesystem server's recording replayed under a
    draft for the memory server was decided by the draft's default and passed the gate. The
    draft approves the memory server's tools as the editor saves them (a fingerprint each): a
    recording calling none of them is another server's, said on standard error, and the gate
    fails; the memory server's own recording passes without a word."""
    import anyio

    from policytui.toolinfo import ToolInfo

    memory = _server(test_servers, "memory")
    memory_dir = tmp_path / "memory"
    memory_dir.mkdir()
    live = _write(memory_dir / "live.json", {"version": "1", "default": "allow"})
    listed: dict[str, Any] = {}

    async def traffic() -> None:
        env = {"MEMORY_FILE_PATH": str(memory_dir / "memory.jsonl")}
        async with recording_gateway(memory_dir, live, [str(memory)], env=env) as client:
            for tool in (await client.list_tools()).tools:
                listed[tool.name] = tool.model_dump(by_alias=True, mode="json", exclude_none=True)
            await client.call_tool("read_graph", {})
            await client.call_tool("search_nodes", {"query": "alice"})

    anyio.run(traffic)
    approved = {name: ToolInfo.from_wire(tool).fingerprint() for name, tool in listed.items()}
    draft = _write(tmp_path / "memory-draft.json", {
        "version": "1", "default": "allow", "tools": {"delete_entities": {"action": "deny"}},
        "x-policytui": {"fingerprints": approved}})

    wrong = replay(str(filesystem_recording), "--policy", str(draft), "--json")
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert wrong.stderr == (
        f"policytui replay: {draft} knows none of the 4 tools called in {filesystem_recording} (server "
        "mcp-server-filesystem: list_directory, read_text_file, write_file and 1 more), and approves the "
        f"definitions of {len(approved)} tools: the recording is of another server's calls, so it cannot "
        "test this draft and the gate fails.\n")
    report = json.loads(wrong.stdout)
    assert report["passed"] is False and report["allowed_now_denied"] == 0
    assert report["recording_server"] == {
        "servers": ["mcp-server-filesystem"], "tools_called": 4, "tools_known": 0,
        "policy_names_tools": len(approved), "policy_approves_tools": len(approved), "other_server": "likely"}
    text = replay(str(filesystem_recording), "--policy", str(draft))
    assert text.returncode == 1
    assert text.stdout.splitlines()[-1] == (
        "Failed: the recording is of another server's calls (the draft approves the definitions of none of "
        "the 4 tools it calls).")

    # Knowing one of the four (a rule for it) may be chance: said, and the gate decided as usual.
    one = _write(tmp_path / "one-known.json", {
        "version": "1", "default": "allow", "tools": {"list_directory": {}}, "x-policytui": {"fingerprints": approved}})
    warned = replay(str(filesystem_recording), "--policy", str(one), "--json")
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert warned.stderr == (
        f"policytui replay: {one} knows only 1 of the 4 tools called in {filesystem_recording} (server "
        "mcp-server-filesystem: list_directory, read_text_file, write_file and 1 more), and approves the "
        f"definitions of {len(approved)} tools: the recording may be of another server's calls.\n")
    assert json.loads(warned.stdout)["recording_server"]["other_server"] == "possible"

    right = replay(str(memory_dir / "recording.jsonl"), "--policy", str(draft), "--json")
    assert right.returncode == 0, right.stdout + right.stderr
    assert right.stderr == ""
    assert json.loads(right.stdout)["recording_server"] == {
        "servers": ["mcp-server-memory"], "tools_called": 2, "tools_known": 2,
        "policy_names_tools": len(approved), "policy_approves_tools": len(approved), "other_server": None}


def test_a_draft_with_rules_only_warns_of_another_servers_recording_and_a_default_says_nothing(
    filesystem_recording: Path, tmp_path: Path
) -> None:
    """Rules name only the tools someone wrote one for, often tools an agent never calls: a
    recording calling none of them may be another server's (a warning, the gate as it was). A
    draft naming no tool cannot tell, and says nothing."""
    rules = _write(tmp_path / "rules.json", {
        "version": "1", "default": "allow", "hide": ["delete_entities"], "tools": {"create_entities": {}}})
    warned = replay(str(filesystem_recording), "--policy", str(rules), "--json")
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert warned.stderr == (
        f"policytui replay: {rules} knows none of the 4 tools called in {filesystem_recording} (server "
        "mcp-server-filesystem: list_directory, read_text_file, write_file and 1 more); it has rules or hide "
        "for 2 tools and approves no definitions: if the recording is of another server's calls, its changes "
        "are the draft's default's.\n")
    assert json.loads(warned.stdout)["recording_server"]["other_server"] == "possible"

    bare = _write(tmp_path / "bare.json", {"version": "1", "default": "allow"})
    quiet = replay(str(filesystem_recording), "--policy", str(bare), "--json")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert json.loads(quiet.stdout)["recording_server"]["other_server"] is None


def test_kestra_recording_redacts_its_token_and_gates_a_condition(tmp_path: Path, test_servers: Path) -> None:
    """The real Kestra MCP server (its API unreachable: calls end as error results, still
    recorded): the server's API token never reaches the recording, and a draft denying
    `manage_flow` deletes reports exactly those calls."""
    import anyio

    python = test_servers / "kestra" / "bin" / "python"
    if not python.exists():
        pytest.skip(f"the Kestra server is not installed at {python} (run tests/servers/install.sh)")
    token = "kestra-token-do-not-print-7731"
    code = "import sys, src; sys.path.insert(0, list(src.__path__)[0]); import server; server.main()"
    policy = _write(tmp_path / "live.json", {"version": "1", "default": "allow"})
    env = {"KESTRA_BASE_URL": "http://127.0.0.1:9/api/v1", "KESTRA_API_TOKEN": token}

    async def traffic() -> None:
        async with recording_gateway(tmp_path, policy, [str(python), "-c", code], env=env) as client:
            await client.call_tool("list_namespaces", {"query": f"token={token}"})
            await client.call_tool("manage_flow", {"action": "delete", "namespace": "prod", "flow_id": "billing"})
            await client.call_tool("manage_flow", {"action": "get", "namespace": "prod", "flow_id": "billing"})
            await client.call_tool("manage_flow", {"action": "delete", "namespace": "dev", "flow_id": "etl"})

    anyio.run(traffic)
    recording = tmp_path / "recording.jsonl"
    text = recording.read_text(encoding="utf-8")
    assert token not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["tool"] for line in lines] == ["list_namespaces", "manage_flow", "manage_flow", "manage_flow"]
    assert lines[0]["arguments"] == {"query": "[redacted]"}
    draft = _write(
        tmp_path / "draft.json",
        {
            "version": "1",
            "default": "allow",
            "tools": {"manage_flow": {"deny_if": [{"path": "args.action", "op": "eq", "value": "delete"}]}},
        },
    )
    report = json.loads(replay(str(recording), "--policy", str(draft), "--json").stdout)
    assert [(c["tool"], c["change"], c["calls"]) for c in report["changes"]] == [("manage_flow", "newly_denied", 2)]
    assert report["changes"][0]["first"]["arguments"]["namespace"] == "prod"


def test_an_unwritable_recording_stops_the_gateway_in_one_sentence(tmp_path: Path, everything: Path) -> None:
    policy = _write(tmp_path / "p.json", {"version": "1", "default": "allow"})
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    done = subprocess.run(
        [
            str(POLICYTUI), "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
            "--record", str(blocker / "rec.jsonl"), "--", str(everything), "stdio",
        ],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]  # (diagnostic log lines may come before it)
    assert last.startswith("policytui gateway: cannot open the recording") and last.endswith(".")
    assert "Traceback" not in done.stderr


def test_a_call_for_a_tool_the_server_does_not_list_is_recorded_and_not_compared(
    tmp_path: Path, test_servers: Path
) -> None:
    """The gateway answers a call for a tool its server does not list itself, under any policy:
    the recording lists it as the audit log does, and a replay under the very policy that was
    live changes nothing, counting it as not compared."""
    import anyio
    from mcp.shared.exceptions import MCPError

    server = _server(test_servers, "filesystem")
    root = tmp_path / "files"
    root.mkdir()
    policy = _write(tmp_path / "live.json", {"version": "1", "default": "allow"})

    async def traffic() -> None:
        async with recording_gateway(tmp_path, policy, [str(server), str(root)]) as client:
            await client.call_tool("list_directory", {"path": str(root)})
            try:
                await client.call_tool("no_such_tool", {"path": str(root)})
            except MCPError:
                pass  # answered as the server answers a tool it does not have
            await client.call_tool("list_directory", {"path": str(root)})

    anyio.run(traffic)
    recording = tmp_path / "recording.jsonl"
    recorded = [json.loads(line) for line in recording.read_text(encoding="utf-8").splitlines()]
    audited = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    audited = [line for line in audited if line["decision"] != "probe" and line.get("upstream") != "sent"]
    assert [(line["tool"], line["decision"], line["rule"]) for line in recorded] == [
        (line["tool"], line["decision"], line["rule"]) for line in audited]
    assert [line["tool"] for line in recorded] == ["list_directory", "no_such_tool", "list_directory"]
    assert (recorded[1]["decision"], recorded[1]["rule"]) == ("denied", "server.tools")

    for source in (recording, tmp_path / "audit.jsonl"):
        done = replay(str(source), "--policy", str(policy), "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)
        assert report["changes"] == [] and report["unlisted_not_compared"] == 1
        assert report["outcomes"] == {"allowed": 2}
        text = replay(str(source), "--policy", str(policy))
        assert text.returncode == 0
        assert "Not compared: 1 denied because the server does not list their tool." in text.stdout


def test_an_audit_log_shared_by_two_gateways_is_replayed_one_server_at_a_time(
    tmp_path: Path, test_servers: Path
) -> None:
    """Gateways sharing a state folder share its audit log (the default, STATE_DIR/audit.jsonl):
    a draft for one server must not be judged on the other server's calls. Without --server the
    replay says the log holds two servers; with it, only that server's calls are decided."""
    import anyio

    files = _server(test_servers, "filesystem")
    memory = _server(test_servers, "memory")
    root = tmp_path / "files"
    root.mkdir()
    files_policy = _write(tmp_path / "files.json", {
        "version": "1", "default": "deny", "tools": {"list_directory": {}}})
    memory_policy = _write(tmp_path / "memory.json", {"version": "1", "default": "allow"})

    async def traffic() -> None:
        async with recording_gateway(tmp_path, files_policy, [str(files), str(root)]) as client:
            await client.call_tool("list_directory", {"path": str(root)})
        env = {"MEMORY_FILE_PATH": str(tmp_path / "memory.jsonl")}
        async with recording_gateway(tmp_path, memory_policy, [str(memory)], env=env) as client:
            await client.call_tool("read_graph", {})

    anyio.run(traffic)
    audit = tmp_path / "audit.jsonl"
    servers = {json.loads(line)["server"] for line in audit.read_text(encoding="utf-8").splitlines()}
    assert servers == {"mcp-server-filesystem", "mcp-server-memory"}

    mixed = replay(str(audit), "--policy", str(files_policy))
    assert "holds the calls of 2 servers (mcp-server-filesystem, mcp-server-memory)" in mixed.stderr
    assert "give --server NAME" in mixed.stderr

    done = replay(str(audit), "--policy", str(files_policy), "--server", "mcp-server-filesystem", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    report = json.loads(done.stdout)
    assert report["calls"] == 1 and report["changes"] == []

    other = replay(str(audit), "--policy", str(memory_policy), "--server", "mcp-server-memory", "--json")
    assert other.returncode == 0, other.stdout + other.stderr
    assert json.loads(other.stdout)["calls"] == 1

    unknown = replay(str(audit), "--policy", str(files_policy), "--server", "github")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        f"policytui replay: the recording {audit} holds no calls of server github "
        "(it holds calls of: mcp-server-filesystem, mcp-server-memory)."
    )


def test_calls_the_gateway_denied_for_a_broken_policy_file_are_not_compared(
    tmp_path: Path, test_servers: Path
) -> None:
    """A call denied while the live policy file was invalid (rule `policy_file`) was compared as
    the policy's denial, so replaying the very policy in force said the call was "newly
    allowed": a change of the draft's that it never made. Such calls say nothing about any
    policy's rules, and are counted apart as calls the state store's outage denied are."""
    import anyio

    server = _server(test_servers, "everything")
    live = {"version": "1", "default": "allow"}
    policy = _write(tmp_path / "live.json", live)

    async def traffic() -> None:
        async with recording_gateway(tmp_path, policy, [str(server), "stdio"]) as client:
            await client.call_tool("echo", {"message": "valid"})
            policy.write_text('{"version": "1", "default": ', encoding="utf-8")  # saved half-typed
            while "every call is denied until it is fixed" not in (tmp_path / "gateway.log").read_text(encoding="utf-8"):
                await anyio.sleep(0.05)
            broken = await client.call_tool("echo", {"message": "broken"})
            assert broken.is_error
            _write(policy, live)

    anyio.run(traffic)
    recording = tmp_path / "recording.jsonl"
    rules = [json.loads(line)["rule"] for line in recording.read_text(encoding="utf-8").splitlines()]
    assert rules == ["default", "policy_file"]
    done = replay(str(recording), "--policy", str(policy), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["changes"] == [] and report["fault_not_compared"] == 1
    text = replay(str(recording), "--policy", str(policy))
    assert ("Not compared: 1 denied because the gateway's policy file was invalid or missing, "
            "or its audit log could not be written.") in text.stdout
    assert "newly allowed" not in text.stdout


CUT_RECORD = '{"time": "2026-12-01T10:00:00.000Z", "server": "mcp-server-everything", "grant": "def'


def _call_echo_through_a_gateway_on(tmp_path: Path, everything: Path, recording: Path, audit: Path) -> None:
    """`policytui gateway --record RECORDING --audit AUDIT` serving one echo call read from a
    file, as a gateway started again after one killed mid-write left both files cut short."""
    policy = _write(tmp_path / "p.json", {"version": "1", "default": "allow"})
    requests = tmp_path / "requests.jsonl"
    requests.write_text("\n".join(json.dumps(message) for message in [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "echo", "arguments": {"message": "after the restart"}}},
    ]) + "\n", encoding="utf-8")
    with requests.open("rb") as stdin:
        done = subprocess.run(
            [str(POLICYTUI), "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
             "--record", str(recording), "--audit", str(audit), "--", str(everything), "stdio"],
            stdin=stdin, capture_output=True, timeout=120,
        )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"Echo: after the restart" in done.stdout


def test_a_gateway_started_on_files_a_killed_one_cut_short_writes_its_lines_whole(
    tmp_path: Path, everything: Path
) -> None:
    """The recording and the audit log end in part of a line: the next record starts a line of
    its own, not glued to that part (which would make both unreadable)."""
    recording, audit = tmp_path / "rec.jsonl", tmp_path / "audit.jsonl"
    for path in (recording, audit):
        path.write_text(CUT_RECORD, encoding="utf-8")
        path.chmod(0o600)
    _call_echo_through_a_gateway_on(tmp_path, everything, recording, audit)
    for path in (recording, audit):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0] == CUT_RECORD, path
        records = [json.loads(line) for line in lines[1:] if line]
        assert records and records[-1]["tool"] == "echo", path
    assert json.loads(recording.read_text(encoding="utf-8").splitlines()[-1])["arguments"] == {
        "message": "after the restart"}


def test_replay_leaves_out_a_line_cut_short_before_the_end(tmp_path: Path, everything: Path) -> None:
    """The recording of a gateway started again after one killed mid-write: the part of a line
    is left out with a note naming it, and the calls after it are replayed."""
    recording, audit = tmp_path / "rec.jsonl", tmp_path / "audit.jsonl"
    recording.write_text(CUT_RECORD, encoding="utf-8")
    recording.chmod(0o600)
    _call_echo_through_a_gateway_on(tmp_path, everything, recording, audit)
    _call_echo_through_a_gateway_on(tmp_path, everything, recording, audit)
    draft = _write(tmp_path / "draft.json", {"version": "1", "default": "allow", "tools": {"echo": {"action": "deny"}}})
    done = replay(str(recording), "--policy", str(draft), "--json")
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == (
        f"policytui replay: line 1 of {recording} was cut short (a gateway stopped while writing it) and is left out.")
    report = json.loads(done.stdout)
    assert report["calls"] == 2 and report["allowed_now_denied"] == 2
