"""The editor as a person meets it, in a real terminal: the installed `policytui` runs in tmux,
keys go in through tmux, the screen (with its colours) is read back from the pane.

Each test is something a person does: find an action in the command palette by typing its
name, quit while a server is still starting, resize the window back and forth, work a dialog
with the keyboard alone and see where the focus is, read why the editor closed, and type a
filter faster than the editor reads the keys.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_tui_e2e_tmux import Terminal, cursor_row_highlighted, table_row

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "servers"
KESTRA = FIXTURES / "kestra-head-14fe3a3.json"
KESTRA_TOOLS = 39
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def policytui() -> list[str]:
    """The installed command, as the README has a person run it."""
    script = Path(sys.executable).parent / "policytui"
    return [str(script)] if script.exists() else [sys.executable, "-m", "policytui"]


def open_kestra(terminal: Terminal, tmp_path: Path, *extra: str, size: tuple[int, int] = (100, 30)) -> Path:
    """Open the editor on Kestra's recorded tools; returns the policy path it edits."""
    policy = tmp_path / "policy.json"
    terminal.start([*policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy), *extra],
                   cwd=tmp_path, size=size)
    terminal.wait("the tools in the table",
                  lambda s: f"{KESTRA_TOOLS} tools" in s and bool(table_row(s, "backfill_executions")),
                  timeout=30)
    return policy


def palette_run(terminal: Terminal, words: str, title: str) -> None:
    """ctrl+p, type `words`, wait for the command titled `title`, Enter."""
    terminal.keys("C-p")
    terminal.wait("the command palette", lambda s: "Search for commands" in s or "🔎" in s, timeout=10)
    terminal.type(words)
    terminal.wait(f"{title!r} found in the palette", lambda s: title in s, timeout=10)
    terminal.keys("Enter")


def reversed_text(line: str) -> list[str]:
    """The runs of `line` (from a styled capture) drawn in reverse video."""
    runs: list[str] = []
    reverse = False
    for piece in re.split(r"(\x1b\[[0-9;]*m)", line):
        match = SGR.fullmatch(piece)
        if match:
            codes = (match.group(1) or "0").split(";")
            for code in codes:
                if code in ("0", ""):
                    reverse = False
                elif code == "7":
                    reverse = True
                elif code == "27":
                    reverse = False
        elif reverse and piece.strip():
            runs.append(piece.strip())
    return runs


def focused_text(terminal: Terminal) -> list[str]:
    """Every reverse-video run with words in it inside the dialog's box, top to bottom (the
    editor behind a dialog, scroll bars and box edges are left out)."""
    lines = terminal.screen(styled=True).splitlines()
    plain = [SGR.sub("", line) for line in lines]
    top = next((i for i, line in enumerate(plain) if "╭" in line), 0)
    bottom = next((i for i, line in enumerate(plain) if "╰" in line and i > top), len(lines))
    box = [line.split("│", 1)[-1] for line in lines[top + 1:bottom]]
    return [run for line in box for run in reversed_text(line) if re.search(r"\w", run)]


def printed_after_exit(terminal: Terminal, *needles: str) -> str:
    """What the terminal shows once the program has exited, wrapped lines joined, scrollback
    included; waits (up to 30 s, on a busy machine) for every needle to appear."""
    deadline = time.monotonic() + 30
    while True:
        text = terminal.tmux("capture-pane", "-p", "-J", "-S", "-200")
        if all(needle in text for needle in needles) or time.monotonic() > deadline:
            return text
        time.sleep(0.05)


# ----- 1. every action is in the command palette, found by its name -------------------------


def test_palette_finds_and_runs_the_editors_actions_by_name(terminal: Terminal, tmp_path: Path) -> None:
    policy = open_kestra(terminal, tmp_path)

    palette_run(terminal, "allow", "Allow: allow the selected tool")
    terminal.wait("backfill_executions allowed",
                  lambda s: re.search(r"\sallow(\s|$)", table_row(s, "backfill_executions")) is not None)

    # A key of the table's own (space), not only the editor's.
    palette_run(terminal, "mark", "Mark: mark the tool for a bulk decision")
    terminal.wait("backfill_executions marked", lambda s: "(1 marked)" in s.splitlines()[0])
    terminal.keys("Escape")
    terminal.wait("the mark dropped", lambda s: "marked" not in s.splitlines()[0])

    palette_run(terminal, "limits", "Limits: edit rate limits")
    terminal.wait("the limits editor", lambda s: "max calls" in s)
    terminal.keys("Escape")
    terminal.wait("the editor again", lambda s: "max calls" not in s)

    palette_run(terminal, "preset", "Preset: replace the rules")
    terminal.wait("the preset dialog", lambda s: "Apply a preset" in s)
    terminal.keys("Escape")
    terminal.wait("the editor again", lambda s: "Apply a preset" not in s)

    palette_run(terminal, "save", "Save: write policy.json")
    terminal.wait("the policy saved", lambda s: policy.exists() and "unsaved" not in s)
    assert json.loads(policy.read_text(encoding="utf-8"))["tools"] == {"backfill_executions": {}}

    palette_run(terminal, "quit", "Quit")
    assert terminal.wait_exit() == 0


def test_a_dialogs_answers_are_in_the_palette(terminal: Terminal, tmp_path: Path) -> None:
    """Over a question (unsaved changes, a bulk decision, a preset), ctrl+p finds each of its
    answers by name and runs it, as its key does."""
    policy = open_kestra(terminal, tmp_path)
    terminal.wait("the policy loaded", lambda s: "✓ valid" in s.splitlines()[0])

    terminal.keys("p")
    terminal.wait("the preset dialog", lambda s: "Apply a preset" in s)
    palette_run(terminal, "read-only", "read-only: ")
    terminal.wait("the read-only preset applied", lambda s: "Apply a preset" not in s and "unsaved" in s.splitlines()[0])

    terminal.keys("C-q")
    terminal.wait("the question about unsaved changes", lambda s: "Unsaved changes" in s)
    palette_run(terminal, "quit without", "Quit without saving")
    assert terminal.wait_exit() == 0
    assert not policy.exists()  # quit without saving: nothing written

