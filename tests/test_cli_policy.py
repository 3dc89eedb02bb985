"""`policytui validate/fmt/check/schema`: clear output, right exit codes, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policytui.cli import main

ROOT = Path(__file__).resolve().parent.parent
POLICIES = Path(__file__).parent / "fixtures" / "policies"
SERVERS = Path(__file__).parent / "fixtures" / "servers"
SAMPLES = ROOT / "sample_policies"
BAD = sorted((POLICIES / "bad").glob("*.json"))


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_every_bad_file_is_exit_1_with_clear_errors(capsys: pytest.CaptureFixture[str],
                                                    path: Path) -> None:
    code, out, err = cli(capsys, "validate", str(path))
    assert code == 1
    lines = out.splitlines()
    assert lines and all(line.startswith(f"{path}: error: ") for line in lines), out
    assert err == ""


def test_a_huge_file_is_refused_in_one_line(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    tools = {f"t{i}": {"reason": "x" * 1000} for i in range(11_000)}
    huge.write_text(json.dumps({"version": "1", "default": "deny", "tools": tools}))
    code, out, _ = cli(capsys, "validate", str(huge))
    assert code == 1
    assert out.count("\n") == 1 and "limited to 10 MB" in out


def test_good_files_and_warnings(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = cli(capsys, "validate", *map(str, sorted((POLICIES / "good").glob("*.json"))))
    assert code == 0, out
    legacy = POLICIES / "good" / "legacy-rate-limit.json"
    code, out, _ = cli(capsys, "validate", "--strict", str(legacy))
    assert code == 1 and f"{legacy}: warning: " in out and "invalid under --strict" in out


def test_mixed_files_report_each_and_fail(capsys: pytest.CaptureFixture[str]) -> None:
    good = SAMPLES / "example.json"
    bad = POLICIES / "bad" / "window-minutes.json"
    code, out, _ = cli(capsys, "validate", str(good), str(bad))
    assert code == 1
    assert f"{good}: ok" in out
    assert f'{bad}: error: tools.manage_flow.limits[0].window: "minutes" is not one of' in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    bad = POLICIES / "bad" / "limit-zero-max.json"
    code, out, _ = cli(capsys, "validate", "--json", str(bad), str(SAMPLES / "lockdown.json"))
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    first, second = data["files"]
    assert first["errors"][0]["path"] == "tools.manage_flow.limits[0].max"
    assert first["errors"][0]["line"] == 10
    assert second["ok"] is True


@pytest.mark.parametrize("tools_file", ["kestra-head-14fe3a3.json", "kestra-tool-groups.json"])
def test_tools_file_as_snapshot_or_fixture(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path, tools_file: str) -> None:
    sample = SAMPLES / "kestra-recommended.json"
    code, out, _ = cli(capsys, "validate", "--strict", "--tools", str(SERVERS / tools_file),
                       str(sample))
    assert (code, out.strip()) == (0, f"{sample}: ok")
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps([{"name": "other", "inputSchema": {"type": "object"}}]))
    code, out, _ = cli(capsys, "validate", "--tools", str(bare), str(SAMPLES / "example.json"))
    assert code == 0 and 'the server has no tool "manage_flow"' in out


@pytest.mark.parametrize("content", [None, "{not json", '{"tools": 5}', "[" * 100_000 + "]" * 100_000])
def test_unusable_tools_file_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path, content: str | None) -> None:
    tools = tmp_path / "tools.json"
    if content is not None:
        tools.write_text(content)
    code, _, err = cli(capsys, "validate", "--tools", str(tools), str(SAMPLES / "example.json"))
    assert code == 2 and err.startswith("policytui validate: --tools file")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "validate")[0] == 2
    assert cli(capsys, "fmt")[0] == 2
    assert cli(capsys, "check", "x.json")[0] == 2


def test_fmt_rewrites_canonically_and_keeps_a_backup(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    original = '{"version":"1","default":"deny","tools":{"t":{"rate_limit":{"max":5,"window":60}}}}'
    path.write_text(original)
    code, out, _ = cli(capsys, "fmt", "--check", str(path))
    assert code == 1 and "would be reformatted" in out
    assert path.read_text() == original
    code, out, err = cli(capsys, "fmt", str(path))
    assert code == 0 and "wrote" not in out
    assert err == f"wrote {path} (canonical form, previous version kept as p.json.bak)\n"
    assert (tmp_path / "p.json.bak").read_text() == original
    assert json.loads(path.read_text())["tools"]["t"] == {
        "limits": [{"counter": "t_rate", "window": "minute", "max": 5}]}
    assert cli(capsys, "fmt", "--check", str(path))[0] == 0
    code, out, _ = cli(capsys, "fmt", str(path))
    assert code == 0 and "already formatted" in out


def test_fmt_refuses_invalid_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"version": "1", "default": "deny", "limts": 1}')
    code, out, _ = cli(capsys, "fmt", str(path))
    assert code == 1 and "not formatted" in out and 'unknown key "limts"' in out
    assert path.read_text() == '{"version": "1", "default": "deny", "limts": 1}'
    assert not (tmp_path / "p.json.bak").exists()
    assert cli(capsys, "fmt", str(tmp_path / "missing.json"))[0] == 1


def test_example_round_trips_byte_for_byte(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    for sample in SAMPLES.glob("*.json"):
        assert cli(capsys, "fmt", "--check", str(sample))[0] == 0, sample.name
    contract = ('{"version": "1", "default": "deny",\n "tools": {"manage_flow": {"limits": '
                '[{"counter": "manage_flow_rate", "window": "minute", "max": 30, "scope": '
                '"grant"}]}}}\n')
    path = tmp_path / "example.json"
    path.write_text(contract)
    assert cli(capsys, "fmt", str(path))[0] == 0
    assert path.read_bytes() == (SAMPLES / "example.json").read_bytes()


def test_check_prints_decision_reason_and_rule(capsys: pytest.CaptureFixture[str]) -> None:
    kestra = str(SAMPLES / "kestra-recommended.json")
    code, out, _ = cli(capsys, "check", kestra, "manage_flow", "--args",
                       '{"action": "get_yaml", "namespace": "a", "flow_id": "b"}')
    assert code == 0 and out.splitlines() == ["allowed", "rule: tools.manage_flow"]
    code, out, _ = cli(capsys, "check", kestra, "manage_flow", "--args", '{"action": "delete"}')
    assert code == 1 and out.startswith("needs_approval: ")
    assert "rule: tools.manage_flow.require_approval_if[0]" in out
    code, out, _ = cli(capsys, "check", kestra, "manage_flow", "--args", '{"action": "delete"}',
                       "--approval", "rejected")
    assert code == 1 and out.startswith("denied: ") and "[POLICY DENIED]" in out
    code, out, _ = cli(capsys, "check", kestra, "manage_executions", "--json", "--args",
                       '{"action": "delete", "execution_id": "1"}')
    data = json.loads(out)
    assert (code, data["outcome"]) == (1, "denied")
    assert data["rule"] == "tools.manage_executions.deny_if[0]"


def test_check_errors(capsys: pytest.CaptureFixture[str]) -> None:
    example = str(SAMPLES / "example.json")
    code, _, err = cli(capsys, "check", example, "t", "--args", "{bad")
    assert code == 2 and "--args: not valid JSON, expected a key in double quotes (column 2)" in err
    code, _, err = cli(capsys, "check", example, "t", "--args", "[1]")
    assert code == 2 and "a JSON object is needed" in err
    code, out, _ = cli(capsys, "check", str(POLICIES / "bad" / "version-2.json"), "t")
    assert code == 3 and "cannot decide calls against an invalid policy" in out


def test_control_characters_in_file_content_are_made_visible(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"version": "1", "default": "deny",
                                "tools": {"evil\u001b[2J\u009b": {"action": "nope"}}}))
    code, out, _ = cli(capsys, "validate", str(path))
    assert code == 1 and "\x1b" not in out and "\x9b" not in out
    assert "\\u001b" in out and "\\x9b" in out


def test_subprocess_never_shows_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    files = [str(p) for p in BAD] + [str(tmp_path)]
    result = subprocess.run([sys.executable, "-m", "policytui", "validate", *files],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) >= len(files)
    assert f"{tmp_path}: error: {tmp_path} is a folder, not a policy file" in result.stdout


def test_a_policy_cut_short_is_called_so_not_a_trailing_comma(tmp_path: Path) -> None:
    """A file that stops mid-document (a crash while writing) is named as such."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cut = tmp_path / "cut.json"
    cut.write_text('{"version": "1", "default": "deny",\n', encoding="utf-8")
    comma = tmp_path / "comma.json"
    comma.write_text('{"version": "1", "default": "deny",}\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "policytui", "validate", str(cut), str(comma)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    cut_line, comma_line = result.stdout.splitlines()
    assert "the file ends too early: it was cut short" in cut_line
    assert "trailing comma" not in cut_line
    assert "trailing comma before a closing bracket" in comma_line


def test_check_says_a_path_was_judged_resolved_when_that_denied_it(tmp_path: Path) -> None:
    # "/srv/../etc/passwd" begins with "/srv/": without a word on resolving, the denial
    # "required condition not met: args.path regex "^/srv/"" reads as wrong.
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {
        "read": {"require": [{"path": "args.path", "op": "regex", "value": "^/srv/"}]},
        "write": {"deny_if": [{"path": "args.path", "op": "regex", "value": "^/etc/"}]},
    }}), encoding="utf-8")
    policytui = str(Path(sys.executable).with_name("policytui"))

    def check(tool: str, path: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([policytui, "check", str(policy), tool, "--args",
                               json.dumps({"path": path})],
                              capture_output=True, text=True, timeout=60)

    for tool, path in (("read", "/srv/../etc/passwd"), ("write", "/srv/../etc/passwd")):
        result = check(tool, path)
        assert result.returncode == 1, result.stderr
        assert "with its path resolved" in result.stdout, result.stdout
        assert "passwd" not in result.stdout.split("\n")[0]  # no argument value in the reason
    for tool, path in (("read", "/etc/passwd"), ("write", "/etc/passwd")):
        result = check(tool, path)
        assert result.returncode == 1
        assert "as a server opens it" not in result.stdout, result.stdout
    assert check("read", "/srv/a.txt").returncode == 0


def test_check_reads_args_as_the_gateway_reads_a_call(tmp_path: Path) -> None:
    """`check --args` refuses what the gateway refuses in a call's arguments (NaN, Infinity, a
    number that overflows, a key twice, two keys that are one name in Unicode normal form, differ
    only in letter case or are one name in Unicode compatibility form with their case folded, as
    name and the fullwidth \uff4e\uff41\uff4d\uff45 or ij and the ligature \u0133) and says what is
    wrong with broken JSON in plain words, in one line, from the installed command."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    policytui = str(Path(sys.executable).with_name("policytui"))
    cases = {
        '{"action": NaN}': "in --args, NaN is not JSON (the gateway refuses a message holding it)",
        '{"a": -Infinity}': "in --args, -Infinity is not JSON",
        '{"a": 1e400}': "in --args, the number 1e400 is too large to be read (it would become infinity)",
        '{"a": 1, "a": 2}': 'in --args, the key "a" is twice in one object, which the gateway refuses as ambiguous',
        '{"o": {"caf\u00e9": 1, "cafe\u0301": 2}}': 'in --args, the keys "caf\\u00e9" and "cafe\\u0301" in one '
                                                   "object are the same name in Unicode normal form (NFC), which "
                                                   "the gateway refuses as ambiguous",
        '{"name": "x", "Name": "y"}': 'in --args, the keys "name" and "Name" in one object differ only in '
                                      "letter case, which the gateway refuses as ambiguous",
        '{"o": {"size": 1, "\u017fize": 2}}': 'in --args, the keys "size" and "\\u017fize" in one object '
                                             "differ only in letter case",
        '{"name": "x", "\uff4e\uff41\uff4d\uff45": "y"}': 'in --args, the keys "name" and '
                                                           '"\\uff4e\\uff41\\uff4d\\uff45" in one object are '
                                                           "one name in Unicode compatibility form (NFKC: "
                                                           "fullwidth, a ligature), which the gateway refuses "
                                                           "as ambiguous",
        '{"o": [{"ij": 1, "\u0133": 2}]}': 'in --args, the keys "ij" and "\\u0133" in one object are one '
                                           "name in Unicode compatibility form (NFKC",
        '{"Name": "x", "\uff4e\uff41\uff4d\uff45": "y"}': 'in --args, the keys "Name" and '
                                                           '"\\uff4e\\uff41\\uff4d\\uff45" in one object are '
                                                           "one name in Unicode compatibility form (NFKC",
        '{"action": "delete", "id": "x"': "--args: not valid JSON, expected a comma or a closing bracket "
                                          "(the text ends too early",
        '{"a": 1,}': "a trailing comma before a closing bracket is not allowed in JSON",
    }
    for text, said in cases.items():
        result = subprocess.run([policytui, "check", str(policy), "t", "--args", text],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, (text, result.stdout, result.stderr)
        assert said in result.stderr, (text, result.stderr)
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert result.stdout == ""
    fine = subprocess.run([policytui, "check", str(policy), "t", "--args", '{"a": 1.5e3}'],
                          capture_output=True, text=True, timeout=60)
    assert fine.returncode == 0, fine.stderr


def test_check_of_an_old_format_policy_warns_as_validate_does_and_decides_as_before(tmp_path: Path) -> None:
    """`check` of a policy with a per-tool `rate_limit` says on standard error what `validate`
    says of it (the limit is read as `limits[0]`, which the file as written does not hold),
    while its decision on standard output, `--json`'s document and its exit codes stay as they
    were. The semantic warnings stay `validate`'s on every file (check skips them to stay fast),
    also on an old-format one, which the full validator reads: a credential in a reason is not
    said by check, of either format. Before, check said nothing of the old format."""
    rule = {"action": "allow", "rate_limit": {"max": 10, "window": 60},
            "reason": "Bearer abcdefghijklmnopqrstuvwxyz0123456789"}
    (tmp_path / "old.json").write_text(json.dumps({"version": "1", "default": "deny", "tools": {"echo": rule}}),
                                       encoding="utf-8")
    policytui = str(Path(sys.executable).with_name("policytui"))

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([policytui, *argv], capture_output=True, text=True, timeout=60, cwd=tmp_path)

    validated = run("validate", "old.json")
    legacy = [line for line in validated.stdout.splitlines() if 'legacy "rate_limit"' in line]
    assert legacy and legacy[0].startswith("old.json: warning: tools.echo.rate_limit: "), validated.stdout
    assert "looks like a credential" in validated.stdout, validated.stdout

    allowed = run("check", "old.json", "echo")
    assert (allowed.returncode, allowed.stdout) == (0, "allowed\nrule: tools.echo\n"), allowed
    assert allowed.stderr.splitlines() == legacy, allowed.stderr
    as_json = run("check", "old.json", "echo", "--json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["rule"] == "tools.echo", as_json
    assert as_json.stderr.splitlines() == legacy, as_json.stderr
    denied = run("check", "old.json", "other")
    assert denied.returncode == 1 and denied.stdout.startswith("denied: "), denied
    assert denied.stderr.splitlines() == legacy, denied.stderr

    # The same policy in the current format: nothing to say (its credential is validate's).
    current = {"action": "allow", "limits": [{"counter": "echo_rate", "window": "minute", "max": 10}],
               "reason": rule["reason"]}
    (tmp_path / "new.json").write_text(json.dumps({"version": "1", "default": "deny", "tools": {"echo": current}}),
                                       encoding="utf-8")
    quiet = run("check", "new.json", "echo")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "allowed\nrule: tools.echo\n", ""), quiet


def test_a_tools_file_listing_no_tools_says_so(tmp_path: Path) -> None:
    """A snapshot of a server that lists nothing (or a tools file with an empty list) leaves
    every rule without its tool; the warning says the server has none, in a whole sentence."""
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "deny", "tools": {"echo": {"action": "allow"}}}\n',
                      encoding="utf-8")
    empty = tmp_path / "tools.json"
    empty.write_text('{"tools": []}\n', encoding="utf-8")
    result = subprocess.run([str(Path(sys.executable).parent / "policytui"), "validate", "--tools", str(empty),
                             str(policy)], capture_output=True, text=True, timeout=120, check=False)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f'{policy}: warning: tools.echo: the server has no tool "echo" (it lists no tools) (line 1, col 47)',
        f"{policy}: valid, 1 warning",
    ]


def test_a_file_past_the_size_limit_is_never_said_to_be_within_it(tmp_path: Path) -> None:
    """`/dev/zero` (read up to the limit, with no size of its own) and a file a few bytes over
    10 MB are over the limit: saying they are '10.0 MB' reads as if they were within it."""
    just_over = tmp_path / "big.json"
    just_over.write_bytes(b" " * (10 * 1024 * 1024 + 1))
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * (11 * 1024 * 1024))
    policytui = str(Path(sys.executable).parent / "policytui")
    result = subprocess.run([policytui, "validate", "/dev/zero", str(just_over), str(huge)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert (result.returncode, result.stderr) == (1, "")
    limit = "policy files are limited to 10 MB, so this is probably not a policy file"
    assert result.stdout.splitlines() == [
        f"/dev/zero: error: /dev/zero holds more than 10 MB; {limit}",
        f"{just_over}: error: {just_over} holds more than 10 MB; {limit}",
        f"{huge}: error: {huge} is 11.0 MB; {limit}",
    ]
    exported = subprocess.run([policytui, "export", "/dev/zero", "--format", "cedar"],
                              capture_output=True, text=True, timeout=120, check=False)
    assert exported.stderr == f"policytui export: /dev/zero holds more than 10 MB; {limit}.\n"
