"""Every key the editor lists, in its footer, its help screen (`?`) or docs/tui.md, is in the
command palette: ctrl+p, its name or its key's name typed, and the palette lists "Name: what it
does" with the key under it first, before every other entry (so Enter runs it).

The list of keys is read where a person reads it (the footer and the help as drawn, the keys
table of docs/tui.md), not from the table of actions that builds the palette: a key bound on
the tool table (space, which marks a tool) was listed by the help and the docs but missing
from the palette, and a test that went over that table of actions alone could not see it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_tui_app import kestra, ready, screen_text, until
from textual.binding import Binding
from textual.command import CommandInput, CommandPalette
from tui_support import PaletteSearches, palette_search

from policytui.tui import PolicyApp, make_app
from policytui.tui.keys import help_line
from policytui.tui.table import ToolTable

DOCS = Path(__file__).resolve().parent.parent / "docs" / "tui.md"
README = Path(__file__).resolve().parent.parent / "README.md"
# Tall enough for the whole help, wide enough for the whole footer.
SIZE = (130, 90)
# The keys are looked up in the palette at this size: the palette lists about a dozen entries
# (its list is 70% of the screen's height, two lines an entry), so an entry listed after
# others still shows what came before it. Every palette search, each key typed, and its
# closing redraw the screen: at SIZE, laying out and painting its 90 rows was most of the
# test's time.
LOOKUP_SIZE = (130, 40)

# Listed, but not a command to look up: ctrl+p opens the palette itself.
THE_PALETTE = "ctrl+p"
# "ctrl+c: the same as ctrl+q" (docs/tui.md): the palette's Quit is its entry.
SAME_AS = {"interrupt": "quit"}
# How docs/tui.md writes a key, where it differs from the binding's key name.
DOC_KEYS = {"Esc": "escape", "?": "question_mark", "/": "slash"}
# The keys are looked up in this many parts, each a test of its own (its own editor and its own
# time limit): all of them one after another took about a minute, several on a loaded machine,
# while the palette was opened and closed for each lookup. Each part starts an editor and reads
# the footer, the help and docs/tui.md first, about 2-3 s of a loaded machine's time.
PARTS = 3


def bindings(app: PolicyApp) -> list[Binding]:
    """Every binding of the editor's main screen: the app's, then the tool table's."""
    found = [b for b in app.BINDINGS if isinstance(b, Binding)]
    return found + [b for b in ToolTable.BINDINGS if isinstance(b, Binding)]


def by_action(app: PolicyApp, action: str) -> Binding:
    return next(b for b in bindings(app) if b.action == action)


def footer_listed(app: PolicyApp) -> list[Binding]:
    """The bindings the footer shows ("a Allow d Deny ..."); nothing else is in it."""
    footer = screen_text(app).splitlines()[-1]
    listed = []
    for binding in bindings(app):
        shown = f"{app.get_key_display(binding)} {binding.description}"
        if binding.show and re.search(rf"(^|\s){re.escape(shown)}(\s|$)", footer):
            listed.append(binding)
            footer = footer.replace(shown, "", 1)
    assert footer.replace("▏^p palette", "").strip() == "", f"footer entries not accounted for: {footer!r}"
    assert len(listed) >= 10
    return listed


def help_rows(app: PolicyApp) -> list[tuple[str, str]]:
    """(key, text) of every row of the help's keys, a wrapped row's lines joined."""
    rows: list[tuple[str, str]] = []
    for line in screen_text(app).splitlines():
        if line.count("│") < 2:
            continue
        inside = line[line.index("│") + 1:line.rindex("│")]
        row = re.fullmatch(r" {3}(\S+) {2,}(\S.*?)\s*", inside)
        more = re.fullmatch(r" {4,}(\S.*?)\s*", inside)
        if row:
            rows.append((row.group(1), row.group(2)))
        elif more and rows:
            rows[-1] = (rows[-1][0], f"{rows[-1][1]} {more.group(1)}")
    return rows


def help_listed(app: PolicyApp, policy_name: str) -> list[Binding]:
    """The binding of every row of the help, found by its key and its text."""
    listed = []
    for key, text in help_rows(app):
        # A command with a second key shows both keys on its row (`/,^f`): the first is the
        # binding that gives the row its text.
        matches = [
            b for b in bindings(app)
            if app.get_key_display(b) in (key, key.split(",")[0])
            and help_line(b.tooltip or b.description, policy_name) == text
        ]
        if not matches:
            assert text == "Open the command palette", f"help row {key} {text!r} has no binding"
            continue
        listed.append(matches[0])
    assert len(listed) >= 30
    return listed


