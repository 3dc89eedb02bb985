"""Unsaved changes outlive an editor made to quit: the installed `policytui connect` runs in
tmux, an edit is made with a key, and then the editor gets SIGTERM, or its terminal is closed
(SIGHUP). The edit is in a new recovery file beside the policy, the policy is as it was, and the
terminal says where the edit went; the next editor of the policy mentions the file. Only the
user's own "Quit without saving" drops an edit. A terminal closed under the editor, in a shell as a
person runs it (while it quits, while its server starts, or with SIGHUP ignored), ends it within
seconds, its edits kept and its server stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import stat
import time
from pathlib import Path

import pytest
from test_tui_e2e_tmux import Terminal, table_row
from test_tui_person_tmux import KESTRA, KESTRA_TOOLS, policytui, printed_after_exit

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

# A saved policy the edit must leave as it is.
SAVED = '{\n  "version": "1",\n  "default": "deny",\n  "tools": {\n    "search_apps": {}\n  }\n}\n'
FIRST_TOOL = "backfill_executions"  # the table's first row: the one `d` denies


def edit_a_saved_policy(terminal: Terminal, folder: Path) -> Path:
    """Open the editor on a saved policy for Kestra's recorded tools and deny the first tool
    without saving; the policy's path."""
    policy = folder / "policy.json"
    policy.write_text(SAVED, encoding="utf-8")
    terminal.start([*policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)],
                   cwd=folder)
    terminal.wait("the saved policy in the table",
                  lambda s: f"{KESTRA_TOOLS} tools" in s and "✓ valid" in s.splitlines()[0]
                  and " allow " in table_row(s, "search_apps") + " ", timeout=30)
    terminal.keys("d")
    terminal.wait(f"{FIRST_TOOL} denied and the policy unsaved",
                  lambda s: "unsaved" in s.splitlines()[0]
                  and " deny " in table_row(s, FIRST_TOOL) + " ")
    return policy


def editor_pid(terminal: Terminal) -> int:
    """The editor's process: the child of the pane's shell."""
    child = child_of(int(terminal.fmt("#{pane_pid}")))
    if child is None:
        pytest.fail("the editor process was not found under the pane's shell")
    return child


def running(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2:].split()[0] != "Z"


def kept_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("policy.json.unsaved-*.json"))


def wait_for_kept_file(folder: Path, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while not (found := kept_files(folder)):
        assert time.monotonic() < deadline, f"no recovery file in {sorted(os.listdir(folder))}"
        time.sleep(0.05)
    assert len(found) == 1, found
    return found[0]


def assert_holds_the_edit(kept: Path, policy: Path) -> None:
    document = json.loads(kept.read_text(encoding="utf-8"))
    assert document["tools"][FIRST_TOOL] == {"action": "deny"}
    assert document["tools"]["search_apps"] == {}  # the rest of the policy as edited
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert policy.read_text(encoding="utf-8") == SAVED, "the policy file was changed"


def test_sigterm_keeps_the_unsaved_edit_and_says_where(terminal: Terminal, tmp_path: Path) -> None:
    policy = edit_a_saved_policy(terminal, tmp_path)
    os.kill(editor_pid(terminal), signal.SIGTERM)
    assert terminal.wait_exit() == 0
    kept = wait_for_kept_file(tmp_path)
    assert_holds_the_edit(kept, policy)
    said = f"policytui connect: the editor had unsaved changes to policy.json; they were kept in {kept}"
    shown = printed_after_exit(terminal, said)
    assert said in shown.replace("\n", ""), shown
    assert terminal.fmt("#{alternate_on}") == "0"  # the screen was restored first

    # The next editor of the policy names the file its edit was kept in.
    terminal.close()
    again = Terminal(terminal.home)
    try:
        again.start([*policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)],
                    cwd=tmp_path, size=(160, 30))
        again.wait("the notice of the kept file",
                   lambda s: "were kept when" in s and ".unsaved-" in s,
                   timeout=30)
        again.keys("C-q")
        assert again.wait_exit() == 0
    finally:
        again.close()


