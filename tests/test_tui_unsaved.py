"""Which ways out of the editor keep unsaved changes: every one but the user's own "Quit
without saving" (and a save, which leaves nothing unsaved). The line `policytui connect` or
`serve` prints is `keep_unsaved_work()`'s; the real program's signals and browsers are in
tests/test_tui_unsaved_tmux.py and tests/test_serve_unsaved.py."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_tui_app import SIZE, kestra, ready, screen_text, until
from textual import events, messages
from textual.widgets import Input

from policytui.tui import make_app
from policytui.tui.app import MainScreen
from policytui.tui.table import ToolTable


@pytest.fixture(autouse=True)
def own_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def kept(folder: Path) -> list[Path]:
    return sorted(folder.glob("policy.json.unsaved-*.json"))


async def test_an_editor_ended_from_outside_keeps_its_unsaved_changes(tmp_path: Path) -> None:
    """As textual-serve's "quit" does, with the unsaved-changes question open."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d", "ctrl+q")
        await pilot.pause()
        assert app.screen.id == "confirm-quit"
        app.post_message(messages.ExitApp())
        await pilot.pause()
    line = app.keep_unsaved_work()
    (path,) = kept(tmp_path)
    assert line == ("policytui connect: the editor had unsaved changes to policy.json; "
                    f"they were kept in {path}")
    assert json.loads(path.read_text(encoding="utf-8"))["tools"]
    assert app.keep_unsaved_work() is None, "kept once"
    assert not (tmp_path / "policy.json").exists()


@pytest.mark.parametrize("slow", [False, True], ids=["at-once", "slow-key"])
async def test_a_key_read_just_before_the_request_to_end_takes_effect_and_is_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow: bool) -> None:
    """`d`, then at once the request to end (textual-serve's "quit" on a reload or a closed
    window, SIGTERM to serve: the session driver posts it behind the keys it read): the `d`
    takes effect and is kept in a recovery file, even when it takes a second to reach the
    table. The request was handled before the key had: the editor ended with nothing unsaved,
    and the deny was lost without a word."""
    if slow:
        async def slow_key(self, event):  # type: ignore[no-untyped-def]
            if event.key == "d":
                await asyncio.sleep(1.0)

        monkeypatch.setattr(MainScreen, "on_key", slow_key, raising=False)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.panels_ready.wait()
        await until(lambda: app.focused is app.query_one(ToolTable), "the table focused")
        first = app.query_one(ToolTable).current_row.name
        app.post_message(events.Key("d", "d"))
        app.post_message(messages.ExitApp())
        await until(lambda: not app.is_running, "the editor ended")
    line = app.keep_unsaved_work()
    (path,) = kept(tmp_path)
    assert line == ("policytui connect: the editor had unsaved changes to policy.json; "
                    f"they were kept in {path}")
    assert json.loads(path.read_text(encoding="utf-8"))["tools"][first] == {"action": "deny"}
    assert not (tmp_path / "policy.json").exists()


