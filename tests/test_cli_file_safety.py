"""Files the commands write, attacked as a careless user or a hostile neighbour would.

Every case runs the installed `policytui` command in a subprocess and judges the files left on
disk: a read-only file, a full disk, a symlink planted where a file is written. Nothing may be
truncated, silently replaced or followed out of where the user pointed; every refusal is one
sentence, never a traceback.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from test_serve_shared import AS_NOBODY, NOBODY

POLICYTUI = Path(sys.executable).parent / "policytui"
TIMEOUT = 60

POLICY = '{"version": "1", "default": "deny", "tools": {"read": {}}}\n'
# Valid, but not in canonical form: `fmt` would rewrite it.
UNFORMATTED = '{"version":"1","default":"deny","tools":{"read":{}}}'
TOOLS = '[{"name": "read", "inputSchema": {"type": "object"}}]'


def run(*args: str | Path, cwd: Path | None = None, preexec: object = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(POLICYTUI), *map(str, args)],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd,
        preexec_fn=preexec,  # type: ignore[arg-type]
    )


def one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    text = (result.stdout + result.stderr).strip()
    assert "Traceback" not in text, text
    assert "bug in policytui" not in text, text
    return text


def snapshot_of(folder: Path) -> dict[str, tuple[bytes | str, int]]:
    """Every name in `folder` with its content (a link's target) and permission bits."""
    found: dict[str, tuple[bytes | str, int]] = {}
    for entry in sorted(folder.iterdir()):
        st = entry.lstat()
        content: bytes | str = os.readlink(entry) if entry.is_symlink() else entry.read_bytes()
        found[entry.name] = (content, stat.S_IMODE(st.st_mode))
    return found


def read_only(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o444)
    return path


# A read-only file in a writable folder ------------------------------------------------------


def test_fmt_refuses_a_read_only_policy_and_leaves_it_and_its_folder_as_they_were(tmp_path: Path) -> None:
    policy = read_only(tmp_path / "policy.json", UNFORMATTED)
    before = snapshot_of(tmp_path)
    result = run("fmt", policy)
    text = one_sentence(result)
    assert result.returncode == 1, text
    assert text == f"{policy}: error: cannot write {policy}: it is read-only (make it writable with chmod u+w {policy} to replace it)"
    assert snapshot_of(tmp_path) == before  # no .bak, no temporary file, not reformatted


def test_fmt_refuses_a_read_only_policy_reached_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    read_only(real / "policy.json", UNFORMATTED)
    link = tmp_path / "policy.json"
    link.symlink_to(real / "policy.json")
    before = snapshot_of(real)
    result = run("fmt", link)
    assert result.returncode == 1 and "it is read-only" in one_sentence(result)
    assert snapshot_of(real) == before and link.is_symlink()


def test_init_force_refuses_to_replace_a_read_only_policy(tmp_path: Path) -> None:
    tools = tmp_path / "tools.json"
    tools.write_text(TOOLS, encoding="utf-8")
    policy = read_only(tmp_path / "policy.json", POLICY)
    before = snapshot_of(tmp_path)
    result = run("init", "--from", tools, "-o", policy, "--force", "-q")
    text = one_sentence(result)
    assert result.returncode == 1, text
    assert text == f"policytui init: cannot write {policy}: it is read-only (make it writable with chmod u+w {policy} to replace it)."
    assert snapshot_of(tmp_path) == before


# A file or folder of another user's, written by a user who is not its owner ------------------

needs_another_user = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                                        reason="running policytui as another user needs root and setpriv")