def test_a_closed_terminal_keeps_the_unsaved_edit(terminal: Terminal, tmp_path: Path) -> None:
    policy = edit_a_saved_policy(terminal, tmp_path)
    pid = editor_pid(terminal)
    terminal.close()  # the terminal goes away: SIGHUP
    kept = wait_for_kept_file(tmp_path)
    wait_for_the_end(pid, time.monotonic(), "its terminal was closed and its edit kept")
    assert_holds_the_edit(kept, policy)


def child_of(parent: int) -> int | None:
    """A process whose parent is `parent` (the first /proc lists), or None."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == parent:
            return int(entry.name)
    return None


def open_a_shell(terminal: Terminal, folder: Path, *, unbuffered: bool = False) -> int:
    """An interactive bash as the terminal's own process (its session leader), as in a terminal
    window or a tmux pane: the one the hang-up signals, and whose jobs get SIGHUP, then
    SIGCONT. Returns its pid."""
    terminal.start(["sleep", "60"], cwd=folder)
    variables = {"TERM": "xterm-256color", "HOME": str(terminal.home), "LANG": "C.UTF-8", "PS1": "$ ",
                 "XDG_STATE_HOME": str(terminal.home / ".local" / "state"),
                 "XDG_CONFIG_HOME": str(terminal.home / ".config"),
                 "XDG_CACHE_HOME": str(terminal.home / ".cache"),
                 "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                 **({"PYTHONUNBUFFERED": "1"} if unbuffered else {})}
    command = ["env", "-i", *(f"{k}={v}" for k, v in variables.items()), "bash", "--norc", "--noprofile", "-i"]
    terminal.tmux("respawn-pane", "-k", "-c", str(folder), "exec " + shlex.join(command))
    terminal.wait("the shell's prompt", lambda s: "$" in s, timeout=10)
    return int(terminal.fmt("#{pane_pid}"))


def run_in_the_shell(terminal: Terminal, shell: int, line: str) -> int:
    """Type `line` and Enter at the shell's prompt; the pid of the command it started."""
    terminal.type(line)
    terminal.keys("Enter")
    deadline = time.monotonic() + 10
    while (pid := child_of(shell)) is None:
        assert time.monotonic() < deadline, "the command did not start"
        time.sleep(0.05)
    return pid


