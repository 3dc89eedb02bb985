"""The policy-file commands against hostile and careless input, run as a user runs them.

Every case goes through the installed `policytui` command in a subprocess: numbers Python
cannot read as written, devices and named pipes given as input or output, symlinked outputs,
recordings nested thousands deep, and a tool named "*" exported to Intercept. Each answer
must be one sentence with the documented exit code, never a traceback, a hang or a file
replaced that should have been kept.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

POLICYTUI = Path(sys.executable).parent / "policytui"
TIMEOUT = 30


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(POLICYTUI), *map(str, args)],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd,
    )


def one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text
    assert "bug in policytui" not in text, text
    return text


def policy_with_value(tmp_path: Path, literal: str) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(
        '{"version": "1", "default": "deny", "tools": {"t": {"require": '
        f'[{{"path": "args.x", "op": "lt", "value": {literal}}}]}}}}}}\n',
        encoding="utf-8",
    )
    return path


# Numbers that cannot be read as written ---------------------------------------------------


@pytest.mark.parametrize(("literal", "words"), [
    ("1e400", "too large"),
    ("-1E+400", "too large"),
    ("1e-400", "too small"),
    ("9" * 5000, "5000 digits"),
], ids=["1e400", "-1E+400", "1e-400", "5000-digit-integer"])
def test_a_number_that_cannot_be_read_as_written_is_refused_by_every_command(
    tmp_path: Path, literal: str, words: str
) -> None:
    policy = policy_with_value(tmp_path, literal)
    before = policy.read_bytes()

    validate = run("validate", policy)
    assert validate.returncode == 1 and words in one_sentence(validate)
    check = run("check", policy, "t", "--args", '{"x": 1}')
    assert check.returncode == 3 and words in one_sentence(check)
    export = run("export", policy, "--format", "cedar")
    assert export.returncode == 1 and words in one_sentence(export)
    fmt = run("fmt", policy)
    assert fmt.returncode == 1 and words in one_sentence(fmt)
    # fmt once wrote 1e400 back as `Infinity`, turning a valid file into one nothing can read.
    assert policy.read_bytes() == before
    assert not (tmp_path / "policy.json.bak").exists()


def test_ordinary_exponents_and_zeros_still_load(tmp_path: Path) -> None:
    policy = policy_with_value(tmp_path, "1.5e3")
    assert run("validate", policy).returncode == 0
    assert run("check", policy, "t", "--args", '{"x": 1499}').returncode == 0
    assert run("validate", policy_with_value(tmp_path, "0.0e-5")).returncode == 0


def test_check_args_with_an_integer_of_thousands_of_digits_is_a_usage_error(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "allow"}\n', encoding="utf-8")
    result = run("check", policy, "t", "--args", '{"x": ' + "9" * 5000 + "}")
    assert result.returncode == 2
    assert "too long" in one_sentence(result)


def test_a_snapshot_with_an_integer_of_thousands_of_digits_is_one_sentence(tmp_path: Path) -> None:
    snapshot = tmp_path / "tools.json"
    snapshot.write_text('[{"name": "a", "inputSchema": {"type": "object", "maximum": '
                        + "9" * 5000 + "}}]", encoding="utf-8")
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "allow"}\n', encoding="utf-8")
    listed = run("tools", "--from", snapshot)
    assert listed.returncode != 0 and "too long" in one_sentence(listed)
    validate = run("validate", policy, "--tools", snapshot)
    assert validate.returncode == 2 and "too long" in one_sentence(validate)


# Inputs that are devices or pipes --------------------------------------------------------


def test_a_device_or_an_unwritten_pipe_as_tools_file_or_recording_never_hangs(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "allow"}\n', encoding="utf-8")
    fifo = tmp_path / "nobody-writes"
    os.mkfifo(fifo)

    zero = run("replay", "/dev/zero", "--policy", policy)
    assert zero.returncode == 2 and "device" in one_sentence(zero)
    piped = run("replay", fifo, "--policy", policy)
    assert piped.returncode == 2 and "holds no calls" in one_sentence(piped)
    tools = run("validate", policy, "--tools", "/dev/zero")
    assert tools.returncode == 2 and "device" in one_sentence(tools)
    listed = run("tools", "--from", fifo)
    assert listed.returncode != 0
    one_sentence(listed)


def test_a_recording_line_nested_thousands_deep_is_one_sentence(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "allow"}\n', encoding="utf-8")
    call = {"time": "2026-12-01T10:00:00.000Z", "tool": "a", "decision": "allowed",
            "rule": "default", "arguments": {}}
    recording = tmp_path / "calls.jsonl"
    recording.write_text(json.dumps(call) + "\n" + '{"x": ' + "[" * 100_000 + "]" * 100_000
                         + "}\n", encoding="utf-8")
    result = run("replay", recording, "--policy", policy)
    assert result.returncode == 2
    assert "line 2" in one_sentence(result)


def test_replay_json_never_sends_a_recorded_bidi_override_to_the_terminal(tmp_path: Path) -> None:
    name = "\u202eevil\u2028"
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow",
                                  "tools": {name: {"action": "deny"}}}), encoding="utf-8")
    recording = tmp_path / "calls.jsonl"
    recording.write_text(json.dumps({"time": "2026-12-01T10:00:00.000Z", "tool": name,
                                     "decision": "allowed", "rule": "default",
                                     "arguments": {}}) + "\n", encoding="utf-8")
    result = run("replay", recording, "--policy", policy, "--json")
    assert result.returncode == 1
    assert "\u202e" not in result.stdout and "\u2028" not in result.stdout
    assert json.loads(result.stdout)["changes"][0]["tool"] == name


# Outputs that are symlinks, devices or pipes ---------------------------------------------


def _policy(tmp_path: Path) -> Path:
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "deny", "tools": {"read": {}}}\n',
                      encoding="utf-8")
    return policy


def test_export_to_a_symlink_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    policy = _policy(tmp_path)
    target = tmp_path / "out.yaml"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.yaml"
    link.symlink_to(target.name)
    refused = run("export", policy, "--format", "intercept", "-o", link)
    assert refused.returncode == 2 and "already exists" in one_sentence(refused)
    assert target.read_text(encoding="utf-8") == "old\n"
    result = run("export", policy, "--format", "intercept", "-o", link, "--force")
    assert result.returncode == 0, one_sentence(result)
    assert link.is_symlink()
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["tools"] == {"read": {"rules": []}}


def test_export_to_a_link_to_standard_output_writes_there(tmp_path: Path) -> None:
    # `-o /dev/stdout` in a shell: for root, a rename over it once put a regular file where
    # the link to the process's standard output was.
    policy = _policy(tmp_path)
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    if not Path("/proc/self/fd/1").exists():
        pytest.skip("no /proc")
    result = run("export", policy, "--format", "cedar", "-o", link, "--force")
    assert result.returncode == 0, one_sentence(result)
    assert link.is_symlink()
    assert json.loads(result.stdout)["type"] == "cedarv1"


def _read_fifo(fifo: Path, into: list[str]) -> threading.Thread:
    def reader() -> None:
        with open(fifo, encoding="utf-8") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread


def test_export_and_snapshot_write_into_a_named_pipe_instead_of_replacing_it(tmp_path: Path) -> None:
    policy = _policy(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = _read_fifo(fifo, got)
    result = run("export", policy, "--format", "policylayer", "-o", fifo, "--force")
    reader.join(TIMEOUT)
    assert result.returncode == 0, one_sentence(result)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(got[0])["tools"] == {"read": {}}

    tools = tmp_path / "tools.json"
    tools.write_text('[{"name": "read", "inputSchema": {"type": "object"}}]', encoding="utf-8")
    got.clear()
    reader = _read_fifo(fifo, got)
    result = run("snapshot", "--from", tools, "-o", fifo, "--force")
    reader.join(TIMEOUT)
    assert result.returncode == 0, one_sentence(result)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(got[0])["tools"][0]["name"] == "read"


def test_snapshot_to_a_symlink_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    tools = tmp_path / "tools.json"
    tools.write_text('[{"name": "read", "inputSchema": {"type": "object"}}]', encoding="utf-8")
    target = tmp_path / "snap.json"
    target.write_text('{"policytuiSnapshot": 1, "tools": []}\n', encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    result = run("snapshot", "--from", tools, "-o", link, "--force")
    assert result.returncode == 0, one_sentence(result)
    assert link.is_symlink()
    assert json.loads(target.read_text(encoding="utf-8"))["tools"][0]["name"] == "read"


def test_init_writes_into_a_named_pipe_instead_of_replacing_it(tmp_path: Path) -> None:
    # As snapshot and export do: a pipe is written into, so there is nothing to back up.
    tools = tmp_path / "tools.json"
    tools.write_text('[{"name": "read", "inputSchema": {"type": "object"}}]', encoding="utf-8")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = _read_fifo(fifo, got)
    result = run("init", "--from", tools, "--preset", "lockdown", "-o", fifo, "--force")
    reader.join(TIMEOUT)
    assert result.returncode == 0, one_sentence(result)
    assert json.loads(got[0])["default"] == "deny"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert not (tmp_path / "pipe.bak").exists()


# A tool named "*" in Intercept -----------------------------------------------------------


@pytest.mark.parametrize("rule", [
    {"action": "deny"},
    {"action": "require_approval"},
    {"require": [{"path": "args.x", "op": "eq", "value": 1}]},
])
def test_intercept_export_never_lets_through_a_tool_named_star_that_the_policy_limits(
    tmp_path: Path, rule: dict[str, object]
) -> None:
    # Intercept reads the name "*" as every tool, so the rule cannot be written for it alone;
    # left out, the tool fell to `default: allow` there while policytui denies it.
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow",
                                  "tools": {"*": rule, "read": {}}}), encoding="utf-8")
    assert run("check", policy, "*").returncode == 1
    result = run("export", policy, "--format", "intercept")
    assert result.returncode == 0, one_sentence(result)
    wildcard = yaml.safe_load(result.stdout)["tools"]["*"]["rules"]
    assert any(r.get("action") == "deny" and not r.get("conditions") for r in wildcard)
    assert "every call is denied" in result.stderr


def test_intercept_export_leaves_out_a_tool_named_star_that_is_simply_allowed(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow", "tools": {"*": {}}}),
                      encoding="utf-8")
    result = run("export", policy, "--format", "intercept")
    assert result.returncode == 0, one_sentence(result)
    assert "*" not in (yaml.safe_load(result.stdout)["tools"] or {})


# Names that read as other names on screen --------------------------------------------------


def test_exports_write_bidi_overrides_and_invisible_marks_as_escapes(tmp_path: Path) -> None:
    # "rea\u202ed\u200b" shows as another name in a terminal or a review; the engines must
    # still read exactly the name the policy denies.
    name = "rea\u202ed\u200b"
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow",
                                  "tools": {name: {"action": "deny", "reason": "x\u2066y"}}}),
                      encoding="utf-8")
    hidden = ("\u202e", "\u200b", "\u2066")
    texts = {}
    for fmt in ("cedar", "intercept", "policylayer"):
        result = run("export", policy, "--format", fmt)
        assert result.returncode == 0, one_sentence(result)
        assert not any(char in result.stdout for char in hidden), fmt
        texts[fmt] = result.stdout
    assert json.loads(texts["policylayer"])["tools"][name] == {"action": "deny", "reason": "x\u2066y"}
    assert yaml.safe_load(texts["intercept"])["tools"][name]["rules"][0]["on_deny"] == "x\u2066y"

    cedarpy = pytest.importorskip("cedarpy")
    policies = cedarpy.PolicySet.from_str("\n".join(json.loads(texts["cedar"])["cedar"]["policies"]))

    def allowed(tool: str) -> bool:
        request = {"principal": {"type": "Client", "id": "agent"},
                   "action": {"type": "Action", "id": "call_tool"},
                   "resource": {"type": "Tool", "id": tool}, "context": {}}
        return bool(cedarpy.is_authorized(request, policies, []).allowed)

    assert not allowed(name)
    assert allowed("read")