def test_the_export_dialog_writes_and_copies_from_its_keys_and_the_palette(
        terminal: Terminal, tmp_path: Path) -> None:
    """In the export dialog ctrl+s writes the file, as it applies every other dialog (it did
    nothing), and ctrl+p finds "Write file" and "Copy to clipboard" by name (it found neither,
    so the export could not be written from the palette)."""
    open_kestra(terminal, tmp_path)
    terminal.wait("the policy loaded", lambda s: "✓ valid" in s.splitlines()[0])
    # The terminal's clipboard (OSC 52) lands in a tmux buffer, where the test reads it.
    terminal.tmux("set-option", "-s", "set-clipboard", "on")
    exported = tmp_path / "policy.policylayer.json"

    terminal.keys("E")
    terminal.wait("the export dialog", lambda s: "Export to another gateway" in s and "Write file [ctrl+s]" in s)
    terminal.keys("C-s")
    terminal.wait("the export written", lambda s: "(policylayer format)" in s)
    assert json.loads(exported.read_text(encoding="utf-8"))["version"] == "1"

    exported.unlink()
    palette_run(terminal, "write", "Write file: write the export to the file named")
    terminal.wait("the export written again", lambda s: exported.exists() and "Export to another gateway" in s)

    palette_run(terminal, "copy", "Copy to clipboard: copy the export")
    terminal.wait("the export copied", lambda s: "Copied the export" in s)
    copied = terminal.tmux("show-buffer")
    assert json.loads(copied) == json.loads(exported.read_text(encoding="utf-8"))

    terminal.keys("Escape")
    terminal.wait("the editor again", lambda s: "Export to another gateway" not in s)
    terminal.keys("C-q")
    assert terminal.wait_exit() == 0

def test_ctrl_q_under_the_too_small_notice_answers_the_unsaved_question_open_under_it(
        terminal: Terminal, tmp_path: Path) -> None:
    """ctrl+q asked about unsaved changes, then the terminal was made too small: the notice
    says "ctrl+q quits", and ctrl+q did nothing. It now asks the question on the notice's line;
    Esc there takes the question away (the editor is back without it once the terminal
    grows), and `s` saves and quits."""
    policy = open_kestra(terminal, tmp_path)
    terminal.wait("the policy loaded", lambda s: "✓ valid" in s.splitlines()[0])
    terminal.keys("d")
    terminal.wait("backfill_executions denied", lambda s: "unsaved" in s.splitlines()[0])

    for answer in ("Escape", "s"):
        terminal.keys("C-q")
        terminal.wait("the question about unsaved changes", lambda s: "Unsaved changes" in s)
        terminal.resize(38, 10)
        terminal.wait("the notice", lambda s: "ctrl+q quits" in s)
        terminal.keys("C-q")
        terminal.wait("the question on the notice's line", lambda s: "s save and quit" in " ".join(s.split()))
        terminal.keys(answer)
        if answer == "s":
            break
        terminal.wait("the notice again", lambda s: "ctrl+q quits" in s)
        terminal.resize(100, 30)
        terminal.wait("the editor again", lambda s: "backfill_executions" in s and "unsaved" in s)
        # No question comes back: a key typed now moves the table's cursor (over a question it
        # would go to the question), and once it has, the question would have been drawn.
        terminal.keys("j")
        screen = terminal.wait("the cursor moved down to invite_user by j",
                               lambda _s: cursor_row_highlighted(terminal, "invite_user"))
        assert "Unsaved changes" not in screen, screen
    assert terminal.wait_exit() == 0
    assert json.loads(policy.read_text(encoding="utf-8"))["tools"] == {"backfill_executions": {"action": "deny"}}


def test_the_form_buttons_of_the_dialogs_are_in_the_palette(terminal: Terminal, tmp_path: Path) -> None:
    """Add, Update selected and Remove selected in the limits editor, Add in the conditions
    editor and Clear in the filter dialog are found by name in the palette and do what their
    buttons do; `add` found nothing there, so a limit could not be added from the palette."""
    open_kestra(terminal, tmp_path)
    terminal.wait("the policy loaded", lambda s: "✓ valid" in s.splitlines()[0])

    terminal.keys("l")
    terminal.wait("the limits editor", lambda s: "max calls" in s and "no limits" in s)
    terminal.type("7")
    palette_run(terminal, "add", "Add: add the limit in the form (this tool's limits tab)")
    terminal.wait("the limit added", lambda s: "1. 7/minute" in s)
    palette_run(terminal, "remove", "Remove selected: remove the selected limit")
    terminal.wait("the limit removed", lambda s: "1. 7/minute" not in s and "no limits" in s)
    terminal.keys("Escape")
    terminal.wait("the editor again", lambda s: "max calls" not in s)

    terminal.keys("c")
    terminal.wait("the conditions editor", lambda s: "Conditions for backfill_executions" in s)
    terminal.keys("C-u")
    terminal.type("prod")
    palette_run(terminal, "add", "Add: add the condition in the form")
    terminal.wait("the condition added", lambda s: 'args.namespace eq "prod"' in s)
    terminal.keys("Escape")
    terminal.wait("the editor again", lambda s: "Conditions for" not in s)

    terminal.keys("f")
    terminal.wait("the filter dialog", lambda s: "Filter tools" in s)
    terminal.keys("Space", "C-s")
    terminal.wait("the table filtered", lambda s: "shown)" in s.splitlines()[0] and "Filter tools" not in s)
    terminal.keys("f")
    terminal.wait("the filter dialog", lambda s: "Filter tools" in s)
    palette_run(terminal, "clear", "Clear: drop every tick")
    terminal.wait("every tool shown", lambda s: "shown)" not in s.splitlines()[0] and "Filter tools" not in s)
    terminal.keys("C-q")
    assert terminal.wait_exit() == 0


