"""`policytui init`: a starting policy from a preset, written safely, from a fixture or a real
server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policytui.cli import main
from policytui.decision import Outcome, decide
from policytui.policy.files import load_policy
from policytui.risk.overrides import read_overrides

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "servers"
KESTRA = str(FIXTURES / "kestra-head-14fe3a3.json")
KESTRA_CODE = (
    "import sys, src; sys.path.insert(0, list(src.__path__)[0]); import server; server.main()"
)


def test_init_writes_a_valid_recommended_policy(tmp_path, capsys):
    out = tmp_path / "policy.json"
    assert main(["init", "--from", KESTRA, "-o", str(out)]) == 0
    loaded = load_policy(out)
    assert loaded.report.ok and not loaded.report.warnings
    policy = loaded.policy
    assert decide(policy, "list_namespaces", {}).outcome is Outcome.ALLOWED
    assert decide(policy, "delete_flow_logs", {}).outcome is Outcome.HIDDEN
    assert decide(policy, "manage_flow", {"action": "delete"}).outcome is Outcome.NEEDS_APPROVAL
    printed = capsys.readouterr()
    assert "manage_flow" in printed.out and "approval for delete" in printed.out
    assert printed.err.splitlines()[-1] == f"wrote {out} (39 tools, preset recommended)"
    assert out.read_text(encoding="utf-8").endswith("}\n")


def test_init_prints_the_policy_when_no_file_is_given(capfd):
    # Written to standard output's descriptor, as `-o -` is (capfd reads it there).
    assert main(["init", "--from", KESTRA, "--preset", "read-only"]) == 0
    captured = capfd.readouterr()
    document = json.loads(captured.out)
    assert document["default"] == "deny"
    assert document["tools"]["manage_kv_store"]["require"][0]["value"] == ["get", "list"]
    assert "decision (read-only)" in captured.err  # the summary goes to stderr
    # The closing line every writer ends with, as with `-o -`.
    assert captured.err.rstrip().splitlines()[-1] == "wrote standard output (39 tools, preset read-only)"


@pytest.mark.parametrize("preset", ["recommended", "read-only", "lockdown",
                                    "permissive-with-approval"])
def test_every_preset_from_the_command_line_validates(tmp_path, preset):
    out = tmp_path / f"{preset}.json"
    assert main(["init", "--from", KESTRA, "--preset", preset, "-o", str(out), "-q"]) == 0
    assert main(["validate", str(out)]) == 0


def test_written_policy_is_already_canonical(tmp_path):
    out = tmp_path / "policy.json"
    assert main(["init", "--from", KESTRA, "-o", str(out), "-q", "--override",
                 "manage_flow=Read"]) == 0
    assert main(["fmt", "--check", str(out)]) == 0


def test_init_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "policy.json"
    out.write_text("my precious policy\n", encoding="utf-8")
    assert main(["init", "--from", KESTRA, "-o", str(out)]) == 2
    assert "already exists; use --force" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "my precious policy\n"
    assert main(["init", "--from", KESTRA, "-o", str(out), "--force", "-q"]) == 0
    assert load_policy(out).report.ok
    assert (tmp_path / "policy.json.bak").read_text(encoding="utf-8") == "my precious policy\n"


def test_overrides_change_the_rules_and_are_stored(tmp_path, capsys):
    out = tmp_path / "policy.json"
    assert main(["init", "--from", KESTRA, "-o", str(out), "--override", "manage_flow=read",
                 "--override", "list_namespaces=Destructive"]) == 0
    policy = load_policy(out).policy
    assert read_overrides(policy) == {"list_namespaces": "Destructive", "manage_flow": "Read"}
    assert decide(policy, "manage_flow", {"action": "delete"}).outcome is Outcome.ALLOWED
    assert decide(policy, "list_namespaces", {}).outcome is Outcome.HIDDEN
    assert "* category set by --override" in capsys.readouterr().out


@pytest.mark.parametrize("override,message", [
    ("manage_flow=Scary", "'Scary' is not one of Read, Write"),
    ("manage_flow", "must look like TOOL=CATEGORY"),
    ("no_such_tool=Read", "names a tool the server does not have: no_such_tool"),
])
def test_bad_overrides_are_usage_errors(tmp_path, capsys, override, message):
    out = tmp_path / "policy.json"
    assert main(["init", "--from", KESTRA, "-o", str(out), "--override", override]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_unreadable_source_is_one_sentence_and_no_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    out = tmp_path / "policy.json"
    # exit 2: a --from file that cannot be used is a wrong command line, as a --tools file is
    assert main(["init", "--from", str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("policytui init: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_output_into_a_missing_folder_fails_cleanly(tmp_path, capsys):
    out = tmp_path / "nowhere" / "policy.json"
    assert main(["init", "--from", KESTRA, "-o", str(out), "-q"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_hostile_tool_names_are_shown_escaped(tmp_path, capsys):
    snapshot = tmp_path / "hostile.json"
    snapshot.write_text(json.dumps({"tools": [
        {"name": "delete_\x1b[2Jall", "description": "Delete all.", "inputSchema": {}},
        {"name": "list_things", "inputSchema": {"type": "object"}},
    ]}), encoding="utf-8")
    out = tmp_path / "policy.json"
    assert main(["init", "--from", str(snapshot), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed
    assert "delete_\\x1b[2Jall" in printed or "delete_\\e[2Jall" in printed
    assert load_policy(out).policy.hide == ["delete_\x1b[2Jall"]


# ----- real servers ------------------------------------------------------------------------


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not installed (run tests/servers/install.sh)")
    return path


@pytest.mark.servers
def test_init_from_the_real_filesystem_server(test_servers, tmp_path, capsys):
    program = need(test_servers / "filesystem" / "node_modules" / ".bin" /
                   "mcp-server-filesystem")
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    out = tmp_path / "policy.json"
    assert main(["init", "-o", str(out), "-q", "--", str(program), str(allowed)]) == 0
    policy = load_policy(out).policy
    # The server annotates its tools; the policy follows the annotations.
    assert decide(policy, "read_text_file", {}).outcome is Outcome.ALLOWED
    assert decide(policy, "create_directory", {}).outcome is Outcome.ALLOWED
    assert decide(policy, "write_file", {}).outcome is Outcome.HIDDEN  # may overwrite
    assert decide(policy, "edit_file", {}).outcome is Outcome.NEEDS_APPROVAL  # edits in place


@pytest.mark.servers
def test_init_from_the_real_kestra_server(test_servers, tmp_path, monkeypatch, capsys):
    python = need(test_servers / "kestra" / "bin" / "python")
    config = tmp_path / "cfg"
    config.mkdir()
    workdir = tmp_path / "empty"
    workdir.mkdir()
    (config / "servers.json").write_text(json.dumps({"mcpServers": {"kestra": {
        "command": str(python), "args": ["-c", KESTRA_CODE], "cwd": str(workdir),
        "env": {"KESTRA_BASE_URL": "${env:KESTRA_BASE_URL}"}}}}), encoding="utf-8")
    monkeypatch.setenv("POLICYTUI_CONFIG_DIR", str(config))
    monkeypatch.setenv("KESTRA_BASE_URL", "http://127.0.0.1:9/api/v1")
    out = tmp_path / "policy.json"
    assert main(["init", "kestra", "--preset", "read-only", "-o", str(out), "-q"]) == 0
    loaded = load_policy(out)
    assert loaded.report.ok
    policy = loaded.policy
    assert decide(policy, "list_namespaces", {}).outcome is Outcome.ALLOWED
    assert decide(policy, "manage_flow", {"action": "get_yaml"}).outcome is Outcome.ALLOWED
    assert decide(policy, "manage_flow", {"action": "delete"}).outcome is Outcome.DENIED
    assert decide(policy, "execute_flow", {}).outcome is Outcome.DENIED
    assert "127.0.0.1:9" not in out.read_text(encoding="utf-8")