def wait_for_the_end(pid: int, since: float, what: str) -> None:
    """Until `pid` has ended; it is killed, and the test fails, after 30 seconds.

    The faults this guards against left the editor running for good (nothing in the terminal
    editor ends it after a while by itself), and it ends in about a second on a core shared with
    other tests: 30 s tells the two apart however busy the machine is."""
    while running(pid):
        took = time.monotonic() - since
        if took > 30:
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"the editor still ran {took:.0f} s after {what}")
        time.sleep(0.05)


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize("close", ["kill-pane", "kill-session", "kill-server"])
def test_a_terminal_closed_over_the_quit_question_ends_the_editor(
    terminal: Terminal, tmp_path: Path, close: str
) -> None:
    """In a shell, as a person runs it: ctrl+q with an unsaved edit, and the terminal goes
    while "Unsaved changes" is drawn. The SIGCONT that follows the hang-up restarted Textual's
    driver on the dead terminal, and the editor never ended (nor kept its edit). It ends
    within seconds, and the edit is in a recovery file."""
    policy = tmp_path / "policy.json"
    policy.write_text(SAVED, encoding="utf-8")
    # PYTHONUNBUFFERED (set in many containers) sends each of the editor's writes to the
    # terminal at once: the output thread restarted on the dead terminal died with a full queue.
    shell = open_a_shell(terminal, tmp_path, unbuffered=True)
    command = [*policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)]
    pid = run_in_the_shell(terminal, shell, shlex.join(command))
    terminal.wait("the saved policy in the table",
                  lambda s: f"{KESTRA_TOOLS} tools" in s and "✓ valid" in s.splitlines()[0], timeout=30)
    terminal.keys("d")
    terminal.wait("the policy unsaved", lambda s: "unsaved" in s.splitlines()[0])
    terminal.keys("C-q")
    # Aimed at the question being drawn, not a wait for anything: the terminal is to go while
    # the editor has the most to write. Closed once the question shows instead, the editor
    # had little left to write, and Textual's own driver, which starts again on the dead
    # terminal and never ends, went unseen in 2 of the 3 closings (the pause: 3 of 3).
    time.sleep(0.05)

    closed = time.monotonic()
    terminal.tmux(close, *([] if close == "kill-server" else ["-t", "tui-e2e"]), check=False)
    wait_for_the_end(pid, closed, "its terminal was closed")
    assert_holds_the_edit(wait_for_kept_file(tmp_path, timeout=1), policy)


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_an_editor_its_closed_terminal_left_running_stops_on_sigterm(
    terminal: Terminal, tmp_path: Path
) -> None:
    """SIGHUP ignored (`trap '' HUP`, as under `nohup`): the editor runs on when its terminal
    closes, its spinner turning while the server starts. The output thread had died at its
    first write to the dead terminal, a second later the editor blocked for good in a write,
    and SIGTERM no longer ended it or its server. It ends at once, and stops the server."""
    pid_file = tmp_path / "server.pid"
    shell = open_a_shell(terminal, tmp_path)
    # Its pid, whole: the file appears once written.
    server = ["sh", "-c", f"echo $$ > {shlex.quote(str(pid_file))}.new && mv {shlex.quote(str(pid_file))}.new "
              f"{shlex.quote(str(pid_file))}; exec sleep 100"]
    command = [*policytui(), "connect", "--policy", str(tmp_path / "policy.json"), "--", *server]
    pid = run_in_the_shell(terminal, shell, "trap '' HUP; " + shlex.join(command))
    terminal.wait("the loading screen", lambda s: "listing its tools" in s, timeout=30)
    deadline = time.monotonic() + 30
    while not pid_file.exists():
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    server_pid = int(pid_file.read_text().strip())

    terminal.tmux("kill-pane", "-t", "tui-e2e", check=False)
    try:
        time.sleep(1)  # the spinner draws on: well over 30 frames by the end of the next 2 s
        reads = read_calls(pid)
        time.sleep(2)
        reads = read_calls(pid) - reads
        assert running(pid), "the editor ended, where SIGHUP is ignored"
        # With nothing left to read, its input thread was told end-of-file and asked again at
        # once, in a loop that kept a core busy: thousands of reads a second.
        assert reads < 100, f"the editor made {reads} reads in 2 s with its terminal gone"
    except BaseException:
        # It ignores SIGHUP, and its terminal has gone: nothing else would ever end it.
        for each in (pid, server_pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(each, signal.SIGKILL)
        raise
    stopped = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    wait_for_the_end(pid, stopped, "SIGTERM")
    deadline = time.monotonic() + 3
    while running(server_pid):
        if time.monotonic() > deadline:
            os.kill(server_pid, signal.SIGKILL)
            pytest.fail("the server still runs after the editor has ended")
        time.sleep(0.05)


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_a_terminal_closed_as_the_server_starts_stops_the_server(terminal: Terminal, tmp_path: Path) -> None:
    """The terminal closes the moment the server has started, while the editor still loads:
    SIGHUP, not yet the editor's, ended Python on the spot and left the server (in a process
    group of its own) running for good. The editor ends, and so does its server."""
    pid_file = tmp_path / "server.pid"
    shell = open_a_shell(terminal, tmp_path)
    server = ["sh", "-c", f"echo $$ > {shlex.quote(str(pid_file))}.new && mv {shlex.quote(str(pid_file))}.new "
              f"{shlex.quote(str(pid_file))}; exec sleep 100"]
    command = [*policytui(), "connect", "--policy", str(tmp_path / "policy.json"), "--", *server]
    pid = run_in_the_shell(terminal, shell, shlex.join(command))
    deadline = time.monotonic() + 20
    while not pid_file.exists():
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.005)
    closed = time.monotonic()
    terminal.tmux("kill-pane", "-t", "tui-e2e", check=False)
    server_pid = int(pid_file.read_text().strip())
    wait_for_the_end(pid, closed, "its terminal was closed")
    deadline = time.monotonic() + 3
    while running(server_pid):
        if time.monotonic() > deadline:
            os.kill(server_pid, signal.SIGKILL)
            pytest.fail("the server still runs after the editor has ended")
        time.sleep(0.05)