def test_what_is_typed_after_showing_the_try_panel_goes_into_it(terminal: Terminal, tmp_path: Path) -> None:
    """"Try" (key 5, or found by typing `try` in the palette) shows a form that reads "tool
    name"; a tool's name typed next is typed there. It went to the table, whose keys its
    letters are: `search_flows` sorted, allowed, approved and hid the selected tool and opened
    the conditions editor. Shown again once a call is named, the panel takes the arguments."""
    policy = open_kestra(terminal, tmp_path)
    terminal.wait("the policy loaded", lambda s: "✓ valid" in s.splitlines()[0])

    palette_run(terminal, "try", "Try: show the try-a-call form in the panels")
    terminal.wait("the Try panel", lambda s: "Enter arguments as JSON" in s)
    terminal.type("search_flows")
    terminal.wait("the tool's name in the Try panel", lambda s: re.search(r"^\s*tool\s+search_flows\s*$", s, re.M) is not None)
    # Enter moves on to the arguments, a sample of search_flows' own, and Enter there decides
    # the call: typed together, as a fast typist does (the screen cannot tell that the first
    # Enter has moved on: the arguments' placeholder reads as the sample does). Before, the
    # second Enter named the tool again and nothing was decided.
    terminal.burst("Enter", "Enter")
    terminal.wait("the call decided", lambda s: "DENIED" in s)
    screen = terminal.screen()
    assert re.search(r'^\s*args\s+\{"query": ""\}\s*$', screen, re.M), screen
    assert "unsaved" not in screen.splitlines()[0], screen  # no key reached the table
    assert "Conditions for" not in screen
    assert re.search(r"\sdeny\*", table_row(screen, "backfill_executions")), screen

    terminal.keys("Escape")  # back to the table, the call kept
    terminal.wait("the table focused", lambda _s: cursor_row_highlighted(terminal, "backfill_executions"))
    terminal.keys("5")
    terminal.keys("C-u")
    terminal.type('{"namespace": "prod"}')
    terminal.wait("the arguments typed into the Try panel",
                  lambda s: re.search(r'^\s*args\s+\{"namespace": "prod"\}\s*$', s, re.M) is not None)
    screen = terminal.screen()
    assert "unsaved" not in screen.splitlines()[0], screen
    terminal.keys("C-q")
    assert terminal.wait_exit() == 0
    assert not policy.exists()

# ----- 2. quitting while a server starts takes effect at once -------------------------------


def test_ctrl_q_while_the_server_starts_exits_at_once_and_stops_it(terminal: Terminal, tmp_path: Path) -> None:
    pid_file = tmp_path / "server.pid"
    asked = tmp_path / "asked"
    # A server that never answers: it writes its pid (whole: the file appears once written),
    # notes when the editor has begun to ask it for its tools (the first byte of its request
    # read), and sleeps.
    server = ["sh", "-c", f"echo $$ > {pid_file}.new && mv {pid_file}.new {pid_file}; "
              f"head -c 1 > {asked}.new && mv {asked}.new {asked}; exec sleep 100"]
    # The editor would give up on this server by itself only after 600 s: it ends at once
    # because of ctrl+q, not because the listing timed out.
    terminal.start([*policytui(), "connect", "--timeout", "600", "--policy", str(tmp_path / "p.json"),
                    "--", *server], cwd=tmp_path)
    terminal.wait("the loading screen", lambda s: "listing its tools" in s, timeout=20)
    deadline = time.monotonic() + 30
    while not pid_file.exists():
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    server_pid = int(pid_file.read_text().strip())
    # Well into the start, as a person who gives up waiting: the editor has asked the server
    # and waits for its answer.
    while not asked.exists():
        assert time.monotonic() < deadline, "the editor never asked the server for its tools"
        time.sleep(0.05)

    pressed = time.monotonic()
    terminal.keys("C-q")
    status = terminal.wait_exit(timeout=60)
    took = time.monotonic() - pressed
    assert status == 0
    # At once, against the 600 s the listing would wait: under 0.8 s on a core shared with two
    # other tests, and 60 s is far from both, so a busy machine cannot fail it and a quit
    # that waited for the listing could not pass.
    assert took < 60, f"the program took {took:.1f} s to exit after ctrl+q"
    # The server it started is gone too (not left for the listing timeout): ended, or a zombie
    # left to be reaped now that its parent has gone.
    stat = Path(f"/proc/{server_pid}/stat")

    def server_state() -> str:
        try:
            return stat.read_text().split(")")[-1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return "gone"

    deadline = time.monotonic() + 30
    while server_state() not in ("gone", "Z") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server_state() in ("gone", "Z"), "the server still runs 30 s after the editor ended"


def terminal_modes(terminal: Terminal) -> set[str]:
    """The pane's terminal settings as `stty -a` names them (`-ixon`, `icanon`, ...)."""
    tty = terminal.fmt("#{pane_tty}")
    result = subprocess.run(["stty", "-F", tty, "-a"], capture_output=True, text=True, timeout=5)
    return set(result.stdout.replace(";", " ").split())


def test_ctrl_q_typed_before_the_editor_has_loaded_quits(terminal: Terminal, tmp_path: Path) -> None:
    """ctrl+q typed in the first moments, before Textual has taken the keyboard: the terminal
    took it as XON (flow control) and it never reached the editor, which then stayed open; and
    keys typed then were echoed onto the shell's screen. Now flow control and echo are off from
    the start, the key waits for the editor and quits it, and the terminal's settings are as
    they were once it has gone."""
    before = terminal_modes_of_a_fresh_pane(terminal, tmp_path)
    assert "ixon" in before and "echo" in before
    policy = tmp_path / "policy.json"
    left = tmp_path / "stty-after-exit.txt"  # the settings the shell gets back
    command = [*policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)]
    terminal.start(["sh", "-c", f'"$@"; status=$?; stty -a > {shlex.quote(str(left))}; exit $status',
                    "sh", *command], cwd=tmp_path)
    # The moment to type: flow control is off but the line discipline still collects whole
    # lines (`icanon`), so the editor has not yet put the terminal in raw mode.
    deadline = time.monotonic() + 20
    modes: set[str] = set()
    while time.monotonic() < deadline and not terminal.exited():
        modes = terminal_modes(terminal)
        if "-ixon" in modes and "icanon" in modes:
            break
        if "-icanon" in modes:
            pytest.fail("the editor took the keyboard before flow control was turned off: a ctrl+q "
                        "typed until then is taken by the terminal as XON")
        time.sleep(0.005)
    else:
        pytest.fail(f"flow control was never turned off; the terminal's settings: {sorted(modes)}")
    terminal.keys("C-q")
    assert terminal.wait_exit(timeout=20) == 0
    assert not policy.exists()
    after = set(left.read_text().replace(";", " ").split())
    assert {"ixon", "echo", "icanon"} <= after, f"the terminal was left as {sorted(after)}"
    assert "^Q" not in printed_after_exit(terminal)


