"""The editor's save, attacked through its files: the installed `policytui connect` runs in
tmux on a policy that is read-only, another user's or in a folder it may not write (run as
`nobody` through setpriv), or in a process whose files may not grow (`ulimit -f`, a full disk
for one process), and ctrl+s is pressed. The save is refused in one sentence, and the policy,
its `.bak` and its folder are left exactly as they were.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from test_serve_shared import AS_NOBODY, NOBODY
from test_tui_e2e_tmux import Terminal, table_row
from test_tui_person_tmux import KESTRA, KESTRA_TOOLS, policytui

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

SAVED = '{\n  "version": "1",\n  "default": "deny",\n  "tools": {\n    "search_apps": {}\n  }\n}\n'
FIRST_TOOL = "backfill_executions"  # the table's first row: the one `d` denies


def files_in(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {entry.name: (entry.read_bytes(), stat.S_IMODE(entry.stat().st_mode))
            for entry in sorted(folder.iterdir())}


# What a failed save says beyond why the policy cannot be written: the edits and where they go.
KEPT_HERE = ("Your edits are kept here, unsaved: ctrl+s saves them once it can be, and y copies "
             "the policy JSON to paste into a file of your own.")


def notice(screen: str) -> str:
    """The notices at the right edge beside the panels, as one line: the text after each
    line's "▌" border."""
    return " ".join(line.rsplit("▌", 1)[1].strip() for line in screen.splitlines() if "▌" in line)


def open_editor(terminal: Terminal, policy: Path, *, prefix: list[str] | None = None,
                env: dict[str, str] | None = None) -> None:
    terminal.start([*(prefix or []), *policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)],
                   cwd=policy.parent, env=env, size=(160, 40))


def as_nobody(home: Path) -> dict[str, str]:
    """The environment of an editor run as `nobody` (`AS_NOBODY`): a home it may write."""
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"), "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_STATE_HOME": str(home / ".local" / "state")}


def edit_and_save(terminal: Terminal, policy: Path, *, prefix: list[str] | None = None,
                  env: dict[str, str] | None = None, started: bool = False) -> str:
    """Open the editor on `policy` (unless `started`), deny the first tool, press ctrl+s; the
    screen once the save has answered."""
    if not started:
        open_editor(terminal, policy, prefix=prefix, env=env)
    terminal.wait("the saved policy in the table",
                  lambda s: f"{KESTRA_TOOLS} tools" in s and "✓ valid" in s.splitlines()[0], timeout=30)
    terminal.keys("d")
    terminal.wait(f"{FIRST_TOOL} denied", lambda s: " deny " in table_row(s, FIRST_TOOL) + " ")
    terminal.keys("C-s")
    return terminal.wait("the save refused", lambda s: "Not saved" in s)


def test_saving_a_read_only_policy_is_refused_and_leaves_it(terminal: Terminal, tmp_path: Path) -> None:
    """The save's notice says what the one at open did not: nothing was written, the edits
    are still here, and where they can go; not the reason again, word for word."""
    folder = tmp_path / "work"
    folder.mkdir()
    policy = folder / "policy.json"
    policy.write_text(SAVED, encoding="utf-8")
    policy.chmod(0o444)
    before = files_in(folder)
    edit_and_save(terminal, policy)
    said = f"Not saved: policy.json cannot be written, as said when it was opened. {KEPT_HERE}"
    screen = terminal.wait("the save's notice whole", lambda s: said in notice(s))
    assert notice(screen).count("chmod u+w") == 1, screen  # the notice at open, not again
    assert "unsaved" in screen.splitlines()[0]  # the edit is still there to save elsewhere
    assert files_in(folder) == before  # no .bak, no temporary file, the policy as it was
    # The notice's way out works: `y` puts the edited policy on the terminal's clipboard (OSC
    # 52, which tmux keeps in a buffer), the denial made before the save in it.
    terminal.tmux("set-option", "-s", "set-clipboard", "on")
    terminal.keys("y")
    terminal.wait("the copy's notice", lambda s: "Copied the policy JSON to the clipboard." in notice(s))
    copied = json.loads(terminal.tmux("show-buffer"))
    assert copied["tools"][FIRST_TOOL] == {"action": "deny"}, copied
    assert copied["tools"]["search_apps"] == {}
    assert files_in(folder) == before


