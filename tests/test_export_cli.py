"""`policytui export`: output, warnings on standard error, atomic -o, clear refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from policytui.cli import main

APPROVAL = {
    "version": "1",
    "default": "deny",
    "x-policytui": {"overrides": {}},
    "tools": {"rm": {"action": "require_approval", "reason": "a human decides"}, "ls": {}},
}


def _file(tmp_path: Path, doc: dict | str, name: str = "policy.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def test_export_to_stdout_with_warnings_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _file(tmp_path, APPROVAL)
    assert main(["export", str(source), "--format", "intercept"]) == 0
    out, err = capsys.readouterr()
    doc = yaml.safe_load(out)
    assert doc["tools"]["rm"]["rules"][0]["action"] == "deny"
    assert doc["tools"]["ls"] == {"rules": []}
    assert "What Intercept cannot hold as written (1):" in err
    assert "tools.rm.action | needs human approval" in err
    assert "x-policytui" not in out


def test_export_writes_the_output_file_atomically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _file(tmp_path, APPROVAL)
    target = tmp_path / "out" / "hosted.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o640)
    assert main(["export", str(source), "-f", "policylayer", "-o", str(target)]) == 2
    assert "already exists; use --force" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "old"
    assert main(["export", str(source), "-f", "policylayer", "-o", str(target), "--force"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["tools"]["rm"] == {"action": "deny", "reason": "a human decides"}
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(p.name for p in target.parent.iterdir()) == ["hosted.json"]  # no temporary file left
    assert "What PolicyLayer cannot hold as written (1):" in err


def test_an_invalid_policy_is_not_exported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _file(tmp_path, '{"version": "1", "default": "deny", "tools": {"a": {"limts": []}}}')
    target = _file(tmp_path, "keep me", "out.yaml")
    assert main(["export", str(source), "-f", "intercept", "-o", str(target), "--force"]) == 1
    err = capsys.readouterr().err
    assert "is not a valid policy" in err and "limts" in err
    assert target.read_text(encoding="utf-8") == "keep me"


def test_a_missing_policy_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "nope.json"), "-f", "intercept"]) == 1
    err = capsys.readouterr().err
    assert err.strip().endswith("does not exist.") and len(err.strip().splitlines()) == 1


def test_the_policy_file_is_never_overwritten_by_its_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _file(tmp_path, APPROVAL)
    before = source.read_text(encoding="utf-8")
    assert main(["export", str(source), "-f", "policylayer", "-o", str(source)]) == 2
    assert source.read_text(encoding="utf-8") == before
    assert "policy file itself" in capsys.readouterr().err


def test_an_unwritable_output_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _file(tmp_path, APPROVAL)
    assert main(["export", str(source), "-f", "intercept", "-o", str(tmp_path / "no" / "such" / "dir.yaml")]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    source = _file(tmp_path, APPROVAL)
    with pytest.raises(SystemExit) as stopped:
        main(["export", str(source), "--format", "opa"])
    assert stopped.value.code == 2


@pytest.mark.parametrize(
    ("fmt", "target"),
    [("policylayer", "PolicyLayer"), ("intercept", "Intercept"), ("cedar", "ToolHive (Cedar)")],
)
def test_every_format_prints_one_table_of_what_it_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, target: str
) -> None:
    doc = {
        "version": "1",
        "default": "deny",
        "tools": {
            "rm": {"action": "require_approval"},
            "scale": {"require_approval_if": [{"path": "args.n", "op": "gt", "value": 5}]},
        },
    }
    source = _file(tmp_path, doc)
    assert main(["export", str(source), "-f", fmt, "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"What {target} cannot hold as written (")
    assert err[1].split("|")[0].strip() == "rule"
    assert err[1].split("|")[1].strip() == f"what {target} does instead"
    rules = {line.split("|")[0].strip() for line in err[3:]}
    assert {"tools.rm.action", "tools.scale.require_approval_if"} <= rules


def test_an_export_that_loses_nothing_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _file(tmp_path, {"version": "1", "default": "deny", "tools": {"ls": {}}})
    for fmt in ("policylayer", "cedar"):
        assert main(["export", str(source), "-f", fmt, "-o", str(tmp_path / f"out.{fmt}")]) == 0
        assert "nothing was lost" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fmt", "target"),
    [("policylayer", "PolicyLayer"), ("intercept", "Intercept"), ("cedar", "ToolHive (Cedar)")],
)
def test_pinning_that_the_target_cannot_enforce_is_named_not_called_lossless(
    tmp_path: Path, fmt: str, target: str
) -> None:
    """With pinning on, policytui's gateway hides and denies a tool whose definition changed
    since it was approved (or that was added later); no other format checks definitions, so the
    export must say the protection is gone rather than "nothing was lost"."""
    import subprocess
    import sys

    fingerprint = "sha256:" + "0" * 64
    doc = {
        "version": "1",
        "default": "allow",
        "x-policytui": {"pin": True, "fingerprints": {"fetch_page": fingerprint}},
        "tools": {"fetch_page": {}},
    }
    source = _file(tmp_path, doc)
    policytui = Path(sys.executable).parent / "policytui"
    done = subprocess.run(
        [str(policytui), "export", str(source), "-f", fmt], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "nothing was lost" not in done.stderr
    assert f"What {target} cannot hold as written (1):" in done.stderr
    assert "x-policytui.pin" in done.stderr
    assert "x-policytui" not in done.stdout  # the fingerprints stay out of the export
    # Pinning only in the fingerprints (turned on by `gateway --pin`, not the file): nothing to say.
    doc["x-policytui"] = {"fingerprints": {"fetch_page": fingerprint}}
    _file(tmp_path, doc)
    done = subprocess.run(
        [str(policytui), "export", str(source), "-f", fmt], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "nothing was lost" in done.stderr, done.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full to make writes fail")
@pytest.mark.parametrize("stdout", ["full", "closed"])
def test_standard_output_that_cannot_be_written_is_said_in_one_sentence(tmp_path: Path, stdout: str) -> None:
    """`export` with no -o writes into standard output, as `-o -` does: a full disk behind it
    (`> /dev/full`) or a closed one (`>&-`) is said as `-o -` says it. It was "unexpected
    error (OSError: [Errno 28] No space left on device); this is a bug in policytui" (and
    AttributeError for a closed one)."""
    import subprocess
    import sys

    source = _file(tmp_path, APPROVAL)
    policytui = Path(sys.executable).parent / "policytui"
    redirect = "> /dev/full" if stdout == "full" else ">&-"
    done = subprocess.run(
        ["sh", "-c", f'"$0" export "$1" -f cedar {redirect}', str(policytui), str(source)],
        capture_output=True, text=True, timeout=60,
    )
    reason = "no space left on device" if stdout == "full" else "it is closed"
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == f"policytui export: cannot write standard output: {reason}.", done.stderr
    assert "bug" not in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_an_output_name_ending_in_a_slash_is_refused_as_a_folder(tmp_path: Path) -> None:
    """`-o exports/` names a folder, as it does for cp and every shell tool. With no such folder
    the export was written to a file named `exports` ("wrote exports/ (cedar format)"), which
    the next `mkdir exports` then fails on. It is refused like an existing folder, before any
    work, and nothing is written."""
    import subprocess
    import sys

    source = _file(tmp_path, APPROVAL)
    policytui = Path(sys.executable).parent / "policytui"
    done = subprocess.run([str(policytui), "export", str(source), "-f", "cedar", "-o", "exports/"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr == ("policytui export: exports/ ends in a slash, so it names a folder; "
                           "give a file name for the result.\n"), done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["policy.json"]


def test_an_old_format_rate_limit_is_warned_of_as_validate_and_fmt_warn_of_it(tmp_path: Path) -> None:
    """A per-tool `"rate_limit": {"max": 10, "window": 60}` is exported as the limit it is read
    as, and `export` says so as `validate` and `fmt` do, before the table that names that limit
    (`tools.echo.limits[0]`, which the file as written does not hold). Before, export said
    nothing of it: the table named a limit the user could not find in the file."""
    import subprocess
    import sys

    source = _file(tmp_path, {"version": "1", "default": "deny",
                              "tools": {"echo": {"action": "allow", "rate_limit": {"max": 10, "window": 60}}}},
                   name="old.json")
    policytui = Path(sys.executable).parent / "policytui"
    validated = subprocess.run([str(policytui), "validate", "old.json"], cwd=tmp_path,
                               capture_output=True, text=True, timeout=60)
    warning = next(line for line in validated.stdout.splitlines() if "warning:" in line)
    assert 'legacy "rate_limit" was rewritten as limits[0]' in warning, validated.stdout
    done = subprocess.run([str(policytui), "export", "old.json", "-f", "intercept", "-o", "old.yaml"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == warning, done.stderr
    assert any(line.startswith("tools.echo.limits[0]") for line in lines[1:]), done.stderr
    assert lines[-1] == "wrote old.yaml (intercept format)", done.stderr
    assert yaml.safe_load((tmp_path / "old.yaml").read_text(encoding="utf-8"))["tools"]["echo"]["rules"][0][
        "rate_limit"] == "10/minute"
    assert source.read_text(encoding="utf-8").count("rate_limit") == 1  # the policy file untouched