def test_quit_without_saving_keeps_nothing(terminal: Terminal, tmp_path: Path) -> None:
    policy = edit_a_saved_policy(terminal, tmp_path)
    terminal.keys("C-q")
    terminal.wait("the question about unsaved changes", lambda s: "Unsaved changes" in s)
    terminal.keys("q")  # quit without saving: the user's own word
    assert terminal.wait_exit() == 0
    assert kept_files(tmp_path) == []
    assert policy.read_text(encoding="utf-8") == SAVED


def test_edits_no_folder_would_take_end_the_editor_with_status_1(
    terminal: Terminal, tmp_path: Path
) -> None:
    """A file-size limit of 0 (as a full disk) lets no recovery file be written, by root too:
    the SIGTERM that ends the editor took its edits with it, and its status says so."""
    policy = tmp_path / "policy.json"
    policy.write_text(SAVED, encoding="utf-8")
    limited = ["sh", "-c", 'ulimit -f 0 && exec "$@"', "sh"]
    terminal.start([*limited, *policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)],
                   cwd=tmp_path)
    terminal.wait("the saved policy in the table",
                  lambda s: f"{KESTRA_TOOLS} tools" in s and "✓ valid" in s.splitlines()[0],
                  timeout=30)
    terminal.keys("d")
    terminal.wait("the policy unsaved", lambda s: "unsaved" in s.splitlines()[0])
    os.kill(editor_pid(terminal), signal.SIGTERM)
    assert terminal.wait_exit() == 1
    said = "policytui connect: the editor had unsaved changes to policy.json, and they could not be kept"
    shown = printed_after_exit(terminal, said)
    assert said in shown.replace("\n", ""), shown
    assert kept_files(tmp_path) == []
    assert policy.read_text(encoding="utf-8") == SAVED


def read_calls(pid: int) -> int:
    """How many read system calls process `pid` has made so far (/proc/PID/io's syscr)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("syscr:"):
            return int(line.split()[1])
    raise AssertionError(f"/proc/{pid}/io has no syscr line")


def test_enter_on_save_and_quit_with_a_q_typed_behind_it_saves(terminal: Terminal, tmp_path: Path) -> None:
    """The question opens on Save and quit: Enter and a `q` right behind, in one read, save the
    edit and end the editor. The question took the `q` (Quit without saving) where the key
    reached it, while Enter's press was still on its way up, and the edit was dropped."""
    policy = edit_a_saved_policy(terminal, tmp_path)
    terminal.keys("C-q")
    terminal.wait("the question about unsaved changes", lambda s: "Save and quit" in s)
    terminal.burst("Enter", "q")
    assert terminal.wait_exit() == 0
    saved = json.loads(policy.read_text(encoding="utf-8"))
    assert saved["tools"].get(FIRST_TOOL) == {"action": "deny"}, "the q behind Enter quit without saving"
    assert kept_files(tmp_path) == []


def open_limits_with_a_limit_typed(terminal: Terminal, folder: Path, *, denied_first: bool = False) -> Path:
    """The editor on Kestra's recorded tools, nothing unsaved (or the first tool denied, unsaved);
    the limits dialog for the first tool open with 5 typed into its max calls (the focused
    field), not added or applied."""
    policy = folder / "policy.json"
    terminal.start([*policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)],
                   cwd=folder, size=(200, 30))
    terminal.wait("the tools in the table",
                  lambda s: f"{KESTRA_TOOLS} tools" in s and bool(table_row(s, FIRST_TOOL)), timeout=30)
    if denied_first:
        terminal.keys("d")
        terminal.wait(f"{FIRST_TOOL} denied and the policy unsaved",
                      lambda s: "unsaved" in s.splitlines()[0] and " deny " in table_row(s, FIRST_TOOL) + " ")
    terminal.keys("l")
    terminal.wait("the limits dialog", lambda s: f"Limits for {FIRST_TOOL}" in s and "Apply [ctrl+s]" in s)
    terminal.keys("5")
    terminal.wait("5 in max calls", limit_typed)
    return policy