def test_a_policy_made_read_only_after_it_was_opened_is_refused_with_the_reason(
        terminal: Terminal, tmp_path: Path) -> None:
    """Nothing was said at open (it could be saved then): the save's notice gives the reason."""
    folder = tmp_path / "work"
    folder.mkdir()
    policy = folder / "policy.json"
    policy.write_text(SAVED, encoding="utf-8")
    open_editor(terminal, policy)
    terminal.wait("the saved policy in the table",
                  lambda s: f"{KESTRA_TOOLS} tools" in s and "✓ valid" in s.splitlines()[0], timeout=30)
    policy.chmod(0o444)
    before = files_in(folder)
    edit_and_save(terminal, policy, started=True)
    # Its path is left out: a notice folds a long one anywhere.
    said = "Not saved: policy.json cannot be written: it is read-only (make it writable with chmod u+w"
    screen = terminal.wait("the save's notice whole", lambda s: said in notice(s) and KEPT_HERE in notice(s))
    assert "as said when it was opened" not in notice(screen), screen
    assert "unsaved" in screen.splitlines()[0]
    assert files_in(folder) == before


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="running the editor as another user needs root and setpriv")
@pytest.mark.parametrize("case", ["another user's file", "a folder it may not write"])
def test_a_policy_another_user_may_not_save_is_said_at_open_and_its_save_keeps_the_edits(
        terminal: Terminal, shared: Path, case: str) -> None:
    """Run as `nobody`: root's policy (0644) in a folder anyone may write, which no chmod of
    nobody's can make writable, is said to be root's with what nobody can do instead; nobody's
    own writable policy in root's folder (0755) is said at open to need a new file beside it,
    where before the first save failed on its `.bak` once the edits were made. The save then
    keeps the edits and leaves the folder as it was."""
    env = as_nobody(shared / "home")
    folder = shared / "work"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    policy = folder / "policy.json"
    policy.write_text(SAVED, encoding="utf-8")
    if case == "another user's file":
        why = ("it belongs to another user, root (open a copy of your own with --policy, or ask root "
               "to make it writable)")
    else:
        os.chown(policy, NOBODY, NOBODY)
        folder.chmod(0o755)
        why = "you may not create files in its folder"
    open_editor(terminal, policy, prefix=AS_NOBODY, env=env)
    screen = terminal.wait("the notice that the policy cannot be saved",
                           lambda s: "unsaved until it can be" in notice(s), timeout=30)
    assert f"policy.json cannot be saved: {why}" in notice(screen), screen
    if case == "a folder it may not write":
        assert "and saving needs a new file beside it (open a copy of your own with --policy)" in notice(screen)
    assert "unsaved" not in screen.splitlines()[0]  # nothing was edited
    before = files_in(folder)
    edit_and_save(terminal, policy, started=True)
    said = f"Not saved: policy.json cannot be written, as said when it was opened. {KEPT_HERE}"
    screen = terminal.wait("the save's notice whole", lambda s: said in notice(s))
    assert "keeping the previous version" not in notice(screen), screen
    assert "unsaved" in screen.splitlines()[0]  # the edit is still there
    assert files_in(folder) == before  # no .bak, no temporary file, the policy as it was


def test_a_save_that_runs_out_of_space_leaves_the_policy_and_its_bak(terminal: Terminal, tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    policy = folder / "policy.json"
    policy.write_text(SAVED, encoding="utf-8")
    (folder / "policy.json.bak").write_text("the version before\n", encoding="utf-8")
    before = files_in(folder)
    # Files of the editor may not grow past 1 KB: the saved policy (39 tools) is larger.
    limit = ["sh", "-c", 'ulimit -f 2 && exec "$@"', "sh"]
    screen = edit_and_save(terminal, policy, prefix=limit)
    flat = " ".join(" ".join(line.strip(" ▊▎▌│").split()) for line in screen.splitlines())
    assert "file too large" in flat, screen
    assert files_in(folder) == before  # the .bak too, and no temporary file left


def test_a_read_only_policy_is_said_when_the_editor_opens_it(terminal: Terminal, tmp_path: Path) -> None:
    """Before any edit is made for nothing: the editor says at once that the policy cannot be
    saved where it is, and why (a writable one opens without the warning: the other test)."""
    folder = tmp_path / "work"
    folder.mkdir()
    policy = folder / "policy.json"
    policy.write_text(SAVED, encoding="utf-8")
    policy.chmod(0o444)
    open_editor(terminal, policy)
    # The notice is waited for whole: a screen read as it was being drawn held only its first lines.
    screen = terminal.wait("the warning that the policy cannot be saved",
                           lambda s: "chmod u+w" in notice(s), timeout=30)
    assert "policy.json cannot be saved: it is read-only (make it writable with chmod u+w" in notice(screen), screen
    assert "unsaved" not in screen.splitlines()[0]  # nothing was edited


def test_a_writable_policy_opens_without_the_read_only_warning(terminal: Terminal, tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    policy = folder / "policy.json"
    policy.write_text(SAVED, encoding="utf-8")
    terminal.start([*policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)],
                   cwd=folder, size=(160, 40))
    terminal.wait("the saved policy in the table",
                  lambda s: f"{KESTRA_TOOLS} tools" in s and "✓ valid" in s.splitlines()[0], timeout=30)
    terminal.keys("d")  # a round trip through the editor: the notice would be up by now
    screen = terminal.wait(f"{FIRST_TOOL} denied", lambda s: " deny " in table_row(s, FIRST_TOOL) + " ")
    assert "cannot be saved" not in screen
