"""One policy file, two editors that the edit lock cannot keep apart: another user's
`policytui serve` (the lock is in each user's own folder), or a `policytui connect` in a
terminal (which takes no edit lock). `serve` says so when it starts; it refuses nothing, since a
save of a file changed since it was read already asks before it overwrites."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from serve_support import Served
from test_tui_e2e_tmux import Terminal
from test_tui_person_tmux import KESTRA, KESTRA_TOOLS, policytui

WARNING = "is open in another policytui editor"
NOBODY = 65534
# A command run as `nobody`, with no groups: what a user other than the file's owner sees.
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]


def serve(policy: Path, home: Path, prefix: list[str] | None = None) -> Served:
    return Served(["kestra", "--offline", "--policy", str(policy), "--no-open"],
                  cwd=policy.parent, env={"HOME": str(home)}, prefix=prefix)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="running serve as another user needs root and setpriv")
def test_serve_warns_when_another_users_serve_has_the_policy_open(shared: Path) -> None:
    policy = shared / "policy.json"
    home = shared / "home-nobody"
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    other = serve(policy, home, prefix=AS_NOBODY)
    try:
        assert WARNING not in "".join(other.stderr), "".join(other.stderr)
        mine = serve(policy, shared)
        try:
            said = "".join(mine.stderr)
            assert WARNING in said, said
            assert str(policy) in said and said.count("\n") == 1, said
        finally:
            assert mine.stop() == 130, "".join(mine.stderr)
    finally:
        assert other.stop() == 130, "".join(other.stderr)
    # Both gone: a serve started now finds nobody else.
    alone = serve(policy, shared)
    try:
        assert WARNING not in "".join(alone.stderr), "".join(alone.stderr)
    finally:
        assert alone.stop() == 130, "".join(alone.stderr)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_serve_warns_while_a_terminal_editor_has_the_policy_open(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    terminal = Terminal(home)
    try:
        terminal.start([*policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)],
                       cwd=tmp_path, size=(160, 40))
        terminal.wait("the editor", lambda s: f"{KESTRA_TOOLS} tools" in s, timeout=30)
        served = serve(policy, tmp_path)
        try:
            assert WARNING in "".join(served.stderr), "".join(served.stderr)
        finally:
            assert served.stop() == 130, "".join(served.stderr)
        terminal.keys("C-q")
        terminal.wait_exit(timeout=30)
    finally:
        terminal.close()
    served = serve(policy, tmp_path)
    try:
        assert WARNING not in "".join(served.stderr), "".join(served.stderr)
    finally:
        assert served.stop() == 130, "".join(served.stderr)


def test_a_second_serve_of_mine_says_the_first_ones_editor_keeps_it_out(
    chromium: object, tmp_path: Path
) -> None:
    """My own two `serve` do exclude each other, by the edit lock, while the first one's
    browser edits: the second says its page will be turned away until then, not that whichever
    saves second will be asked, which its page never gets to."""
    from serve_support import BrowserScreen, table_row

    policy = tmp_path / "policy.json"
    first = serve(policy, tmp_path)
    try:
        page = chromium.new_context().new_page()  # type: ignore[attr-defined]
        screen = BrowserScreen(page)
        page.goto(first.url)
        screen.wait("the first serve's editor", lambda s: bool(table_row(s, "manage_apps")))
        second = serve(policy, tmp_path)
        try:
            second.read_so_far()
            said = "".join(second.stderr)
            assert said == (
                f"policytui serve: warning: {policy} is being edited in another `policytui "
                "serve` of yours; this one's page says it is already being edited until that "
                "editor quits (ctrl+q) or its window is closed.\n"
            ), said
        finally:
            assert second.stop() == 130, "".join(second.stderr)
    finally:
        assert first.stop() == 130, "".join(first.stderr)