def docs_keys() -> list[str]:
    """The key names of the first column of docs/tui.md's table of keys ("`s` / `S`": s and S;
    "`1`-`6`": 1 to 6)."""
    text = DOCS.read_text(encoding="utf-8")
    table = text[text.index("## Keys"):]
    table = table[:table.index("\n\n", table.index("| key |"))]
    keys: list[str] = []
    for line in table.splitlines():
        cells = line.split("|")
        if len(cells) < 3 or not cells[1].strip().startswith("`"):
            continue
        cell = cells[1]
        span = re.fullmatch(r"\s*`(\d)`-`(\d)`\s*", cell)
        if span:
            keys += [str(n) for n in range(int(span.group(1)), int(span.group(2)) + 1)]
            continue
        keys += [DOC_KEYS.get(k, k) for k in re.findall(r"`([^`]+)`", cell)]
    assert len(keys) >= 30
    return keys


def docs_listed(app: PolicyApp) -> list[Binding]:
    listed = []
    for key in docs_keys():
        if key == THE_PALETTE:
            continue
        matches = [b for b in bindings(app) if key in b.key.split(",")]
        assert matches, f"docs/tui.md lists {key}, which nothing is bound to"
        listed.append(matches[0])
    return listed


async def palette_first(pilot, searches: PaletteSearches, typed: str, name: str, key: str,  # type: ignore[no-untyped-def]
                        *, run: bool = False) -> None:
    """ctrl+p, `typed` typed, and the palette lists "name: ..." with "key <key>" under it
    first, before any other entry, so that Enter runs it; `run`: Enter then runs it."""
    app = pilot.app
    under = app.screen
    await listed_first(pilot, searches, typed, name, key)
    await pilot.press("enter" if run else "escape")
    await until(lambda: not isinstance(app.screen, CommandPalette), "the palette closed")
    if not run:
        await until(lambda: app.screen is under, "the screen under the palette")


async def listed_first(pilot, searches: PaletteSearches, typed: str, name: str, key: str) -> None:  # type: ignore[no-untyped-def]
    """ctrl+p (or, in the palette open already, ctrl+u to clear its search), `typed` typed,
    and the palette lists "name: ..." with "key <key>" under it first, before any other entry."""
    app = pilot.app
    if isinstance(app.screen, CommandPalette) and app.screen.query_one(CommandInput).value:
        await pilot.press("ctrl+u")
    # The list is final once the search has ended: until then a later batch of hits, sorted
    # in, can still come before the entry.
    await palette_search(pilot, searches, typed)
    title = f"{name}: "

    def listed() -> list[str] | None:
        lines = [line.strip() for line in screen_text(app).splitlines()]
        for i, line in enumerate(lines):
            if line.startswith(title) and f"key {key}" in lines[i + 1:i + 2]:
                return lines[:i]
        return None

    await until(lambda: listed() is not None, f"{title!r} (key {key}) listed for {typed!r}")
    search = next(i for i, line in enumerate(listed() or []) if line.startswith("🔎"))
    before = [line for line in (listed() or [])[search + 1:] if line and not line.startswith("key ")]
    assert before == [], (typed, name, before)


def typed_key(shown: str) -> str:
    """What a person types to find a key's command: its first name as shown (`5`, `D`, `esc`,
    `up` of `up,k`), `ctrl+s` for `^s`."""
    first = shown.split(",")[0]
    return "ctrl+" + first[1:] if first.startswith("^") else first


@pytest.mark.parametrize("part", range(PARTS))
async def test_every_key_the_editor_lists_is_found_in_the_palette_by_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part: int,
) -> None:
    """Every key listed is found; part `part` of them (every PARTS-th, from the part-th on) is
    looked up in the palette here, the others by the other parts."""
    searches = PaletteSearches(monkeypatch)
    policy = tmp_path / "policy.json"
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        # The footer shows the editing keys once the tools are there (quit and help before).
        await until(lambda: "^s Save" in screen_text(app).splitlines()[-1], "the footer's keys")
        listed = footer_listed(app) + docs_listed(app)
        await pilot.press("question_mark")
        await until(lambda: app.screen.id == "help", "the help screen")
        await pilot.pause()
        listed += help_listed(app, policy.name)
        await pilot.press("escape")
        await until(lambda: app.screen is app.main, "the editor")
        await pilot.resize_terminal(*LOOKUP_SIZE)
        await until(lambda: len(screen_text(app).splitlines()) == LOOKUP_SIZE[1], "the editor at its new size")

        keys = {b.key for b in listed}
        assert {"space", "a", "slash", "question_mark", "ctrl+s", "escape", "1", "6"} <= keys
        actions: list[Binding] = []
        for binding in listed:
            binding = by_action(app, SAME_AS.get(binding.action, binding.action))
            if binding.action not in {b.action for b in actions}:
                actions.append(binding)
        assert len(actions) >= 35
        # One palette for every lookup, its search cleared (ctrl+u) before the next is typed:
        # opening and closing it for each took about 0.4 s of the 0.8 s a lookup took.
        for binding in actions[part::PARTS]:
            name = binding.description.rstrip("…. ")
            shown = app.get_key_display(binding)
            # Its name, lower case as a person types it: "try" lists "Try: ..." before
            # "Try a call: ...", which once came first.
            await listed_first(pilot, searches, name.lower(), name, shown)
            # Its key's name: "5" lists Try, "D" Default (not Deny), "ctrl+s" Save.
            await listed_first(pilot, searches, typed_key(shown), name, shown)
        await pilot.press("escape")
        await until(lambda: app.screen is app.main, "the palette closed")


