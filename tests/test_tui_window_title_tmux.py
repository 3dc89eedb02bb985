"""The installed `policytui connect` in tmux names the terminal's window as the browser page's
title names the server (editor/server_name.py), and gives the window its own title back when
it ends; a server's name never carries a control character into the title sequence."""

from __future__ import annotations

import os
import shlex
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


def child_of(pid: int) -> int | None:
    """The one child of process `pid`, or None while it has none."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) <= 1, children
    return int(children[0]) if children else None


def stopped_again_after_running(pid: int, switches_before: int) -> bool:
    """Whether process `pid` has run since it had `switches_before` context switches and is
    stopped now: it took the SIGCONT and stopped itself again."""
    return process_state(pid) == "T" and context_switches(pid) > switches_before


def process_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def context_switches(pid: int) -> int:
    """Both kinds of context switch of the process's main thread (the one that handles signals)."""
    status = Path(f"/proc/{pid}/task/{pid}/status").read_text()
    return sum(int(line.split()[1]) for line in status.splitlines()
               if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")))


def test_an_editor_continued_in_the_background_then_brought_back_by_fg_gives_the_title_back_once(
    terminal: Terminal, tmp_path: Path
) -> None:
    """Stopped, then sent SIGCONT while still in the background (`kill -CONT` before the
    shell's `fg`, which sends another), the editor stops itself again, as it may not use a
    terminal it is not in front of; `fg` brings it back. That second resume came inside the
    first, and each saved the shell's title on the terminal's stack: ctrl+q put back only one,
    and the window kept the editor's title after it had ended."""
    kestra = Path(__file__).parent / "fixtures" / "servers" / "kestra-head-14fe3a3.json"
    terminal.start(["bash", "--norc", "--noprofile", "-i"], cwd=tmp_path, env={"PS1": "shell> "})
    shell_wrapper = int(terminal.fmt("#{pane_pid}"))  # Terminal.start's `sh -c`, the shell under it
    terminal.wait("the shell's prompt", lambda s: "shell>" in s)
    shell = child_of(shell_wrapper)
    assert shell is not None
    terminal.type(shlex.join([*policytui(), "connect", "--from", str(kestra), "--policy", "mine.json"]))
    terminal.keys("Enter")
    terminal.wait("the tools in the table", lambda s: bool(table_row(s, "manage_tests")), timeout=60)
    title = "mine.json · kestra-head-14fe3a3 · policytui"
    terminal.wait("the window titled", lambda _s: terminal.fmt("#{pane_title}") == title, timeout=30)
    editor = child_of(shell)
    assert editor is not None

    os.kill(editor, signal.SIGTSTP)
    terminal.wait("the shell's job stopped", lambda s: "Stopped" in s)
    assert terminal.fmt("#{pane_title}") == BEFORE
    switches = context_switches(editor)
    os.kill(editor, signal.SIGCONT)  # still in the background: it stops itself again
    terminal.wait("the editor to take the SIGCONT and stop again",
                  lambda _s: stopped_again_after_running(editor, switches))
    terminal.type("fg")
    terminal.keys("Enter")
    terminal.wait("the editor drawn again, no key pressed", lambda s: bool(table_row(s, "manage_tests")))
    terminal.wait("the window titled again", lambda _s: terminal.fmt("#{pane_title}") == title)

    terminal.keys("C-q")
    terminal.wait("the editor to end", lambda _s: not Path(f"/proc/{editor}").exists())
    # The shell's output comes after all the editor wrote: once it shows, tmux has read the
    # editor's last title sequence.
    terminal.type("echo shell-$((6*7))")
    terminal.keys("Enter")
    terminal.wait("the shell answering", lambda s: "shell-42" in s.splitlines())
    assert terminal.fmt("#{pane_title}") == BEFORE
