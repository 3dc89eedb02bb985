"""The editor's export dialog shows the same table of what a format loses as the CLI."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import load_server_fixture
from textual import events
from tui_support import until

from policytui.toolinfo import ServerListing
from policytui.tui import PolicyApp, make_app


def screen_text(app: PolicyApp) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def test_export_dialog_lists_what_the_format_loses(tmp_path: Path) -> None:
    data = load_server_fixture("kestra-head-14fe3a3")
    listing = ServerListing.from_tool_dicts(data["tools"], server_name="kestra")
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps({"version": "1", "default": "deny", "tools": {"invite_user": {"action": "require_approval"}}}),
        encoding="utf-8",
    )
    app = make_app(policy_path=policy, listing=listing)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.loaded.wait()
        await pilot.pause()
        await pilot.press("E")
        await until(lambda: "What PolicyLayer cannot hold as written" in screen_text(app), "the export dialog's table",
                    shows=lambda: screen_text(app))
        text = screen_text(app)
        assert "What PolicyLayer cannot hold as written (1)" in text
        assert "tools.invite_user.action" in text and "what PolicyLayer does instead" in text


async def test_export_dialog_at_60x20_shows_whole_messages_and_its_buttons(tmp_path: Path) -> None:
    """At 60x20 the rules and what the target does instead were squeezed side by side into one
    cut-off word a line; now each rule has a line of its own, the list scrolls from the
    keyboard, and the buttons stay on screen."""
    data = load_server_fixture("kestra-head-14fe3a3")
    listing = ServerListing.from_tool_dicts(data["tools"], server_name="kestra")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {
        name: {"action": "require_approval"}
        for name in ("invite_user", "execute_flow", "manage_flow", "change_taskrun_state")}}),
        encoding="utf-8")
    app = make_app(policy_path=policy, listing=listing)
    async with app.run_test(size=(60, 20)) as pilot:
        await app.loaded.wait()
        await pilot.pause()
        await pilot.press("E")

        def shown(line: str) -> bool:
            return any(row.strip(" │").strip() == line for row in screen_text(app).splitlines())

        # The rule on a line of its own, and what the target does instead read as whole lines
        # of words under it: the dialog lays its list out again once it knows its width.
        await until(lambda: shown("tools.invite_user.action")
                    and shown("needs human approval, which PolicyLayer's format"),
                    "each rule on a line of its own, what PolicyLayer does instead under it",
                    shows=lambda: screen_text(app))
        text = screen_text(app)
        for label in ("Write file", "Copy to clipboard", "Close [esc]"):
            assert label in text, text
        # The list scrolls: Tab from the format and the file name reaches it, End shows the last.
        await pilot.press("tab", "tab", "end")
        await until(lambda: "tools.change_taskrun_state.action" in screen_text(app), "the list scrolled to its end",
                    shows=lambda: screen_text(app))
        assert "Close [esc]" in screen_text(app)


async def test_the_export_dialog_opens_again_on_the_format_chosen_last(tmp_path: Path) -> None:
    """Choosing Cedar, closing and opening the dialog again shows Cedar and its file name, where
    it went back to the first format each time it opened."""
    data = load_server_fixture("kestra-head-14fe3a3")
    listing = ServerListing.from_tool_dicts(data["tools"], server_name="kestra")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "deny"}), encoding="utf-8")
    app = make_app(policy_path=policy, listing=listing)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.loaded.wait()
        await pilot.press("E")
        await until(lambda: app.screen.id == "export-screen", "the export dialog")
        path_box = app.screen.query_one("#export-path")
        await until(lambda: path_box.value.endswith("policy.policylayer.json"), "the first format's file name",
                    shows=lambda: path_box.value)
        # The format list has the focus: open it, move down to the third format, choose it.
        await pilot.press("enter", "down", "down", "enter")
        await until(lambda: path_box.value.endswith("policy.cedar.json"), "Cedar's file name",
                    shows=lambda: path_box.value)
        await pilot.press("escape")
        await until(lambda: app.screen.id != "export-screen", "the dialog closed")
        await pilot.press("E")
        await until(lambda: app.screen.id == "export-screen", "the export dialog again")
        again = app.screen.query_one("#export-path")
        await until(lambda: again.value.endswith("policy.cedar.json"), "Cedar still chosen",
                    shows=lambda: again.value)
        assert str(app.screen.query_one("#export-format").value) == "cedar"


async def test_export_dialog_lists_a_refusal_another_unicode_spelling_would_pass(tmp_path: Path) -> None:
    """A deny_if on an accented name: Cedar compares texts as written, so the dialog's table
    says the tool is forbidden there, with the rule it comes from."""
    data = load_server_fixture("kestra-head-14fe3a3")
    listing = ServerListing.from_tool_dicts(data["tools"], server_name="kestra")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow", "tools": {"invite_user": {
        "deny_if": [{"path": "args.email", "op": "eq", "value": "josé@example.com"}]}}}, ensure_ascii=False),
        encoding="utf-8")
    app = make_app(policy_path=policy, listing=listing)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.loaded.wait()
        await pilot.press("E")
        await until(lambda: app.screen.id == "export-screen", "the export dialog")
        await pilot.press("enter", "down", "down", "enter")
        await until(lambda: "What ToolHive (Cedar) cannot hold as written" in screen_text(app), "Cedar's table",
                    shows=lambda: screen_text(app))
        text = " ".join(screen_text(app).split())
        assert "tools.invite_user.deny_if[0]" in text, text
        assert "another Unicode spelling" in text and "the tool is forbidden" in text, text


async def test_the_unicode_tables_are_built_off_the_ui_thread_once_the_editor_has_painted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tables the exports read Unicode spellings from (0.3-0.6 s to build) were built on the
    UI thread the first time E opened the export dialog; now a thread of their own builds them
    once the editor shows the policy, never before its first frame, and E finds them ready."""
    from policytui.export import normal_forms

    monkeypatch.setattr(normal_forms, "_built", None)  # as in a new process
    builders: list[threading.Thread] = []
    build = normal_forms._build

    def watched_build() -> normal_forms._Tables:
        builders.append(threading.current_thread())
        return build()

    monkeypatch.setattr(normal_forms, "_build", watched_build)
    data = load_server_fixture("kestra-head-14fe3a3")
    listing = ServerListing.from_tool_dicts(data["tools"], server_name="kestra")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow", "tools": {
        "list_flows": {"deny_if": [{"path": "args.namespace", "op": "eq", "value": "privé"}]}}},
        ensure_ascii=False), encoding="utf-8")
    app = make_app(policy_path=policy, listing=listing)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.first_frame.wait()
        assert not builders, "built before the editor's first frame"
        await app.loaded.wait()
        await until(normal_forms.tables_ready, "the tables built after the editor painted", timeout=60)
        assert [thread.name for thread in builders] == ["policytui-normal-forms"]
        await pilot.press("E")
        await until(lambda: "tools.list_flows.deny_if[0]" in screen_text(app), "the export dialog's table",
                    shows=lambda: screen_text(app))
        assert len(builders) == 1  # the dialog used the tables built, and built none itself


