"""The editor's save, attacked through its files: the installed `policytui connect` runs in
tmux on a policy that is read-only, or in a process whose files may not grow (`ulimit -f`, a
full disk for one process), and ctrl+s is pressed. The save is refused in one sentence, and
the policy, its `.bak` and its folder are left exactly as they were.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from test_tui_e2e_tmux import Terminal, table_row
from test_tui_person_tmux import KESTRA, KESTRA_TOOLS, policytui

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

SAVED = '{\n  "version": "1",\n  "default": "deny",\n  "tools": {\n    "search_apps": {}\n  }\n}\n'
FIRST_TOOL = "backfill_executions"  # the table's first row: the one `d` denies


def files_in(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {entry.name: (entry.read_bytes(), stat.S_IMODE(entry.stat().st_mode))
            for entry in sorted(folder.iterdir())}


def edit_and_save(terminal: Terminal, policy: Path, *, prefix: list[str] | None = None) -> str:
    """Open the editor on `policy`, deny the first tool, press ctrl+s; the screen once the
    save has answered."""
    terminal.start([*(prefix or []), *policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)],
                   cwd=policy.parent, size=(160, 40))
    terminal.wait("the saved policy in the table",
                  lambda s: f"{KESTRA_TOOLS} tools" in s and "✓ valid" in s.splitlines()[0], timeout=30)
    terminal.keys("d")
    terminal.wait(f"{FIRST_TOOL} denied", lambda s: " deny " in table_row(s, FIRST_TOOL) + " ")
    terminal.keys("C-s")
    return terminal.wait("the save refused", lambda s: "Not saved" in s)


def test_saving_a_read_only_policy_is_refused_and_leaves_it(terminal: Terminal, tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    policy = folder / "policy.json"
    policy.write_text(SAVED, encoding="utf-8")
    policy.chmod(0o444)
    before = files_in(folder)
    screen = edit_and_save(terminal, policy)
    flat = " ".join(" ".join(line.strip(" ▊▎▌│").split()) for line in screen.splitlines())
    assert "it is read-only" in flat, screen
    assert "unsaved" in screen.splitlines()[0]  # the edit is still there to save elsewhere
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
    terminal.start([*policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)],
                   cwd=folder, size=(160, 40))
    # The notice, at the right edge beside the panels: the text after its "▌" border. It is
    # waited for whole: a screen read as the notice was being drawn held only its first lines.
    def notice(screen: str) -> str:
        return " ".join(line.rsplit("▌", 1)[1].strip() for line in screen.splitlines() if "▌" in line)

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