def run_as_nobody(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed command run as `nobody`, who owns none of root's files."""
    return subprocess.run([*AS_NOBODY, str(POLICYTUI), *map(str, args)],
                          capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd)


@needs_another_user
def test_a_policy_of_another_user_is_refused_with_advice_its_writer_can_follow(shared: Path) -> None:
    """nobody may not chmod root's file: told whose it is and what to do instead, not to
    chmod it; nobody's own read-only file still gets the chmod, which nobody may run."""
    tools = shared / "tools.json"
    tools.write_text(TOOLS, encoding="utf-8")
    roots = shared / "policy.json"
    roots.write_text(POLICY, encoding="utf-8")  # 0644: writable by root alone
    own = shared / "mine.json"
    own.write_text(UNFORMATTED, encoding="utf-8")
    os.chown(own, NOBODY, NOBODY)
    own.chmod(0o444)
    before = snapshot_of(shared)
    result = run_as_nobody("init", "--from", tools, "-o", roots, "--force", "-q", cwd=shared)
    assert result.returncode == 1, one_sentence(result)
    assert one_sentence(result) == (f"policytui init: cannot write {roots}: it belongs to another user, root "
                                    "(write to another path, or ask root to make it writable).")
    result = run_as_nobody("fmt", own, cwd=shared)
    assert result.returncode == 1, one_sentence(result)
    assert one_sentence(result) == (f"{own}: error: cannot write {own}: it is read-only (make it writable "
                                    f"with chmod u+w {own} to replace it)")
    assert snapshot_of(shared) == before


@needs_another_user
def test_a_policy_in_a_folder_its_writer_may_not_write_is_refused_for_its_folder(shared: Path) -> None:
    """nobody's own policy, writable, in root's folder (0755): a save writes a new file beside
    it, so the folder is named; before, fmt said its .bak could not be kept."""
    folder = shared / "locked"
    folder.mkdir()
    policy = folder / "policy.json"
    policy.write_text(UNFORMATTED, encoding="utf-8")
    os.chown(policy, NOBODY, NOBODY)
    before = snapshot_of(folder)
    result = run_as_nobody("fmt", policy, cwd=shared)
    assert result.returncode == 1, one_sentence(result)
    assert one_sentence(result) == (f"{policy}: error: cannot write {policy}: you may not create files in its "
                                    f"folder {folder}, and saving needs a new file beside it (write to another path)")
    assert snapshot_of(folder) == before


@needs_another_user
@pytest.mark.parametrize("command", ["export", "snapshot"])
def test_export_and_snapshot_into_a_folder_their_writer_may_not_write_name_the_folder(
        shared: Path, command: str) -> None:
    """nobody writing a new file into root's folder (0755): the folder is named, and what to do;
    before, only "permission denied"."""
    source = shared / "source.json"
    source.write_text(POLICY if command == "export" else TOOLS, encoding="utf-8")
    folder = shared / "locked"
    folder.mkdir()
    out = folder / "out.json"
    before = snapshot_of(folder)
    args = [source, "--format", "cedar"] if command == "export" else ["--from", source]
    result = run_as_nobody(command, *args, "-o", out, cwd=shared)
    text = one_sentence(result)
    assert result.returncode == 1, text
    assert text.endswith(f"cannot write {out}: you may not create files in its folder {folder} "
                         "(write to another path)."), text
    assert snapshot_of(folder) == before


# A symlink that leads to nothing yet ---------------------------------------------------------

def test_init_to_a_link_that_leads_to_nothing_says_so_and_writes_only_with_force(tmp_path: Path) -> None:
    """`init -o link` where the link's file does not exist: one sentence that says so, where it
    said the link "already exists" and that "the old one is kept as" a .bak of a file that
    never was; with --force the policy goes to the link's target, the link stays, no .bak is
    claimed or made. A link whose target's folder is missing names that folder's absence, not
    the link's own (present) folder."""
    tools = tmp_path / "tools.json"
    tools.write_text(TOOLS, encoding="utf-8")
    link, target = tmp_path / "policy.json", tmp_path / "real.json"
    link.symlink_to(target)
    before = snapshot_of(tmp_path)
    refused = run("init", "--from", tools, "-o", link, "-q")
    assert refused.returncode == 2, refused.stderr
    assert one_sentence(refused) == (f"policytui init: {link} is a symbolic link to {target}, which does not exist; "
                                     "use --force to write the policy there.")
    assert snapshot_of(tmp_path) == before
    written = run("init", "--from", tools, "-o", link, "--force", "-q")
    assert written.returncode == 0, written.stderr
    assert written.stderr == f"wrote {link} (1 tools, preset recommended)\n"
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert sorted(snapshot_of(tmp_path)) == ["policy.json", "real.json", "tools.json"]  # no .bak
    assert '"read"' in target.read_text(encoding="utf-8")
    nowhere = tmp_path / "nowhere.json"
    nowhere.symlink_to(tmp_path / "gone" / "real.json")
    for force in ((), ("--force",)):
        failed = run("init", "--from", tools, "-o", nowhere, "-q", *force)
        assert failed.returncode == 1, failed.stderr
        assert one_sentence(failed) == (f"policytui init: cannot write {nowhere}: it is a symbolic link to "
                                        f"{tmp_path / 'gone' / 'real.json'}, whose folder does not exist.")


@pytest.mark.parametrize("command", ["export", "snapshot"])
def test_export_and_snapshot_force_refuse_to_replace_a_read_only_file(tmp_path: Path, command: str) -> None:
    source = tmp_path / "source.json"
    source.write_text(POLICY if command == "export" else TOOLS, encoding="utf-8")
    out = read_only(tmp_path / "out.json", "keep me\n")
    before = snapshot_of(tmp_path)
    args = [source, "--format", "cedar"] if command == "export" else ["--from", source]
    result = run(command, *args, "-o", out, "--force")
    text = one_sentence(result)
    assert result.returncode == 1, text
    assert text.endswith(f"cannot write {out}: it is read-only (make it writable with chmod u+w {out} to replace it)."), text
    assert len(text.splitlines()) == 1, text
    assert snapshot_of(tmp_path) == before


def test_a_writable_policy_is_still_formatted_with_its_mode_kept(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(UNFORMATTED, encoding="utf-8")
    policy.chmod(0o640)
    result = run("fmt", policy)
    assert result.returncode == 0, one_sentence(result)
    assert policy.read_text(encoding="utf-8") == POLICY.replace('{"version"', '{\n  "version"').replace(
        ', "default": "deny", "tools": {"read": {}}}', ',\n  "default": "deny",\n  "tools": {\n    "read": {}\n  }\n}')
    assert stat.S_IMODE(policy.stat().st_mode) == 0o640
    assert (tmp_path / "policy.json.bak").read_text(encoding="utf-8") == UNFORMATTED


# A save that fails part way ---------------------------------------------------------------


def _file_size_limit(limit: int) -> object:
    """A preexec_fn for a child whose files may not grow past `limit` bytes (`ulimit -f`):
    a full disk, for one process, without mounting anything. Python ignores SIGXFSZ, so the
    write fails with EFBIG instead of killing the child."""
    import resource

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_save_that_runs_out_of_space_leaves_the_policy_and_its_bak_as_they_were(tmp_path: Path) -> None:
    tools = ",".join(f'"tool_{n:03d}":{{}}' for n in range(250))
    compact = '{"version":"1","default":"deny","tools":{' + tools + "}}"
    policy = tmp_path / "policy.json"
    policy.write_text(compact, encoding="utf-8")
    (tmp_path / "policy.json.bak").write_text("the version before\n", encoding="utf-8")
    before = snapshot_of(tmp_path)
    assert len(compact) < 4096 < len(compact) + 250 * 6  # the canonical text is longer
    result = run("fmt", policy, preexec=_file_size_limit(4096))
    text = one_sentence(result)
    assert result.returncode == 1, text
    assert text == f"{policy}: error: cannot write {policy}: file too large", text
    assert snapshot_of(tmp_path) == before  # the .bak too, and no temporary file left

    done = run("fmt", policy)  # with room, the same save goes through
    assert done.returncode == 0, one_sentence(done)
    assert (tmp_path / "policy.json.bak").read_text(encoding="utf-8") == compact


def test_a_bak_that_is_a_symlink_elsewhere_is_replaced_as_a_name_not_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / "passwd"
    victim.write_text("root:x:0:0\n", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    policy = work / "policy.json"
    policy.write_text(UNFORMATTED, encoding="utf-8")
    (work / "policy.json.bak").symlink_to(victim)
    result = run("fmt", policy)
    assert result.returncode == 0, one_sentence(result)
    assert victim.read_text(encoding="utf-8") == "root:x:0:0\n"
    assert not (work / "policy.json.bak").is_symlink()
    assert (work / "policy.json.bak").read_text(encoding="utf-8") == UNFORMATTED


# The gateway's own files ------------------------------------------------------------------


@pytest.mark.parametrize(("flag", "what"), [
    ("--audit", "the audit log"), ("--record", "the recording"), ("--log", "the log file"),
])
def test_the_gateway_refuses_a_file_in_a_missing_folder_as_every_writer_does(
    tmp_path: Path, flag: str, what: str
) -> None:
    """A mistyped folder is not created: the audit trail would go where nobody looks."""
    policy = tmp_path / "policy.json"
    policy.write_text(POLICY, encoding="utf-8")
    marker = tmp_path / "server-started"
    target = tmp_path / "no-such-folder" / "deeper" / "file.jsonl"
    result = subprocess.run(
        [str(POLICYTUI), "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
         flag, str(target), "--", "/bin/sh", "-c", f'touch "{marker}"'],
        capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
    )
    text = one_sentence(result)
    assert result.returncode == 1, text
    assert text == f"policytui gateway: cannot open {what} {target}: its folder does not exist.", text
    assert not (tmp_path / "no-such-folder").exists()
    assert not marker.exists()


@pytest.mark.parametrize(("flag", "what"), [
    ("--audit", "the audit log"), ("--record", "the recording"), ("--log", "the log file"),
])
@pytest.mark.parametrize("dangling", [False, True], ids=["to a file", "dangling"])
def test_the_gateway_refuses_a_log_file_that_is_a_symlink_elsewhere(
    tmp_path: Path, flag: str, what: str, dangling: bool
) -> None:
    """A link planted where the gateway writes (`rec.jsonl -> /etc/passwd`) had it append to,
    or create, a file nobody named."""
    policy = tmp_path / "policy.json"
    policy.write_text(POLICY, encoding="utf-8")
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    victim = elsewhere / "passwd"
    if not dangling:
        victim.write_text("root:x:0:0\n", encoding="utf-8")
    logs = tmp_path / "logs"
    logs.mkdir()
    link = logs / "file.jsonl"
    link.symlink_to(victim)
    marker = tmp_path / "server-started"
    result = subprocess.run(
        [str(POLICYTUI), "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
         flag, str(link), "--", "/bin/sh", "-c", f'touch "{marker}"'],
        capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
    )
    text = one_sentence(result)
    assert result.returncode == 1, text
    assert text == (f"policytui gateway: cannot open {what} {link}: it is a symbolic link; "
                    "give the path of the file itself."), text
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_text(encoding="utf-8") == "root:x:0:0\n"
    assert link.is_symlink() and not marker.exists()


@pytest.fixture
def read_only_file_system(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A small tmpfs holding a policy, remounted read-only (needs root and mount rights)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        (folder / "policy.json").write_text(UNFORMATTED, encoding="utf-8")
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True, capture_output=True)
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_a_policy_on_a_read_only_file_system_is_refused_without_advice_to_chmod(read_only_file_system: Path) -> None:
    policy = read_only_file_system / "policy.json"
    result = run("fmt", policy)
    text = one_sentence(result)
    assert result.returncode == 1, text
    assert text == f"{policy}: error: cannot write {policy}: it is on a read-only file system", text
    assert policy.read_text(encoding="utf-8") == UNFORMATTED


# A symlink another user planted in a shared folder -----------------------------------------


def _planted(tmp_path: Path, leads_to: Path) -> Path:
    """`tmp_path/shared/out.json`, a symlink to `leads_to` owned by another user, in a sticky
    folder everyone may write (/tmp's shape)."""
    if os.geteuid() != 0:
        pytest.skip("making a link owned by another user needs root")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    link = shared / "out.json"
    link.symlink_to(leads_to)
    os.lchown(link, 65534, 65534)
    return link


@pytest.mark.parametrize("dangling", [False, True], ids=["to a file", "dangling"])
@pytest.mark.parametrize("command", ["export", "snapshot", "init"])
def test_a_link_another_user_planted_in_a_shared_folder_is_not_followed(
    tmp_path: Path, command: str, dangling: bool
) -> None:
    """As the kernel's fs.protected_symlinks would refuse to open it: a writer that resolves
    the link itself and renames onto its target had root write wherever the link led."""
    victim_folder = tmp_path / "etc-cron.d"
    victim_folder.mkdir()
    victim = victim_folder / "job"
    if not dangling:
        victim.write_text("* * * * * root true\n", encoding="utf-8")
    link = _planted(tmp_path, victim)
    source = tmp_path / "source.json"
    source.write_text(TOOLS if command != "export" else POLICY, encoding="utf-8")
    args = {"export": [source, "--format", "cedar"], "snapshot": ["--from", source],
            "init": ["--from", source, "-q"]}[command]
    result = run(command, *args, "-o", link, "--force")
    text = one_sentence(result)
    assert result.returncode == 1, text
    assert text.endswith(f"cannot write {link}: it is a symbolic link another user made in a shared "
                         "folder, which is not followed (give the path it leads to)."), text
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_text(encoding="utf-8") == "* * * * * root true\n"
    assert link.is_symlink()


def test_a_link_of_ones_own_in_a_shared_folder_is_still_followed(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the other case needs root; this one is its counterpart")
    target = tmp_path / "mine.json"
    target.write_text("old\n", encoding="utf-8")
    link = _planted(tmp_path, target)
    os.lchown(link, os.geteuid(), os.getegid())
    source = tmp_path / "source.json"
    source.write_text(POLICY, encoding="utf-8")
    result = run("export", source, "--format", "cedar", "-o", link, "--force")
    assert result.returncode == 0, one_sentence(result)
    assert link.is_symlink() and target.read_text(encoding="utf-8") != "old\n"
