"""The installed `policytui connect` in tmux names the terminal's window as the browser page's
title names the server (editor/server_name.py), and gives the window its own title back when
it ends; a server's name never carries a control character into the title sequence."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import pytest
from test_tui_e2e_tmux import Terminal, table_row
from test_tui_person_tmux import policytui

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

HOSTILE_NAME_SERVER = Path(__file__).parent / "servers" / "misbehaving" / "hostile_name.py"
HOSTILE_TITLE = "pwned-title"  # what the server's escape sequences try to make the title
BEFORE = "policytui-e2e"  # the pane's title before the editor starts (Terminal.start)
# The server's name and version as the header shows them, made visible: ESC as ␛, BEL as ␇,
# C1 controls as escapes, only the name's first line, the version after a space.
SHOWN_NAME = (f"evil␛]0;{HOSTILE_TITLE}␇-␛]2;{HOSTILE_TITLE}␛\\-\\x9d0;{HOSTILE_TITLE}\\x9c"
              f" 6.6␛]2;{HOSTILE_TITLE}")


def test_the_window_is_titled_after_the_server_while_the_editor_runs_and_given_back_after(
    terminal: Terminal, tmp_path: Path
) -> None:
    terminal.start([*policytui(), "connect", "--policy", "policy.json", "--",
                    sys.executable, str(HOSTILE_NAME_SERVER)], cwd=tmp_path)
    terminal.wait("the server's tool in the table", lambda s: bool(table_row(s, "plain_tool")), timeout=60)
    title = f"policy.json · {SHOWN_NAME} · policytui"
    terminal.wait("the window titled after the server",
                  lambda _s: terminal.fmt("#{pane_title}") == title, timeout=30)
    shown = terminal.fmt("#{pane_title}")
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown), repr(shown)
    terminal.keys("C-q")
    assert terminal.wait_exit() == 0
    assert terminal.fmt("#{pane_title}") == BEFORE


def editor_pid(terminal: Terminal) -> int:
    """The editor's process: the one child of the pane's shell (Terminal.start runs it so)."""
    shell = int(terminal.fmt("#{pane_pid}"))
    children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def test_a_suspended_editor_gives_the_title_back_until_it_is_resumed(
    terminal: Terminal, tmp_path: Path
) -> None:
    """Stopped from outside (SIGTSTP, as a shell's job control does), the editor hands the
    terminal back with its own title, and takes its title again when it goes on (SIGCONT),
    drawn again whole before any key is pressed (before, the screen stayed blank until a key
    changed something)."""
    kestra = Path(__file__).parent / "fixtures" / "servers" / "kestra-head-14fe3a3.json"
    terminal.start([*policytui(), "connect", "--from", str(kestra), "--policy", "mine.json"], cwd=tmp_path)
    terminal.wait("the tools in the table", lambda s: bool(table_row(s, "manage_tests")), timeout=60)
    title = "mine.json · kestra-head-14fe3a3 · policytui"  # the snapshot names no server: its file
    terminal.wait("the window titled", lambda _s: terminal.fmt("#{pane_title}") == title, timeout=30)
    editor = editor_pid(terminal)
    os.kill(editor, signal.SIGTSTP)
    terminal.wait("the title given back while stopped", lambda _s: terminal.fmt("#{pane_title}") == BEFORE)
    terminal.wait("the terminal's own screen while stopped", lambda s: not table_row(s, "manage_tests"))
    os.kill(editor, signal.SIGCONT)
    terminal.wait("the title again once resumed", lambda _s: terminal.fmt("#{pane_title}") == title)
    terminal.wait("the editor drawn again, no key pressed", lambda s: bool(table_row(s, "manage_tests")))
    terminal.keys("C-q")
    assert terminal.wait_exit() == 0
    assert terminal.fmt("#{pane_title}") == BEFORE