def terminal_modes_of_a_fresh_pane(terminal: Terminal, tmp_path: Path) -> set[str]:
    """A new pane's settings, as a person's shell would have them before running policytui."""
    terminal.start(["sleep", "30"], cwd=tmp_path)
    modes = terminal_modes(terminal)
    terminal.close()
    terminal.started = False
    return modes


def test_ctrl_s_while_the_server_starts_says_there_is_nothing_to_save_yet(terminal: Terminal, tmp_path: Path) -> None:
    """ctrl+s (or an edit key) while the server is still starting does nothing yet, and says
    so: nothing used to show, and a save looked made."""
    server = ["sh", "-c", "exec sleep 100"]  # a server that never answers
    # It would give up on the server by itself only after 600 s: the quit below ends it.
    terminal.start([*policytui(), "connect", "--timeout", "600", "--policy", str(tmp_path / "p.json"),
                    "--", *server], cwd=tmp_path)
    terminal.wait("the loading screen", lambda s: "listing its tools" in s, timeout=20)
    terminal.keys("C-s")
    terminal.wait("the notice", lambda s: "Nothing to edit or save yet" in " ".join(s.split()))
    assert not (tmp_path / "p.json").exists()
    terminal.keys("C-q")
    assert terminal.wait_exit(timeout=60) == 0


# ----- 3. the layout follows every resize ---------------------------------------------------


def wide_layout(screen: str) -> bool:
    """The panels beside the table: the table's head and the tab labels on one line."""
    return any("Category" in line and "Problems" in line for line in screen.splitlines())


def stacked_layout(screen: str) -> bool:
    lines = screen.splitlines()
    return not wide_layout(screen) and any(line.strip().startswith("Tool  Problems") for line in lines)


def test_layout_follows_any_sequence_of_resizes(terminal: Terminal, tmp_path: Path) -> None:
    open_kestra(terminal, tmp_path, size=(120, 40))
    terminal.wait("the stacked layout at 120 columns", stacked_layout)
    for width, height, layout, name in [
        (200, 50, wide_layout, "side by side at 200"),
        (120, 40, stacked_layout, "stacked at 120"),
        (200, 50, wide_layout, "side by side at 200 again"),
        (90, 24, stacked_layout, "stacked at 90"),
        (160, 45, wide_layout, "side by side at 160"),
    ]:
        terminal.resize(width, height)
        # The layout settles within a few frames: the header keeps the program's name from 110
        # columns up, and no tool name is cut.
        terminal.wait(
            f"{name}, tool names whole, the header right",
            lambda s, layout=layout, width=width: layout(s)  # type: ignore[misc]
            and bool(table_row(s, "manage_announcements"))
            and ("policytui" in s.splitlines()[0]) == (width >= 110),
            timeout=10,
        )


# ----- 6. dialogs by keyboard alone, focus and state visible --------------------------------