async def test_mark_from_the_palette_marks_the_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await palette_search(pilot, searches, "mark")
        assert "Mark: mark the tool" in screen_text(app), screen_text(app)
        await pilot.press("enter")
        await until(lambda: "(1 marked)" in screen_text(app), "one tool marked")
        table = app.query_one(ToolTable)
        assert table.marked == {"backfill_executions"}
        assert table.current_row.name == "invite_user"  # and the cursor moved down


@pytest.mark.parametrize(("typed", "name", "key"), [
    # The README calls the Try panel a simulator: "simulate" found nothing.
    ("simulate", "Try a call", "t"),
    # "exit" listed "Export: ..." first, so Enter opened the export dialog.
    ("exit", "Quit", "^q"),
    # "block" found nothing.
    ("block", "Deny", "d"),
    # "search" listed "Conds: ..." first, "find" the filter of new and changed tools.
    ("search", "Filter", "/"),
    ("find", "Filter", "/"),
    # The CLI says export converts: "convert" listed "Pins: ..." first.
    ("convert", "Export", "E"),
])
async def test_a_word_a_person_types_for_an_action_lists_it_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, typed: str, name: str, key: str,
) -> None:
    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await palette_first(pilot, searches, typed, name, key)


def readme_words() -> list[tuple[str, str]]:
    """(words, key) for each action of README.md's table of the editor's keys, worded as it
    words them: "toggle the default" for `D`, "panels" for `1`-`6` (its first key), "undo" and
    "redo" for `ctrl+z` / `ctrl+y`; what follows a "(" or ":" is left out."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| key | action |"):]
    table = table[:table.index("\n\n")]
    found: list[tuple[str, str]] = []
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        for key_cell, action in zip(cells[0::2], cells[1::2], strict=True):
            keys = re.findall(r"`([^`]+)`", key_cell)
            words = re.split(r" \(|:", action)[0].strip()
            if " / " in words:  # `ctrl+z` / `ctrl+y` | undo / redo
                found += list(zip(words.split(" / "), keys, strict=True))
            else:
                found.append((words, keys[0]))
    assert len(found) >= 16
    return found


async def test_the_readmes_words_for_each_key_list_its_command_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What README.md calls each key, typed into the palette, lists that key's command first.
    Before, "toggle the default" (`D`) found nothing, and "panels" (`1`-`6`) listed only "Bulk:
    ...", so Enter opened the bulk dialog."""
    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=LOOKUP_SIZE) as pilot:
        await ready(pilot)
        for words, key in readme_words():
            if key == THE_PALETTE:  # Textual's own binding: the palette's entry is named in full
                await listed_first(pilot, searches, words, "Command palette", "^p")
                continue
            binding = next(b for b in bindings(app) if DOC_KEYS.get(key, key) in b.key.split(","))
            await listed_first(pilot, searches, words, binding.description.rstrip("…. "),
                               app.get_key_display(binding))
        await pilot.press("escape")
        await until(lambda: app.screen is app.main, "the palette closed")


async def test_toggle_the_default_and_panels_run_from_the_palette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """README.md's "toggle the default" and Enter asks before allowing by default; "panels" and
    Enter shows the first panel, the selected tool's."""
    from textual.widgets import TabbedContent

    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await palette_first(pilot, searches, "toggle the default", "Default", "D", run=True)
        await until(lambda: "Allow by default?" in screen_text(app), "the question before allowing by default")
        await pilot.press("escape")
        await until(lambda: app.screen is app.main, "the question closed")
        assert app.state is not None and app.state.policy.default == "deny"
        await pilot.press("3")
        tabs = app.main.query_one(TabbedContent)
        await until(lambda: tabs.active == "tab-json", "the JSON panel")
        await palette_first(pilot, searches, "panels", "Tool", "1", run=True)
        await until(lambda: tabs.active == "tab-tool", "the Tool panel")
        assert app.screen is app.main