def limit_typed(screen: str) -> bool:
    """The limits form (side by side at 200 columns) shows 5 in max calls, beside per's minute."""
    return re.search(r"│ 5\s+minute\b", screen) is not None


def test_the_small_terminals_question_names_a_dialogs_changes_and_has_no_save(
    terminal: Terminal, tmp_path: Path
) -> None:
    """Too small for the "Unsaved changes" dialog, ctrl+q asks on the notice's line. With only a
    dialog's changes not applied, the line says so and offers what the dialog offers: quit,
    dropping them, or go back. Before, it said "policy.json has unsaved changes: s save and
    quit ..." and `s` wrote a new policy without the limit and quit, as if all was saved."""
    policy = open_limits_with_a_limit_typed(terminal, tmp_path)
    terminal.resize(200, 10)
    terminal.wait("the notice", lambda s: "Terminal too small (200x10)" in s)
    terminal.keys("C-q")
    asked = terminal.wait("the question on the notice's line", lambda s: "quits" not in s)
    said = " ".join(asked.split())
    assert (f"The changes to the limits for {FIRST_TOOL} in the open dialog are not applied yet, and "
            "quitting drops them: q quit, dropping them · esc back, then apply them (ctrl+s) to keep "
            "them") in said, asked
    assert "save and quit" not in said, asked
    terminal.keys("s")  # no answer here
    time.sleep(1)
    assert not terminal.exited(), "s quit the editor"
    assert not policy.exists(), "s saved the policy without the dialog's limit"
    assert " ".join(terminal.screen().split()) == said, "s changed the question"
    terminal.keys("Escape")  # back: the dialog under the notice holds the 5 still
    terminal.wait("the notice again", lambda s: "Terminal too small (200x10)" in s)
    terminal.resize(200, 30)
    terminal.wait("the dialog with its 5", lambda s: f"Limits for {FIRST_TOOL}" in s and limit_typed(s))
    terminal.resize(200, 10)
    terminal.wait("the notice", lambda s: "Terminal too small (200x10)" in s)
    terminal.keys("C-q")
    terminal.wait("the question again", lambda s: "q quit, dropping them" in s)
    terminal.keys("q")
    assert terminal.wait_exit() == 0
    assert not policy.exists() and kept_files(tmp_path) == []


@pytest.mark.parametrize("denied_first", [False, True], ids=["dialog-only", "with-an-unsaved-edit"])
def test_sigterm_says_a_dialogs_changes_were_not_kept(terminal: Terminal, tmp_path: Path, denied_first: bool) -> None:
    """SIGTERM while the limits dialog holds a limit not applied: no recovery file keeps it (one
    keeps the policy's unsaved edit, without the limit), and the last line says so. Before, the
    editor ended without a word of the limit: silent with nothing else unsaved, and with an
    unsaved edit "they were kept in ...", as if all was."""
    policy = open_limits_with_a_limit_typed(terminal, tmp_path, denied_first=denied_first)
    os.kill(editor_pid(terminal), signal.SIGTERM)
    assert terminal.wait_exit() == 0
    dialog = f"the limits for {FIRST_TOOL}"
    if denied_first:
        kept = wait_for_kept_file(tmp_path)
        document = json.loads(kept.read_text(encoding="utf-8"))
        assert document["tools"][FIRST_TOOL] == {"action": "deny"}, "the edit, not the limit"
        said = (f"policytui connect: the editor had unsaved changes to policy.json (not the changes to "
                f"{dialog} in its open dialog, not applied yet: those were lost); they were kept in {kept}")
    else:
        said = (f"policytui connect: the editor had changes to {dialog} in an open dialog, not applied "
                "yet; they were lost (a dialog's changes are kept once applied)")
    shown = printed_after_exit(terminal, said)
    assert said in shown.replace("\n", ""), shown
    if not denied_first:
        assert kept_files(tmp_path) == []
    assert not policy.exists()