@pytest.mark.parametrize("theme", ["ansi-dark", "textual-light"])
def test_conditions_dialog_by_keyboard_with_the_focus_always_visible(
    terminal: Terminal, tmp_path: Path, theme: str
) -> None:
    policy = open_kestra(terminal, tmp_path, "--theme", theme)
    terminal.keys("/")
    terminal.wait("the filter box", lambda s: "filter tools by name" in s)
    terminal.type("manage_flow")
    terminal.wait("manage_flow only", lambda s: bool(table_row(s, "manage_flow")) and not table_row(s, "manage_apps"))
    terminal.keys("Enter")
    # Enter hands the focus back to the table a message later: its cursor row is highlighted.
    terminal.wait("the table focused on manage_flow", lambda _s: cursor_row_highlighted(terminal, "manage_flow"))
    terminal.keys("c")
    terminal.wait("the conditions editor", lambda s: "Conditions for manage_flow" in s)

    # Every Tab stop shows where the focus is, in reverse video.
    # (A text cursor blinks in reverse video too, so each stop is sampled for a moment.)
    seen: list[str] = []
    for _ in range(8):
        terminal.keys("Tab")
        runs: list[str] = []
        # At least 0.6 s, and until the focus shows: a busy machine draws it later.
        sampled, deadline = time.monotonic() + 0.6, time.monotonic() + 15
        while time.monotonic() < sampled or (not runs and time.monotonic() < deadline):
            runs += focused_text(terminal)
            time.sleep(0.05)
        assert runs, f"nothing showed the focus within 15 s of Tab:\n{terminal.screen()}"
        seen.append(" | ".join(dict.fromkeys(runs)))
    assert any("Add" in stop for stop in seen) and any("Apply" in stop for stop in seen), seen

    # Pick a value, Tab, Enter: that adds the condition (Remove is not next to Add).
    terminal.keys("Escape")
    terminal.wait("the editor", lambda s: "Conditions for" not in s)
    terminal.keys("c")
    terminal.wait("the conditions editor", lambda s: "Conditions for manage_flow" in s)
    terminal.keys("Enter")  # the value list opens on the focused value picker
    terminal.wait("the value list", lambda s: '"delete"' in s)
    terminal.type("del")
    terminal.keys("Enter")
    terminal.wait("delete picked", lambda s: '"delete"' in s and "pick a value" not in s)
    terminal.keys("Tab")
    terminal.wait("the focus on Add", lambda _s: any("Add" in run for run in focused_text(terminal)))
    terminal.keys("Enter")
    terminal.wait("the condition listed", lambda s: 'approval if: args.action eq "delete"' in s)
    terminal.keys("C-s")
    terminal.wait("the dialog closed", lambda s: "Conditions for" not in s)
    # The tool is denied by default: the editor asks, and Enter keeps it denied.
    terminal.wait("the keep-denied question", lambda s: "manage_flow is denied" in s)
    terminal.keys("Enter")
    terminal.wait("the question answered", lambda s: "manage_flow is denied" not in s)
    terminal.keys("C-s")
    terminal.wait("saved", lambda s: policy.exists() and "unsaved" not in s)
    rule = json.loads(policy.read_text(encoding="utf-8"))["tools"]["manage_flow"]
    assert rule == {
        "action": "deny",
        "require_approval_if": [{"path": "args.action", "op": "eq", "value": "delete"}],
    }


def test_filter_dialog_ticks_read_without_colour(terminal: Terminal, tmp_path: Path) -> None:
    open_kestra(terminal, tmp_path)
    terminal.keys("f")
    terminal.wait("the filter dialog", lambda s: "Filter tools" in s and "[ ] Destructive" in s)
    terminal.keys("Space")
    terminal.wait("Destructive ticked, in plain text", lambda s: "[x] Destructive" in s)
    terminal.keys("Tab", "Tab", "Tab", "Space")
    terminal.wait("the drift box ticked", lambda s: "[x] only new, changed or missing" in s)
    terminal.keys("Space", "C-s")
    terminal.wait("the filter applied", lambda s: "shown)" in s and not table_row(s, "search_apps"))


# ----- 8. every error that closes the editor is printed on the way out ----------------------


def test_invalid_policy_quit_prints_why(terminal: Terminal, tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "maybe"}', encoding="utf-8")
    terminal.start([*policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)], cwd=tmp_path)
    terminal.wait("the invalid-policy dialog", lambda s: "is not a valid policy" in s, timeout=30)
    terminal.keys("q")
    assert terminal.wait_exit() == 1
    screen = printed_after_exit(terminal, "policytui connect:", "is not a valid policy")
    assert f"policytui connect: {policy} is not a valid policy: default" in screen, screen
    assert "Traceback" not in screen
    assert policy.read_text(encoding="utf-8") == '{"version": "1", "default": "maybe"}'


# Four problems, each on a line of its own in the dialog.
INVALID = ('{"version": "1", "default": "maybe", "tools": {"a": {"action": "nope"}, '
           '"b": {"action": "sometimes"}, "c": {"limits": "many"}}}\n')
PROBLEMS = [
    'default: "maybe" is not one of allow, deny',
    'tools.a.action: "nope" is not one of allow, deny, require_approval',
    'tools.b.action: "sometimes" is not one of allow, deny, require_approval',
    'tools.c.limits: expected a list, not the text "many"',
]