def _written_file_watch(path: Path) -> tuple[threading.Event, list[str]]:
    """Read `path` over and over in a thread while the keys go in: every content it was seen
    with, in order (a truncated or half-written file would show up here)."""
    stop = threading.Event()
    seen: list[str] = []

    def watch() -> None:
        while not stop.is_set():
            try:
                text = path.read_text(encoding="utf-8")
            except OSError:
                text = "<missing>"
            if not seen or seen[-1] != text:
                seen.append(text)
            stop.wait(0.002)

    threading.Thread(target=watch, daemon=True).start()
    return stop, seen


def _kestra_editor(tmp_path: Path) -> PolicyApp:
    data = load_server_fixture("kestra-head-14fe3a3")
    listing = ServerListing.from_tool_dicts(data["tools"], server_name="kestra")
    return make_app(policy_path=tmp_path / "policy.json", listing=listing)


async def _export_dialog_onto_an_earlier_file(app: PolicyApp, pilot: Any) -> Path:
    """Open the export dialog by its key, with a file already where it writes: that file."""
    await app.loaded.wait()
    await pilot.pause()
    await pilot.press("E")
    await until(lambda: bool(app.screen.query("#export-path")), "the export dialog")
    target = Path(app.screen.query_one("#export-path").value)
    target.write_text("an earlier file\n", encoding="utf-8")
    return target


async def _asked_whether_to_replace(app: PolicyApp, pilot: Any) -> Path:
    """The export dialog onto an earlier file, and ctrl+s: its question open; the file."""
    target = await _export_dialog_onto_an_earlier_file(app, pilot)
    await pilot.press("ctrl+s")
    await until(lambda: bool(_open_questions(app)), "the question whether to replace")
    return target


def _open_questions(app: PolicyApp) -> list[str]:
    return [screen.id or "" for screen in app.screen_stack if screen.id == "confirm-export-replace"]