async def test_quit_without_saving_keeps_nothing(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d", "ctrl+q", "q")
        await pilot.pause()
    assert app.keep_unsaved_work() is None
    assert kept(tmp_path) == []


async def test_save_and_quit_keeps_nothing_more(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d", "ctrl+q", "s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.keep_unsaved_work() is None
    assert kept(tmp_path) == [] and (tmp_path / "policy.json").exists()


async def test_the_next_editor_names_the_kept_file(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    first = make_app(policy_path=policy, listing=kestra())
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d")
    first.keep_unsaved_work()
    (path,) = kept(tmp_path)
    second = make_app(policy_path=policy, listing=kestra())
    async with second.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await second.workers.wait_for_complete()
        await pilot.pause()
        notes = [note.message for note in second._notifications]
    # The notice breaks the path after a `/` to fit its width: joined again, it is the path.
    assert any(str(path) in note.replace("\n", "") and "were kept" in note for note in notes), notes


async def test_a_name_with_a_newline_or_escapes_is_said_whole_and_harmless(tmp_path: Path) -> None:
    """The line and the notice name the file that was written, not the part of its name before
    a newline (here: the policy's own folder and `policy.json`, another file), and no escape
    sequence in the name reaches the terminal."""
    policy = tmp_path / "policy.json\n\x1b]0;pwned\x07x.json"
    first = make_app(policy_path=policy, listing=kestra())
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d")
    line = first.keep_unsaved_work()
    assert line is not None
    (path,) = tmp_path.glob("policy.json*.unsaved-*.json")
    shown = str(path).replace("\n", "\u240a").replace("\x1b", "\u241b").replace("\x07", "\u2407")
    assert line.endswith(f"; they were kept in {shown}"), line
    assert "unsaved changes to policy.json\u240a\u241b]0;pwned\u2407x.json;" in line
    assert not any(character in line for character in "\n\x1b\x07")

    second = make_app(policy_path=policy, listing=kestra())
    async with second.run_test(size=(200, 40)) as pilot:
        await ready(pilot)
        await second.workers.wait_for_complete()
        await pilot.pause()
        notes = [note.message for note in second._notifications]
    assert any("stopped, in\n" in note and shown in note.replace("\n", "") for note in notes), notes


async def test_the_notice_waits_while_the_terminal_is_too_small(tmp_path: Path) -> None:
    """Under 40x12 one line says so, and the quit question goes on that line: the notice about a
    kept file (20 s from the moment the tools show) was drawn over both. It is back when the
    terminal grows."""
    policy = tmp_path / "policy.json"
    first = make_app(policy_path=policy, listing=kestra())
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d")
        await until(lambda: first.state is not None and first.state.dirty, "the edit")
    assert "they were kept in" in (first.keep_unsaved_work() or "")

    def shown() -> list[str]:
        return [line.strip() for line in screen_text(second).splitlines() if line.strip()]

    second = make_app(policy_path=policy, listing=kestra())
    async with second.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        # A word of the notice, not its path: a long path wraps anywhere.
        await until(lambda: "Compare," in screen_text(second), "the notice")
        await pilot.press("d")
        await pilot.resize_terminal(30, 10)
        await pilot.pause()
        assert " ".join(shown()) == "Too small: needs 40x12 · ctrl+q quits", shown()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert " ".join(shown()) == "Unsaved changes: s save and quit · q quit without saving · esc back", shown()
        await pilot.press("escape")
        await pilot.resize_terminal(*SIZE)
        await until(lambda: "Compare," in screen_text(second), "the notice back")


def test_ctrl_c_while_the_command_line_is_read_is_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """ctrl+c in the first moments of `policytui connect`, while its modules are imported and
    its arguments read, ends it as ctrl+c later does: status 130, no traceback."""
    import policytui.cli as cli

    def interrupted(argv: list[str] | None = None) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    monkeypatch.setattr(sys, "argv", ["policytui", "connect", "kestra"])
    try:
        cli.entry()
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt left entry(): the terminal shows its traceback")
    except SystemExit as ended:
        assert ended.code == cli.EXIT_INTERRUPTED
    else:
        pytest.fail("entry() returned")
    assert "Traceback" not in capsys.readouterr().err


# The editor run as `policytui connect` runs it (PolicyApp.run, its signal handlers), with no
# terminal: an edit, SIGTERM, and a second SIGTERM once the app's loop has closed but before
# anything is kept, where a user's second `kill` (or serve's) can land.
SECOND_SIGNAL = """
import os, signal, sys
from pathlib import Path

import textual.app
from test_tui_app import kestra, ready

from policytui.tui import make_app
from policytui.tui.app import MainScreen
from policytui.tui.table import ToolTable

textual_run = textual.app.App.run


def run_then_signalled(self, *args, **kwargs):
    try:
        return textual_run(self, *args, **kwargs)
    finally:
        os.kill(os.getpid(), signal.SIGTERM)


async def edit_then_stop(pilot):
    await ready(pilot)
    await pilot.press("d")
    os.kill(os.getpid(), signal.SIGTERM)


textual.app.App.run = run_then_signalled
app = make_app(policy_path=Path(sys.argv[1]), listing=kestra())
sys.exit(app.run(headless=True, size=(100, 30), auto_pilot=edit_then_stop))
"""


def test_a_second_sigterm_on_the_way_out_neither_loses_the_edits_nor_the_line(
    tmp_path: Path,
) -> None:
    policy = tmp_path / "policy.json"
    environment = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
                   "PYTHONPATH": str(Path(__file__).parent)}
    done = subprocess.run([sys.executable, "-c", SECOND_SIGNAL, str(policy)], env=environment,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    (path,) = kept(tmp_path)
    assert json.loads(path.read_text(encoding="utf-8"))["tools"]
    said = f"policytui connect: the editor had unsaved changes to policy.json; they were kept in {path}\n"
    assert said in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr


# SIGTERM after Textual has taken the terminal (the alternate screen, mouse reports, the cursor
# hidden) but before the app is mounted, where its own signal handlers are set up.
SIGNAL_BEFORE_MOUNT = """
import os, signal, sys
from pathlib import Path

from test_tui_app import kestra

from policytui.tui import make_app
from policytui.tui.app import MainScreen
from policytui.tui.table import ToolTable
from policytui.tui.app import PolicyApp

mounted = PolicyApp.on_mount


def signalled_then_mounted(self):
    os.kill(os.getpid(), signal.SIGTERM)
    mounted(self)


PolicyApp.on_mount = signalled_then_mounted
app = make_app(policy_path=Path(sys.argv[1]), listing=kestra())
sys.exit(app.run(headless=True, size=(100, 30)))
"""


def test_a_sigterm_before_the_editor_is_mounted_ends_it_the_usual_way(tmp_path: Path) -> None:
    """Killed on the spot there, the editor left the shell on the alternate screen with mouse
    reports on; it ends as a SIGTERM later does, through Textual's restoring of the terminal."""
    environment = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
                   "PYTHONPATH": str(Path(__file__).parent)}
    done = subprocess.run([sys.executable, "-c", SIGNAL_BEFORE_MOUNT, str(tmp_path / "policy.json")],
                          env=environment, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    assert kept(tmp_path) == []


@pytest.mark.parametrize("turns", range(4))
async def test_an_editor_ended_as_its_quit_question_opens_ends_without_an_error(tmp_path: Path, turns: int) -> None:
    """ctrl+q over an unsaved edit opens the question about it; the editor ended from outside
    in the same moment (its terminal closed) ends cleanly. Before, the question's setup looked
    for its buttons after the ending had taken them away, and the editor ended on an error
    (NoMatches '#choice-save') with its traceback."""
    import asyncio

    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d")
        await until(lambda: app.state is not None and app.state.dirty, "the edit")
        await app.action_quit()  # ctrl+q: the question is on its way
        while app.screen.id != "confirm-quit":
            await asyncio.sleep(0)
        for _ in range(turns):  # pushed, and not yet set up
            await asyncio.sleep(0)
        app.exit()
    assert app.return_code in (0, None)


async def test_ctrl_q_asks_first_while_a_dialog_holds_a_change_not_applied(tmp_path: Path) -> None:
    """A reason typed into the conditions dialog and not applied is lost by a quit as an
    unsaved edit is: ctrl+q asks, says how to keep it, and Cancel goes back to the dialog with
    the text still there. A dialog as it opened asks nothing."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await until(lambda: app.screen.id == "conditions-screen", "the conditions dialog")
        await pilot.pause()
        await pilot.click("#rule-reason")
        await pilot.press(*"needs a ticket")
        await pilot.press("ctrl+q")
        await until(lambda: app.screen.id == "confirm-quit", "the question")
        await pilot.pause()
        asked = screen_text(app)
        assert "The changes to the conditions for backfill_executions in the open" in asked, asked
        assert "Quit, dropping them [q]" in asked and "Cancel [esc]" in asked, asked
        assert "Save and quit" not in asked, "nothing else is unsaved, so nothing to save"
        await pilot.press("escape")
        await until(lambda: app.screen.id == "conditions-screen", "the dialog again")
        assert app.screen.query_one("#rule-reason", Input).value == "needs a ticket"
        await pilot.press("escape")  # the dialog cancelled: its change is dropped on purpose
        await until(lambda: app.screen is app.main, "the dialog closed")
        await pilot.press("c")
        await until(lambda: app.screen.id == "conditions-screen", "the conditions dialog again")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await until(lambda: not app.is_running, "the editor to quit without asking")
    assert kept(tmp_path) == [] and not (tmp_path / "policy.json").exists()


async def test_ctrl_q_asks_first_while_the_limits_dialog_holds_a_limit_not_added(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("l")
        await until(lambda: app.screen.id == "limits-screen", "the limits dialog")
        await pilot.pause()
        await pilot.press("5", "ctrl+q")  # into max calls, which has the focus
        await until(lambda: app.screen.id == "confirm-quit", "the question")
        await pilot.pause()
        assert "The changes to the limits for backfill_executions in the open" in screen_text(app)


async def test_the_question_under_a_too_small_notice_offers_what_it_offers(tmp_path: Path) -> None:
    """The "Unsaved changes" dialog open over a limit not added, with nothing else unsaved (so
    no Save and quit), and the terminal made too small: ctrl+q asks on the notice's line, which
    names the dialog's changes and takes no `s`. Before, the line offered "s save and quit",
    and `s` answered the dialog "save": the policy was written without the limit, and the
    editor quit."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("l")
        await until(lambda: app.screen.id == "limits-screen", "the limits dialog")
        await pilot.pause()
        await pilot.press("5", "ctrl+q")
        await until(lambda: app.screen.id == "confirm-quit", "the question")
        await pilot.resize_terminal(200, 10)
        await until(lambda: "Terminal too small" in screen_text(app), "the notice")
        await pilot.press("ctrl+q")
        await until(lambda: "quits" not in screen_text(app), "the question on the notice's line")
        said = " ".join(screen_text(app).split())
        assert said == ("The changes to the limits for backfill_executions in the open dialog are not "
                        "applied yet, and quitting drops them: q quit, dropping them · esc back, then "
                        "apply them (ctrl+s) to keep them"), said
        await pilot.press("s")
        await pilot.pause()
        assert app.is_running and " ".join(screen_text(app).split()) == said
        await pilot.press("q")
        await until(lambda: not app.is_running, "the editor to quit")
    assert not (tmp_path / "policy.json").exists() and kept(tmp_path) == []


async def test_the_small_terminals_question_names_a_dialogs_changes_beside_unsaved_edits(tmp_path: Path) -> None:
    """An unsaved edit and a limit typed in the dialog: the line offers Save and quit, as the
    dialog does, and says that quitting, a save too, drops the dialog's changes."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(240, 30)) as pilot:
        await ready(pilot)
        await pilot.press("d")
        await until(lambda: app.state is not None and app.state.dirty, "the edit")
        await pilot.press("l")
        await until(lambda: app.screen.id == "limits-screen", "the limits dialog")
        await pilot.pause()
        await pilot.press("5")
        await pilot.resize_terminal(240, 10)
        await until(lambda: "Terminal too small" in screen_text(app), "the notice")
        await pilot.press("ctrl+q")
        await until(lambda: "quits" not in screen_text(app), "the question on the notice's line")
        said = " ".join(screen_text(app).split())
        assert said == ("policy.json has unsaved changes, and the changes to the limits for "
                        "backfill_executions in the open dialog are not applied yet (quitting drops "
                        "them; esc back, then apply them with ctrl+s): s save and quit · q quit "
                        "without saving · esc back"), said
        await pilot.resize_terminal(60, 10)
        await pilot.press("escape")
        await pilot.press("ctrl+q")
        await until(lambda: "quits" not in screen_text(app), "the question, shorter")
        assert " ".join(screen_text(app).split()) == (
            "Unsaved changes, and a dialog's not applied (quitting drops them): s save and quit · "
            "q quit without saving · esc back")
        await pilot.press("q")
        await until(lambda: not app.is_running, "the editor to quit")
    assert not (tmp_path / "policy.json").exists() and kept(tmp_path) == []


@pytest.mark.parametrize("answer", ["q", "s", "ended from outside"])
async def test_a_dialogs_changes_are_said_lost_only_when_the_user_did_not_drop_them(
    tmp_path: Path, answer: str,
) -> None:
    """A limit typed and not applied: dropped by the user's own answer to the question that
    named it ("Quit, dropping them"; "Save and quit" beside an unsaved edit, which saves the
    edit without it), the way out says nothing; ended from outside (as textual-serve's "quit"
    or serve's stop does), its line says the dialog's changes were lost."""
    policy = tmp_path / "policy.json"
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        if answer == "s":
            await pilot.press("d")
            await until(lambda: app.state is not None and app.state.dirty, "the edit")
        await pilot.press("l")
        await until(lambda: app.screen.id == "limits-screen", "the limits dialog")
        await pilot.pause()
        await pilot.press("5")
        if answer == "ended from outside":
            app.post_message(messages.ExitApp())
        else:
            await pilot.press("ctrl+q")
            await until(lambda: app.screen.id == "confirm-quit", "the question")
            await pilot.press(answer)
        await until(lambda: not app.is_running, "the editor to end")
    line = app.keep_unsaved_work()
    if answer == "ended from outside":
        assert line == ("policytui connect: the editor had changes to the limits for backfill_executions "
                        "in an open dialog, not applied yet; they were lost (a dialog's changes are kept "
                        "once applied)")
    else:
        assert line is None
    assert kept(tmp_path) == []
    if answer == "s":
        assert "limits" not in json.loads(policy.read_text(encoding="utf-8"))["tools"]["backfill_executions"]
    else:
        assert not policy.exists()