def test_quit_from_the_invalid_policy_dialog_prints_every_problem(terminal: Terminal, tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(INVALID, encoding="utf-8")
    terminal.start([*policytui(), "connect", "--from", str(KESTRA), "--policy", str(policy)], cwd=tmp_path)
    terminal.wait("the dialog listing the problems",
                  lambda s: "is not a valid policy" in s and 'text "many"' in s and "Quit [q]" in s,
                  timeout=30)
    terminal.keys("q")
    assert terminal.wait_exit() == 1
    shown = printed_after_exit(terminal, *PROBLEMS)
    assert f"policytui connect: {policy} is not a valid policy: {PROBLEMS[0]}" in shown.replace("\n", ""), shown
    for problem in PROBLEMS:
        assert problem in shown, shown
    assert policy.read_text(encoding="utf-8") == INVALID


def test_missing_server_command_quit_prints_why(terminal: Terminal, tmp_path: Path) -> None:
    missing = "no-such-mcp-server-xyz"
    terminal.start([*policytui(), "connect", "--policy", str(tmp_path / "p.json"), "--", missing], cwd=tmp_path)
    terminal.wait("the failure dialog", lambda s: "Could not list the server's tools" in s, timeout=30)
    terminal.keys("q")
    assert terminal.wait_exit() == 1
    screen = printed_after_exit(terminal, "policytui connect:", missing)
    # One sentence, its second part begun in lower case as `policytui tools` says it.
    assert (f"policytui connect: could not list the server's tools: the server command '{missing}' was not "
            "found on PATH; install it or give its full path.") in screen.replace("\n", ""), screen
    assert "Traceback" not in screen


@pytest.mark.parametrize("key", ["C-q", "C-c"], ids=["ctrl+q", "ctrl+c"])
def test_quitting_the_failure_dialog_by_ctrl_q_or_ctrl_c_prints_why(terminal: Terminal, tmp_path: Path, key: str) -> None:
    """The keys the footer and the help give for quitting end the editor from the failure
    dialog as its Quit does: the reason stays on the terminal and the status is 1. ctrl+q
    exited 0 and the reason went with the screen; ctrl+c did nothing."""
    missing = "no-such-mcp-server-xyz"
    terminal.start([*policytui(), "connect", "--policy", str(tmp_path / "p.json"), "--", missing], cwd=tmp_path)
    terminal.wait("the failure dialog", lambda s: "Could not list the server's tools" in s, timeout=30)
    terminal.keys(key)
    assert terminal.wait_exit() == 1
    screen = printed_after_exit(terminal, "policytui connect:", missing)
    assert "policytui connect: could not list the server's tools:" in screen and missing in screen, screen
    assert "Traceback" not in screen and not (tmp_path / "p.json").exists()


def test_a_server_that_dies_at_start_has_its_last_words_printed_on_quit(terminal: Terminal, tmp_path: Path) -> None:
    """The dialog shows the server's stderr; quitting from it keeps those lines on the terminal,
    as `policytui tools` prints them, since they usually hold the real error."""
    server = Path(__file__).resolve().parent / "servers" / "misbehaving" / "exits_at_start.py"
    terminal.start([*policytui(), "connect", "--policy", str(tmp_path / "p.json"), "--", sys.executable, str(server)],
                   cwd=tmp_path)
    terminal.wait("the failure dialog with the server's stderr",
                  lambda s: "Could not list the server's tools" in s and "KESTRA_BASE_URL is not set" in s, timeout=30)
    terminal.keys("q")
    assert terminal.wait_exit() == 1
    screen = printed_after_exit(terminal, "policytui connect:", "  | fatal: KESTRA_BASE_URL")
    assert "policytui connect: could not list the server's tools: server 'exits_at_start.py' exited with code 3" \
        in screen.replace("\n", ""), screen
    assert ("Last lines the server wrote to stderr:\n  | Loading configuration...\n"
            "  | fatal: KESTRA_BASE_URL is not set; cannot start") in screen, screen
    assert "Traceback" not in screen


def test_connect_without_a_terminal_refuses_with_a_sentence(tmp_path: Path) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [*policytui(), "connect", "--from", str(KESTRA), "--policy", str(tmp_path / "p.json")],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert "\x1b" not in result.stdout  # no screen drawn into the pipe
    assert time.monotonic() - started < 20
    # Refused before any server is started: a server command never runs.
    marker = tmp_path / "server-started"
    connect = subprocess.Popen(
        [*policytui(), "connect", "--policy", str(tmp_path / "p.json"), "--", "/bin/sh", "-c", f'touch "{marker}"'],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        start_new_session=True,
    )
    _out, err = connect.communicate(timeout=60)
    assert connect.returncode == 2 and "needs a terminal" in err, err
    # A server it had started would be in its session (its id is connect's process id) until
    # it had run: once none of the session is left, the marker is there or never will be.
    deadline = time.monotonic() + 60
    while in_session(connect.pid):
        assert time.monotonic() < deadline, "a process of connect's session still runs"
        time.sleep(0.05)
    assert not marker.exists(), "a server was started for an editor that cannot run"


def in_session(session: int) -> list[int]:
    """The processes of session `session` still running (zombies are done)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found



def test_connect_with_standard_error_redirected_refuses_with_a_sentence(terminal: Terminal, tmp_path: Path) -> None:
    """`connect 2> log.txt` in a terminal: the editor draws on standard error, so it would draw
    into the file and leave the terminal blank. It refuses in one sentence, into that file."""
    log = tmp_path / "log.txt"
    command = shlex.join([*policytui(), "connect", "--from", str(KESTRA), "--policy", str(tmp_path / "p.json")])
    terminal.start(["sh", "-c", f"{command} 2> {shlex.quote(str(log))}"], cwd=tmp_path)
    assert terminal.wait_exit(timeout=30) == 2
    text = log.read_text(encoding="utf-8")
    assert "draws on standard error" in text and text.count("\n") == 1 and "\x1b" not in text, text

# ----- 9. keys typed in one burst take effect in the order they were typed ------------------


def test_a_filter_typed_in_one_burst_selects_the_tool_typed(terminal: Terminal, tmp_path: Path) -> None:
    """`/`, ctrl+u, a tool's name and Enter reach the editor in one read: the filter is the name,
    its tool is selected, and the keys typed behind Enter edit that tool."""
    policy = open_kestra(terminal, tmp_path)
    terminal.keys("G")
    terminal.wait("the last tool selected", lambda s: detail_tool(s) == "force_run_execution")

    terminal.burst("/", "C-u", *"search_logs", "Enter", "a")
    terminal.wait("the filter holding search_logs, and search_logs allowed",
                  lambda s: f"{KESTRA_TOOLS} tools (1 shown)" in s.splitlines()[0]
                  and s.splitlines()[1].strip() == "search_logs"  # the filter line
                  and re.search(r"\sallow(\s|$)", table_row(s, "search_logs")) is not None)

    # The filter open and holding text: ctrl+u, another name, Enter and `c` in one read.
    terminal.burst("/", *"manage")
    terminal.wait("the filter holding 'manage'", lambda s: "manage" in s.splitlines()[1]
                  and f"{KESTRA_TOOLS} tools (" in s.splitlines()[0]
                  and "(1 shown)" not in s.splitlines()[0])
    terminal.burst("C-u", *"manage_kv_store", "Enter", "c")
    terminal.wait("the conditions of manage_kv_store", lambda s: "Conditions for manage_kv_store" in s)
    terminal.keys("Escape")
    terminal.wait("the editor again", lambda s: "Conditions for" not in s)

    terminal.keys("C-s")
    terminal.wait("the policy saved", lambda s: policy.exists() and "unsaved" not in s)
    assert json.loads(policy.read_text(encoding="utf-8"))["tools"] == {"search_logs": {}}


def test_keys_typed_behind_the_key_that_opens_a_dialog_go_into_it(terminal: Terminal, tmp_path: Path) -> None:
    """`l50` in one read: the limits dialog opens with 50 in its maximum, as when typed slowly;
    Enter then adds the limit and ctrl+s applies it (the keys used to be lost while the dialog
    took its focus)."""
    policy = open_kestra(terminal, tmp_path)
    terminal.wait("the policy loaded", lambda s: "✓ valid" in s.splitlines()[0])
    terminal.keys("j")
    terminal.wait("the second tool selected", lambda s: detail_tool(s) == "invite_user")
    first = "invite_user"
    terminal.burst("l", "5", "0", "Enter", "C-s")
    terminal.wait("the limits dialog closed with the limit applied",
                  lambda s: "Limits for" not in s and "50/minute" in table_row(s, first))
    terminal.keys("C-s")
    terminal.wait("the policy saved", lambda s: policy.exists() and "unsaved" not in s)
    saved = json.loads(policy.read_text(encoding="utf-8"))
    assert [limit["max"] for limit in saved["tools"][first]["limits"]] == [50], saved


def test_keys_for_a_dialog_survive_the_terminal_shrinking_as_it_opens(terminal: Terminal, tmp_path: Path) -> None:
    """`l5`, and the terminal shrinks under the minimum while the dialog opens: once it grows
    again the dialog holds the 5 (it went to the too-small notice and was lost)."""
    open_kestra(terminal, tmp_path)
    terminal.wait("the policy loaded", lambda s: "✓ valid" in s.splitlines()[0])
    terminal.burst("l", "5")
    # Aimed at the dialog's opening, not a wait for anything (its opening cannot be seen from
    # here): whichever comes first, the keys or the resize, the dialog ends up holding the 5.
    # test_tui_typing.py holds the keys at the exact moment.
    time.sleep(0.05)
    terminal.resize(30, 8)
    terminal.wait("the too-small notice", lambda s: "needs 40x12" in " ".join(s.split()))
    terminal.resize(100, 30)
    terminal.wait("the limits dialog with 5 in its maximum",
                  lambda s: any(line.lstrip("│ ").startswith("5 ") for line in s.splitlines()
                                if "minute" in line))


def test_a_tick_and_ctrl_s_in_one_burst_apply_the_tick(terminal: Terminal, tmp_path: Path) -> None:
    """`f Down Down Space ctrl+s` in one read: the filter ticked (Read, the third category) is
    the filter applied, as typed slowly; ctrl+s used to apply the dialog before the tick, and
    a bulk edit typed next then reached every tool instead of the Read ones."""
    open_kestra(terminal, tmp_path)
    terminal.wait("the policy loaded", lambda s: "✓ valid" in s.splitlines()[0])
    terminal.burst("f", "Down", "Down", "Space", "C-s")
    screen = terminal.wait("the filter applied", lambda s: "shown)" in s.splitlines()[0] and "Filter tools" not in s)
    rows = [line for line in screen.splitlines()[2:20] if re.match(r"^ [a-z_]+ +[A-Z][a-z]+ ", line)]
    assert rows and all(line.split()[1] == "Read" for line in rows), rows


def detail_tool(screen: str) -> str:
    """The tool the Tool panel shows: the first line under the panels' tab underline."""
    lines = screen.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.lstrip().startswith("╸━") or line.lstrip().startswith("━"):
            return lines[i + 1].strip()
    return ""


def test_edit_keys_typed_as_the_rows_appear_wait_for_the_policy(terminal: Terminal, tmp_path: Path) -> None:
    """The rows show before the policy is read (at 5,000 tools, for a good part of a second):
    `Down a Down a` typed as soon as they appear allows the second and third tools once it is
    read, as typed later (the `a`s did nothing and only the moves went through)."""
    kestra = json.loads(KESTRA.read_text(encoding="utf-8"))
    tools = kestra["tools"]
    many = [{**tools[i % len(tools)], "name": f"{tools[i % len(tools)]['name']}_{i:05d}"}
            for i in range(5000)]
    snapshot = tmp_path / "many.json"
    snapshot.write_text(json.dumps({"tools": many}), encoding="utf-8")
    policy = tmp_path / "policy.json"
    terminal.start([*policytui(), "connect", "--from", str(snapshot), "--policy", str(policy)],
                   cwd=tmp_path, size=(100, 30))
    screen = terminal.wait("the first rows", lambda s: bool(table_row(s, many[0]["name"])), timeout=30)
    terminal.burst("Down", "a", "Down", "a")
    terminal.note(f"rows seen with the policy {'read' if '✓ valid' in screen else 'not read yet'}")
    second, third = many[1]["name"], many[2]["name"]
    terminal.wait("the second and third tools allowed",
                  lambda s: re.search(r"\sallow(\s|$)", table_row(s, second)) is not None
                  and re.search(r"\sallow(\s|$)", table_row(s, third)) is not None)
    terminal.keys("C-s")
    terminal.wait("the policy saved", lambda s: policy.exists() and "unsaved" not in s)
    rules = json.loads(policy.read_text(encoding="utf-8"))["tools"]
    assert rules == {second: {}, third: {}}, rules  # listed: allowed (the default denies)


def test_escape_and_a_control_key_in_one_read_are_both_typed(terminal: Terminal, tmp_path: Path) -> None:
    """Esc then Enter (or ctrl+s) reaching the editor in one read, as over a slow link: Esc
    cancels the dialog and the key behind it goes to the editor. A terminal sends Alt+key as
    Esc then the key, and the Esc was dropped: Enter added the limit typed in the dialog being
    cancelled, and ctrl+s applied the dialog instead of saving the file."""
    policy = open_kestra(terminal, tmp_path)
    terminal.wait("the policy loaded", lambda s: "✓ valid" in s.splitlines()[0])
    first = "backfill_executions"
    for control in ("0d", "13"):  # Enter, ctrl+s
        terminal.keys("l")
        terminal.wait("the limits dialog", lambda s: "Limits for" in s)
        terminal.keys("7")
        terminal.wait("7 in the dialog's maximum", lambda s: any(
            line.lstrip("│ ").startswith("7 ") for line in s.splitlines() if "minute" in line))
        terminal.note(f"send-keys -H 1b {control}")
        terminal.tmux("send-keys", "-H", "1b", control)  # one write: one read
        terminal.wait("the dialog cancelled", lambda s: "Limits for" not in s)
    terminal.wait("the policy saved by the ctrl+s", lambda s: policy.exists() and "(new)" not in s)
    screen = terminal.screen()
    assert "/minute" not in table_row(screen, first), screen
    assert "limits" not in json.dumps(json.loads(policy.read_text(encoding="utf-8")).get("tools", {}))


def test_escape_enter_escape_in_one_read_cancels_the_dialog(terminal: Terminal, tmp_path: Path) -> None:
    """Esc, Enter and Esc in one read (a script, a slow link): the first Esc cancels the preset
    dialog. Textual reads an Esc followed by another in the same read as `^`, so the Enter
    applied the preset the Esc was to cancel and replaced every rule."""
    open_kestra(terminal, tmp_path)
    terminal.wait("the policy loaded", lambda s: "✓ valid" in s.splitlines()[0])
    terminal.keys("p")
    terminal.wait("the preset dialog", lambda s: "Apply a preset" in s)
    terminal.note("send-keys -H 1b 0d 1b")
    terminal.tmux("send-keys", "-H", "1b", "0d", "1b")  # one write: one read
    terminal.wait("the dialog cancelled", lambda s: "Apply a preset" not in s)
    # The Enter and the last Esc have done what they do once a key typed after them has:
    # j moves the cursor down from the first row to the second.
    lines = terminal.screen().splitlines()
    first = next(i for i, line in enumerate(lines) if line == table_row(terminal.screen(), "backfill_executions"))
    second = lines[first + 1].split()[0]
    terminal.keys("j")
    terminal.wait(f"the cursor moved down to {second} by j", lambda _s: cursor_row_highlighted(terminal, second))
    screen = terminal.screen()
    assert "unsaved" not in screen.splitlines()[0], screen
    assert "Applied preset" not in screen, screen
    assert re.search(r"\sdeny\*", table_row(screen, "backfill_executions")), screen


def test_escape_and_b_or_f_in_one_read_are_both_typed(terminal: Terminal, tmp_path: Path) -> None:
    """Esc then `b` (or `f`) reaching the editor in one read, typed fast or by a script: Esc
    closes the dialog, or drops the marks, and the letter opens the bulk (or filter) dialog.
    Textual reads Esc b and Esc f together as ctrl+left and ctrl+right (iTerm's Option+arrow
    word moves), so both keys did nothing: the "Allow by default?" question stayed open and
    the marks stayed marked."""
    open_kestra(terminal, tmp_path)
    terminal.wait("the policy loaded", lambda s: "✓ valid" in s.splitlines()[0])
    terminal.keys("D")
    terminal.wait("the question before allowing by default", lambda s: "Allow by default?" in s)
    terminal.note("send-keys -H 1b 62")
    terminal.tmux("send-keys", "-H", "1b", "62")  # Esc b, one write: one read
    terminal.wait("the question cancelled and the bulk dialog open",
                  lambda s: "Allow by default?" not in s and "Bulk decision" in s)
    terminal.keys("Escape")
    terminal.wait("the bulk dialog closed", lambda s: "Bulk decision" not in s)
    terminal.keys("Space")
    terminal.wait("a tool marked", lambda s: "(1 marked)" in s)
    terminal.note("send-keys -H 1b 66")
    terminal.tmux("send-keys", "-H", "1b", "66")  # Esc f
    terminal.wait("the marks dropped and the filter dialog open",
                  lambda s: "(1 marked)" not in s and "Filter tools" in s)
    screen = terminal.screen()
    assert "default deny" in screen.splitlines()[0], screen
    assert "unsaved" not in screen.splitlines()[0], screen


def test_escape_and_a_digit_in_one_read_are_both_typed(terminal: Terminal, tmp_path: Path) -> None:
    """Esc then `3` in one read shows the JSON panel, and Esc then `5` in the Try panel's tool
    field leaves it and comes back to it. Textual reads Esc and a digit together as the
    character a Mac's Option and that digit type (Esc 3 is `£`, Esc 5 `∞`): the panel stayed as
    it was, and in the Try panel `∞` replaced the tool's name."""
    open_kestra(terminal, tmp_path)
    terminal.wait("the policy loaded", lambda s: "✓ valid" in s.splitlines()[0])
    terminal.note("send-keys -H 1b 33")
    terminal.tmux("send-keys", "-H", "1b", "33")  # Esc 3, one write: one read
    terminal.wait("the JSON panel", lambda s: '"version": "1"' in s)
    terminal.keys("5")
    terminal.wait("the Try panel naming the selected tool",
                  lambda s: re.search(r"^\s*tool\s+backfill_executions\s*$", s, re.M) is not None)
    terminal.note("send-keys -H 1b 35")
    terminal.tmux("send-keys", "-H", "1b", "35")  # Esc 5
    terminal.type("x")  # typed after the Esc 5: in the tool field, in place of the name 5 selected
    screen = terminal.wait("x typed over the name the second 5 selected",
                           lambda s: re.search(r"^\s*tool\s+x\s*$", s, re.M) is not None)
    assert "∞" not in screen, screen