async def test_command_palette_typed_in_the_palette_lists_it_and_enter_lists_every_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """README.md calls ctrl+p the "command palette": typed into the palette, those words list
    its own entry, "Command palette: every action, ..." (key ^p), and Enter opens it again with
    its search empty, listing the editor's actions. Before, they found nothing ("No matches")."""
    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=LOOKUP_SIZE) as pilot:
        await ready(pilot)
        await listed_first(pilot, searches, "command palette", "Command palette", "^p")
        first = app.screen
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, CommandPalette) and app.screen is not first,
                    "the palette opened again")
        palette = app.screen
        assert palette.query_one(CommandInput).value == ""
        await pilot.press("down")  # an empty search lists every command once the list is opened
        await until(lambda: "Allow: allow the selected tool" in screen_text(app), "every action listed")
        await pilot.press("escape", "escape")
        await until(lambda: app.screen is app.main, "the palette closed")


@pytest.mark.parametrize(("typed", "fmt"), [
    ("cedar", "cedar"), ("yaml", "intercept"), ("intercept", "intercept"), ("policylayer", "policylayer"),
])
async def test_a_formats_name_and_enter_open_the_export_dialog_on_that_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, typed: str, fmt: str,
) -> None:
    """Before, the formats' names found Export, which opened on the format chosen last
    (PolicyLayer at first): "cedar" and Enter showed PolicyLayer's JSON."""
    from textual.widgets import Select

    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await palette_search(pilot, searches, typed)
        await pilot.press("enter")
        await until(lambda: app.screen.query("#export-format"), "the export dialog")
        assert app.screen.query_one("#export-format", Select).value == fmt


async def test_discard_finds_quit_without_saving_and_it_drops_the_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A person who wants to throw the unsaved edits away types "discard": the palette lists
    Quit first (its question offers Quit without saving), and over that question "discard"
    lists Quit without saving first; nothing is written."""
    searches = PaletteSearches(monkeypatch)
    policy = tmp_path / "policy.json"
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await until(lambda: app.state is not None and app.state.dirty, "the edit")
        await palette_first(pilot, searches, "discard", "Quit", "^q", run=True)
        await until(lambda: app.screen.id == "confirm-quit", "the unsaved-changes question")
        await palette_first(pilot, searches, "discard", "Quit without saving", "q (this dialog)", run=True)
        await until(lambda: not app.is_running, "the editor to end")
    assert not policy.exists()


@pytest.mark.parametrize("typed", ["revert", "undo all"])
async def test_revert_and_undo_all_find_undo_which_takes_the_edits_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, typed: str,
) -> None:
    """"revert" and "undo all" list Undo first; run from the palette, each takes back one more
    edit, until nothing is left unsaved."""
    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("a", "down", "d")
        await until(lambda: app.state is not None and len(app.state.history._undo) == 2, "the two edits")
        for _ in range(2):
            await palette_first(pilot, searches, typed, "Undo", "^z", run=True)
        await until(lambda: app.state is not None and not app.state.dirty, "every edit taken back")


async def test_a_palette_opened_while_the_tools_are_listed_searches_again_when_they_arrive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ctrl+p and "deny" typed while the server is still being listed, Enter once the tools are
    there: the selected tool is denied. Before, the palette kept the matches found while only
    Textual's own commands were there ("Keys: show help ..."), and Enter ran that."""
    import threading

    from policytui.toolinfo import ServerListing

    listed = threading.Event()

    def slow_listing() -> ServerListing:
        # Until the test lets it: a whole-suite run on a busy machine can take longer than a
        # fixed wait between the start and the test's look at the screen while listing.
        listed.wait(240)
        return kestra()

    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", load_listing=slow_listing, target_label="kestra")
    async with app.run_test(size=(100, 30)) as pilot:
        try:
            await until(lambda: "Help" in screen_text(app).splitlines()[-1], "the footer")
            await palette_search(pilot, searches, "deny")
            assert "Deny: deny the selected tool" not in screen_text(app)  # not there yet
            listed.set()
            await until(lambda: app.state is not None, "the policy")
            await until(lambda: "Deny: deny the selected tool" in screen_text(app), "the palette searched again")
            await pilot.press("enter")
            await until(lambda: app.state is not None and app.state.dirty, "the edit")
            assert app.state is not None
            assert app.state.policy.tools["backfill_executions"].action == "deny"
        finally:
            listed.set()  # the listing thread ends even when the test failed before letting it
