"""Reading and writing policy files: nothing lost, truncated or silently overwritten."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from policytui.policy.files import (
    MAX_POLICY_BYTES,
    FileStamp,
    PolicyFileConflict,
    PolicyFileError,
    PolicyFileMissing,
    backup_path,
    dumps_policy,
    load_policy,
    save_policy,
)
from policytui.policy.model import Policy

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_policies"

AUTHORED = """{
  "x-policytui": {"overrides": {"manage_flow": "Destructive"}, "order": [3, 1, 2]},
  "tools": {
    "zeta": {"limits": [{"max": 5, "window": "hour", "counter": "z", "x-why": "burst"}]},
    "alpha": {"x-note": "kept", "action": "deny"}
  },
  "default": "deny",
  "version": "1"
}
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_save_keeps_extensions_and_key_order(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.json", AUTHORED)
    loaded = load_policy(path)
    assert loaded.report.ok and loaded.policy is not None
    save_policy(path, loaded.policy, expected_stamp=loaded.stamp)
    saved = json.loads(path.read_text("utf-8"))
    assert list(saved) == ["x-policytui", "tools", "default", "version"]
    assert list(saved["tools"]) == ["zeta", "alpha"]
    assert list(saved["tools"]["zeta"]["limits"][0]) == ["max", "window", "counter", "x-why"]
    assert saved == json.loads(AUTHORED)


def test_dumps_is_deterministic_and_canonical() -> None:
    policy = Policy.from_document(json.loads(AUTHORED))
    text = dumps_policy(policy)
    assert text == dumps_policy(policy.copy_deep()) == dumps_policy(Policy.from_document(
        json.loads(text)))
    assert text.endswith("}\n") and "\n  " in text
    assert dumps_policy(Policy.from_document({"version": "1", "default": "deny", "tools": {
        "créer": {}}})).count("créer") == 1  # UTF-8 kept, not \\u-escaped


def test_samples_round_trip_byte_for_byte() -> None:
    for path in SAMPLES.glob("*.json"):
        loaded = load_policy(path)
        assert loaded.policy is not None, path.name
        assert dumps_policy(loaded.policy) == path.read_text("utf-8"), path.name


def test_save_keeps_a_backup_and_the_mode(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.json", AUTHORED)
    os.chmod(path, 0o640)
    loaded = load_policy(path)
    assert loaded.policy is not None
    loaded.policy.tools["beta"] = loaded.policy.tools["alpha"].model_copy()  # type: ignore[index]
    save_policy(path, loaded.policy, expected_stamp=loaded.stamp)
    assert backup_path(path) == tmp_path / "policy.json.bak"
    assert backup_path(path).read_text("utf-8") == AUTHORED
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert "beta" in json.loads(path.read_text("utf-8"))["tools"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.json", "policy.json.bak"]


def test_new_file_gets_umask_mode_and_no_backup(tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    stamp = save_policy(path, Policy.new(), expected_stamp=FileStamp.missing())
    assert stamp.exists and stamp.size == path.stat().st_size
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert not backup_path(path).exists()


def test_conflict_when_the_file_changed_since_load(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.json", AUTHORED)
    loaded = load_policy(path)
    assert loaded.policy is not None
    someone_else = AUTHORED.replace('"deny",\n  "version"', '"allow",\n  "version"')
    write(path, someone_else)
    with pytest.raises(PolicyFileConflict, match="changed on disk since it was loaded"):
        save_policy(path, loaded.policy, expected_stamp=loaded.stamp)
    assert path.read_text("utf-8") == someone_else  # untouched
    assert not backup_path(path).exists()


def test_conflict_when_a_new_file_appeared_or_the_file_vanished(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    write(path, AUTHORED)
    with pytest.raises(PolicyFileConflict, match="created by someone else"):
        save_policy(path, Policy.new(), expected_stamp=FileStamp.missing())
    loaded = load_policy(path)
    path.unlink()
    with pytest.raises(PolicyFileConflict, match="was deleted"):
        save_policy(path, Policy.new(), expected_stamp=loaded.stamp)


def test_consecutive_saves_with_returned_stamps_do_not_conflict(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    stamp = save_policy(path, Policy.new())
    for default in ("allow", "deny", "allow"):
        stamp = save_policy(path, Policy.new(default), expected_stamp=stamp)
    assert json.loads(path.read_text())["default"] == "allow"
    assert json.loads(backup_path(path).read_text())["default"] == "deny"


def test_a_touch_without_change_is_no_conflict(tmp_path: Path) -> None:
    path = write(tmp_path / "p.json", AUTHORED)
    loaded = load_policy(path)
    os.utime(path, (time.time() + 100, time.time() + 100))
    assert loaded.policy is not None
    save_policy(path, loaded.policy, expected_stamp=loaded.stamp)


def test_symlinked_policy_is_written_through(tmp_path: Path) -> None:
    real = write(tmp_path / "real.json", AUTHORED)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    loaded = load_policy(link)
    assert loaded.policy is not None
    save_policy(link, Policy.new("allow"), expected_stamp=loaded.stamp)
    assert link.is_symlink()
    assert json.loads(real.read_text())["default"] == "allow"


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda d: d, "is a folder, not a policy file"),
        (lambda d: d / "missing.json", "does not exist"),
        (lambda d: _bytes(d, b'{"version": "1", "x": "\xff\xfe"}'),
         "is not UTF-8 text: byte 0xff at byte offset 23"),
        (lambda d: _bytes(d, b" " * (MAX_POLICY_BYTES + 1)), "policy files are limited to 10 MB"),
        (lambda d: _unreadable(d), "permission denied"),
    ],
    ids=["folder", "missing", "not-utf8", "huge", "unreadable"],
)
def test_unusable_files_give_one_sentence(tmp_path: Path, make, match: str) -> None:
    path = make(tmp_path)
    with pytest.raises(PolicyFileError, match=match) as info:
        load_policy(path)
    assert "\n" not in str(info.value) and "Traceback" not in str(info.value)


def test_missing_is_a_distinct_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileMissing):
        load_policy(tmp_path / "nope.json")


def test_saving_into_a_missing_folder_or_over_a_folder(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="does not exist"):
        save_policy(tmp_path / "no" / "p.json", Policy.new())
    (tmp_path / "d.json").mkdir()
    with pytest.raises(PolicyFileError, match="is a folder"):
        save_policy(tmp_path / "d.json", Policy.new())


def test_failed_save_leaves_the_old_file_and_no_temp_files(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can write into read-only folders")
    path = write(tmp_path / "p.json", AUTHORED)
    os.chmod(tmp_path, 0o500)
    try:
        with pytest.raises(PolicyFileError, match="cannot write"):
            save_policy(path, Policy.new())
    finally:
        os.chmod(tmp_path, 0o700)
    assert path.read_text() == AUTHORED
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_byte_order_mark_is_accepted_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"version": "1", "default": "deny"}')
    loaded = load_policy(path)
    assert loaded.policy is not None
    assert "byte order mark" in loaded.report.warnings[0].message


def _bytes(folder: Path, data: bytes) -> Path:
    path = folder / "file.json"
    path.write_bytes(data)
    return path


def _unreadable(folder: Path) -> Path:
    if os.geteuid() == 0:
        pytest.skip("root reads everything")
    path = write(folder / "secret.json", AUTHORED)
    os.chmod(path, 0)
    return path


# ---- crash safety: SIGKILL at random moments never leaves a broken file --------------------

SAVER = textwrap.dedent("""
    import sys
    from policytui.policy.files import save_policy
    from policytui.policy.model import Policy

    path, size = sys.argv[1], int(sys.argv[2])
    n = 0
    while True:
        n += 1
        tools = {f"tool_{i}": {"reason": f"round {n} " + "x" * 200,
                               "limits": [{"counter": f"c{i}", "window": "minute", "max": n}]}
                 for i in range(size)}
        save_policy(path, Policy.from_document({"version": "1", "default": "deny",
                                                "tools": tools}))
        print(n, flush=True)
""")


def test_sigkill_during_saves_never_leaves_a_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    save_policy(path, Policy.new())
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    kills = 0
    for _ in range(10):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path), "600"],
                                stdout=subprocess.PIPE, env=env)
        assert proc.stdout is not None
        proc.stdout.readline()  # at least one full save happened: the loop is under way
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        kills += 1
        text = path.read_text("utf-8")
        assert text.endswith("}\n"), f"truncated after kill {kills}"
        loaded = load_policy(path)
        assert loaded.report.ok and loaded.policy is not None
        assert len(loaded.policy.tools or {}) in (0, 600)
        if backup_path(path).exists():
            json.loads(backup_path(path).read_text("utf-8"))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # A kill between creating a temporary file and renaming it may leave one behind; it never
    # replaces the policy and is hidden. They must not pile up without end, though.
    assert len(leftovers) <= kills


def test_a_named_pipe_without_a_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    loaded = load_policy(fifo)  # returns at once: nobody writes, so the file is empty
    assert not loaded.report.ok and "empty" in loaded.report.errors[0].message


def test_backup_that_cannot_be_written_stops_the_save(tmp_path: Path) -> None:
    path = write(tmp_path / "p.json", AUTHORED)
    (tmp_path / "p.json.bak").mkdir()
    with pytest.raises(PolicyFileError, match="keeping the previous version as p.json.bak"):
        save_policy(path, Policy.new())
    assert path.read_text() == AUTHORED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json", "p.json.bak"]


def test_owner_and_group_are_kept_when_allowed(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can hand a file to another owner")
    path = write(tmp_path / "p.json", AUTHORED)
    os.chown(path, 12345, 23456)
    save_policy(path, Policy.new())
    st = path.stat()
    assert (st.st_uid, st.st_gid) == (12345, 23456)