def _result_note(app: PolicyApp) -> str:
    """What the export dialog's result area says now."""
    return str(app.screen.query_one("#export-result").render())


@pytest.mark.parametrize("answer", ["y", "enter"])
async def test_ctrl_s_again_while_asked_to_replace_neither_stacks_the_question_nor_answers_it(
    tmp_path: Path, answer: str
) -> None:
    """ctrl+s on an export file that is already there asks whether to replace it. A second
    ctrl+s (typed right behind, or later while the question is up) used to be the yes: the
    file was replaced before the question could be read. Now ctrl+s does nothing while the
    question is open; only Replace (`y`) replaces, once, and Enter keeps the file."""
    app = _kestra_editor(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        target = await _export_dialog_onto_an_earlier_file(app, pilot)
        stop, seen = _written_file_watch(target)
        try:
            await pilot.press("ctrl+s", "ctrl+s")  # one burst, as a double tap sends them
            await until(lambda: bool(_open_questions(app)), "the question whether to replace",
                        shows=lambda: screen_text(app))
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("ctrl+s")  # again, with the question in view
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert _open_questions(app) == ["confirm-export-replace"], app.screen_stack
            assert "Replace policy.policylayer.json?" in screen_text(app)
            assert target.read_text(encoding="utf-8") == "an earlier file\n"
            await pilot.press(answer)
            await until(lambda: not _open_questions(app), "the question answered")
            await app.workers.wait_for_complete()
            if answer == "y":
                await until(lambda: "wrote " in _result_note(app), "the export written",
                            shows=lambda: _result_note(app))
            else:
                await until(lambda: "Not replaced:" in _result_note(app), "the file kept",
                            shows=lambda: _result_note(app))
            assert type(app.screen).__name__ == "ExportScreen"
            await pilot.press("ctrl+s")  # the dialog is the export's again: it asks once more
            await until(lambda: bool(_open_questions(app)), "the question asked again")
            await pilot.press("n")
            await until(lambda: not _open_questions(app), "the question cancelled")
            await app.workers.wait_for_complete()
            await pilot.pause()
        finally:
            stop.set()
        final = target.read_text(encoding="utf-8")
        if answer == "y":
            assert json.loads(final)["version"] == "1"
        else:
            assert final == "an earlier file\n"
        # Written once or not at all, and never seen cut short on the way.
        assert seen == (["an earlier file\n", final] if answer == "y" else ["an earlier file\n"])


async def test_ctrl_s_twice_and_y_in_one_burst_replace_the_file_once_and_ask_nothing_more(tmp_path: Path) -> None:
    """A double-tapped ctrl+s and the `y` typed straight after: the second ctrl+s, still
    waiting for the keys before it when the question was answered, asked again about the file
    just written (the browser editor under load left that question open). One write, one
    question, then the export dialog as it was."""
    app = _kestra_editor(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        target = await _export_dialog_onto_an_earlier_file(app, pilot)
        await pilot.press("ctrl+s", "ctrl+s", "y")
        await until(lambda: "wrote " in _result_note(app), "the export written", shows=lambda: _result_note(app))
        for _ in range(20):  # whatever was still to come of the burst has come
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert not _open_questions(app), screen_text(app)
        assert type(app.screen).__name__ == "ExportScreen"
        assert '"version": "1"' in target.read_text(encoding="utf-8")


async def test_a_ctrl_s_typed_to_the_question_just_before_y_never_asks_again(tmp_path: Path) -> None:
    """ctrl+s and `y` read together while the question is open: the ctrl+s was typed to the
    question, where it does nothing. Its binding is looked up once the key is back up at the
    app; with the app's queue busy (the browser editor under load), `y` had closed the
    question by then, the export dialog was on top, and its ctrl+s asked again about the file
    just written. The keys are posted as the terminal driver posts one read of them, with
    the app busy for a moment behind them, as it is while it redraws the screen for a browser."""
    app = _kestra_editor(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        target = await _asked_whether_to_replace(app, pilot)
        await pilot.pause()
        app.post_message(events.Key("ctrl+s", None))
        app.post_message(events.Key("y", "y"))
        app.call_later(asyncio.sleep, 0.2)  # what else the app has to do meanwhile
        await until(lambda: '"version": "1"' in target.read_text(encoding="utf-8"), "the export written")
        for _ in range(20):  # whatever was still to come of the keys has come
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert not _open_questions(app), screen_text(app)
        assert type(app.screen).__name__ == "ExportScreen"
        assert "wrote " in _result_note(app)


async def test_enter_on_cancel_with_a_y_behind_it_keeps_the_file(tmp_path: Path) -> None:
    """The question opens on Cancel: Enter keeps the file, and a `y` typed right behind
    reaches the export dialog, where nothing asks any more. Read together, the question took
    the `y` (Replace) on its own queue while Enter's press was still on its way up, and the
    file the user chose to keep was replaced."""
    app = _kestra_editor(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        target = await _asked_whether_to_replace(app, pilot)
        await until(lambda: app.focused is not None and app.focused.id == "choice-cancel", "Cancel focused")
        app.post_message(events.Key("enter", "\r"))
        app.post_message(events.Key("y", "y"))
        app.call_later(asyncio.sleep, 0.2)  # what else the app has to do meanwhile

        def answered() -> bool:
            return (type(app.screen).__name__ == "ExportScreen"
                    and ("Not replaced:" in _result_note(app) or "wrote " in _result_note(app)))

        await until(answered, "the question answered", shows=lambda: screen_text(app))
        for _ in range(20):  # whatever was still to come of the keys has come
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert target.read_text(encoding="utf-8") == "an earlier file\n", "Enter chose Cancel; the y behind it replaced"
        assert not _open_questions(app), screen_text(app)
        assert type(app.screen).__name__ == "ExportScreen"
        assert "Not replaced:" in _result_note(app)


def _click_as_the_terminal_sends_it(app: PolicyApp, selector: str) -> None:
    """Post a click on the widget `selector` of the screen on top as the terminal driver posts
    one: the button pressed and released on its first cell (the app makes the Click of them).
    Unlike `pilot.click`, nothing waits for the app to be idle first."""
    region = app.screen.query_one(selector).region
    where = {"x": region.x, "y": region.y, "delta_x": 0, "delta_y": 0, "button": 1, "shift": False,
             "meta": False, "ctrl": False, "screen_x": region.x, "screen_y": region.y}
    app.post_message(events.MouseDown(None, **where))  # type: ignore[arg-type]
    app.post_message(events.MouseUp(None, **where))  # type: ignore[arg-type]


@pytest.mark.parametrize("typed_first", ["", "y"])
async def test_a_click_on_the_question_just_before_the_terminal_shrinks_answers_it_once_then_the_notice_shows(
    tmp_path: Path, typed_first: str
) -> None:
    """A click on the question's Cancel (after a `y`, or alone), and the terminal made smaller
    than the editor can be used in, read together. The notice once came over the question
    before the click's press had made its way up to it; the press then closed the screen on
    top, which was the notice, and a `y` behind it answered the question a second time (a
    traceback). What came before the shrink takes effect first, once, as it would in a
    terminal that stayed large: the question is answered once (the click's Cancel keeps the
    file), then the notice comes over the export dialog, and once the terminal grows the
    dialog says what became of the file."""
    app = _kestra_editor(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        target = await _asked_whether_to_replace(app, pilot)
        await pilot.pause()
        if typed_first:
            app.post_message(events.Key(typed_first, typed_first))
        _click_as_the_terminal_sends_it(app, "#choice-cancel")
        await pilot.resize_terminal(30, 10)
        for _ in range(20):  # whatever was still to come of the keys and the click has come
            await app.workers.wait_for_complete()
            await pilot.pause()
        await until(lambda: "needs 40x12" in " ".join(screen_text(app).split()), "the notice drawn",
                    shows=lambda: screen_text(app))
        stack = [type(screen).__name__ for screen in app.screen_stack]
        assert stack == ["MainScreen", "ExportScreen", "TooSmallScreen"], stack
        await pilot.resize_terminal(100, 30)
        await until(lambda: type(app.screen).__name__ == "ExportScreen", "the export dialog back on top")
        # Answered once: by the click's Cancel, or (`y` first) by whichever of the two reached
        # the question first, the other finding no question.
        await until(lambda: "Not replaced:" in _result_note(app) or "wrote " in _result_note(app),
                    "the answer's result", shows=lambda: screen_text(app))
        kept = "Not replaced:" in _result_note(app)
        assert kept or typed_first, _result_note(app)
        written = target.read_text(encoding="utf-8")
        assert written == "an earlier file\n" if kept else '"version": "1"' in written, written
        assert not _open_questions(app), app.screen_stack


@pytest.mark.parametrize("typed", ["", "exports", "new/"])
async def test_an_empty_file_name_or_a_folder_is_refused_in_one_sentence_before_any_question(
    tmp_path: Path, typed: str
) -> None:
    """The file field emptied, or naming a folder (the user meant "put it there"): ctrl+s
    asked "Replace ?" / "Replace exports?" as if a file were there, and Replace ended in
    "Not exported: cannot write .: device or resource busy" (`is a directory` for a folder).
    A folder that does not exist, typed with its slash (`new/`), was written as a file named
    `new`. Now the dialog says what to type, as `export -o FOLDER` does, and asks nothing."""
    folder = tmp_path / "exports"
    folder.mkdir()
    app = _kestra_editor(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.loaded.wait()
        await pilot.pause()
        await pilot.press("E")
        await until(lambda: bool(app.screen.query("#export-path")), "the export dialog")
        dialog = app.screen
        await pilot.click("#export-path")
        await pilot.press("end", "ctrl+u")
        written = str(folder) if typed == "exports" else f"{tmp_path}/{typed}" if typed else ""
        await pilot.press(*written, "ctrl+s")
        expected = {
            "": "Type the name of the file to write the export to.",
            "exports": f"{folder} is a folder; give a file name for the export.",
            "new/": f"{written} ends in a slash, so it names a folder; give a file name for the export.",
        }[typed]
        await until(lambda: expected in str(dialog.query_one("#export-result").render()),
                    "the sentence saying what to type",
                    shows=lambda: screen_text(app))
        for _ in range(5):  # anything still to come of the key has come
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert not _open_questions(app), screen_text(app)
        assert type(app.screen).__name__ == "ExportScreen", app.screen_stack
    assert sorted(path.name for path in tmp_path.iterdir()) == ["exports"]
    assert list(folder.iterdir()) == []


async def test_a_rule_longer_than_its_column_is_shown_whole_on_more_lines(tmp_path: Path) -> None:
    """The dialog's table gives the rule at most 40 columns, and cut a longer one with an
    ellipsis: `tools.change_taskrun_state.require_appro…` left the reader to guess whether
    `require` or `require_approval_if` was exported otherwise. The rule now goes on over the
    next lines, as `policytui export` prints it."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow", "tools": {"change_taskrun_state": {
        "require_approval_if": [{"path": "args.state", "op": "eq", "value": "FAILED"}]}}}), encoding="utf-8")
    app = _kestra_editor(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.loaded.wait()
        await pilot.pause()
        await pilot.press("E")
        await until(lambda: "what PolicyLayer does instead" in screen_text(app), "the export dialog's table",
                    shows=lambda: screen_text(app))
        lines = screen_text(app).splitlines()
        header = next(n for n, line in enumerate(lines) if "what PolicyLayer does instead" in line)
        start = lines[header].index("rule")
        end = lines[header].index("what PolicyLayer does instead")
        below = lines[header + 1:]
        below = below[:next(n for n, line in enumerate(below) if "Write file" in line)]
        cells = [line[start:end].strip() for line in below]
        assert not [cell for cell in cells if "…" in cell], "\n".join(lines[header:])
        assert "tools.change_taskrun_state.require_approval_if" in "".join(cells), "\n".join(lines[header:])


async def test_the_dialog_says_when_the_export_holds_changes_not_saved(tmp_path: Path) -> None:
    """The export is of the policy as edited. It did not say so: a user who exported after an
    edit and quit without saving held an export its policy file did not match. With unsaved
    changes the dialog's title says they are included; saved, it says nothing of the kind."""
    (tmp_path / "policy.json").write_text(json.dumps({"version": "1", "default": "deny"}), encoding="utf-8")
    note = "unsaved edits included"
    app = _kestra_editor(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.loaded.wait()
        await pilot.pause()
        await pilot.press("E")
        await until(lambda: "Export to another gateway" in screen_text(app), "the export dialog",
                    shows=lambda: screen_text(app))
        assert note not in screen_text(app)  # nothing edited yet
        await pilot.press("escape")
        await until(lambda: "Export to another gateway" not in screen_text(app), "the dialog closed",
                    shows=lambda: screen_text(app))
        await pilot.press("a")  # allow the selected tool: an edit not saved
        await until(lambda: app.state is not None and app.state.dirty, "the edit")
        await pilot.press("E")
        await until(lambda: note in screen_text(app), "the note on unsaved changes", shows=lambda: screen_text(app))
        await pilot.press("escape")
        await pilot.press("ctrl+s")
        await until(lambda: app.state is not None and not app.state.dirty, "the save")
        await pilot.press("E")
        await until(lambda: "Export to another gateway" in screen_text(app), "the export dialog",
                    shows=lambda: screen_text(app))
        assert note not in screen_text(app)
