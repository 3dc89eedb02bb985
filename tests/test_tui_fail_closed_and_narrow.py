"""The conditions editor fails closed, refuses empty values, and the editor works at 40x12.

Driven through the keys a user presses (Textual's pilot), at the sizes a user's terminal has.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import load_server_fixture
from test_tui_app import document, kestra, ready, screen_text, select
from textual.command import CommandPalette
from tui_support import PaletteSearches, drawn, until

from policytui.discovery.errors import DiscoveryError
from policytui.toolinfo import ServerListing
from policytui.tui import make_app
from policytui.tui.table import ToolTable

RECIPE = ("c", "enter", "d", "e", "l", "enter", "tab", "enter", "ctrl+s")
DELETE_NEEDS_APPROVAL = [{"path": "args.action", "op": "eq", "value": "delete"}]


@pytest.fixture
def policy_path(tmp_path: Path) -> Path:
    return tmp_path / "policy.json"


def decision(app, tool: str, **args: object) -> str:  # type: ignore[no-untyped-def]
    assert app.state is not None
    return str(app.state.try_call(tool, dict(args)).outcome.value)


async def follow_the_recipe(pilot, app, *before: str) -> None:  # type: ignore[no-untyped-def]
    """Select manage_flow, press `before` and then the docs' approval recipe, and wait for the
    question it asks about a denied tool."""
    await ready(pilot)
    await select(pilot, "manage_flow")
    await pilot.press(*before, *RECIPE)
    await until(lambda: app.screen.id == "confirm-conditions-open", "the keep-denied question")


# ----- Enter alone never widens the policy ----------------------------------------------------


@pytest.mark.parametrize(("key", "dialog"), [
    ("D", "confirm-default"),  # was: allow every tool by default
    ("b", "bulk"),  # was: allow every tool shown
    ("p", "preset"),  # was: replace every rule with the recommended preset
    ("o", "override"),  # was: call the selected tool a Read, Low
])
async def test_enter_as_a_dialog_opens_keeps_the_policy_as_it_was(policy_path: Path, key: str, dialog: str) -> None:
    """The focus starts on the dialog's safe answer, so Enter typed out of habit (or right
    behind the key that opened it) changes nothing; the keys of the answers still work."""
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert app.state is not None
        before = document(app)
        category = app.state.rows[0].category
        await pilot.press(key)
        await until(lambda: app.screen.id == dialog, f"the {dialog} dialog")
        await pilot.press("enter")
        await until(lambda: app.screen is app.main, "the dialog closed by Enter")
        assert document(app) == before
        assert app.state.rows[0].category == category
        assert decision(app, "manage_flow", action="delete", namespace="a", flow_id="b") == "denied"
    # The dialog's own key still gives the answer that widens, when it is meant.
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press(key)
        await until(lambda: app.screen.id == dialog, f"the {dialog} dialog")
        await pilot.press({"D": "y", "b": "a", "p": "1", "o": "1"}[key])
        await until(lambda: app.screen is app.main, "the dialog answered by its key")
        assert app.state is not None
        assert document(app) != before or app.state.rows[0].category == "Read"


# ----- an approval condition never opens a denied tool --------------------------------------


async def test_approval_condition_on_a_default_denied_tool_keeps_it_denied(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await follow_the_recipe(pilot, app)
        await until(lambda: "Allow other calls [a]" in screen_text(app), "the question drawn", shows=lambda: screen_text(app))
        text = screen_text(app)
        assert "manage_flow is denied" in text
        assert "apply only to calls the tool's rule allows" in text
        assert "Keep denied [n]" in text and "Allow other calls [a]" in text
        await pilot.press("enter")  # the focused answer: keep denied
        await until(lambda: app.screen is app.main and "tools" in document(app), "the answer applied")
        assert document(app)["tools"] == {
            "manage_flow": {"action": "deny", "require_approval_if": DELETE_NEEDS_APPROVAL}
        }
        row = app.query_one(ToolTable).current_row
        assert row is not None and row.decision_label == "deny" and row.approval == ""
        assert decision(app, "manage_flow", action="enable", namespace="a", flow_id="b") == "denied"
        assert decision(app, "manage_flow", action="delete", namespace="a", flow_id="b") == "denied"
        # Allowing the tool later brings the condition into force.
        await pilot.press("a")
        await until(lambda: "action" not in document(app)["tools"]["manage_flow"], "manage_flow allowed")
        assert decision(app, "manage_flow", action="delete", namespace="a", flow_id="b") == "needs_approval"


async def test_a_limit_on_a_default_denied_tool_keeps_it_denied(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        assert decision(app, "manage_flow", action="delete", namespace="a", flow_id="b") == "denied"
        # The docs' "30 calls a minute" recipe on a tool the default denies: a rule with limits
        # and no action would allow it, 30 calls a minute that were none before.
        await pilot.press("l", "3", "0", "enter", "ctrl+s")
        await until(lambda: app.screen is app.main and "tools" in document(app), "the limit applied")
        limit = {"counter": "manage_flow_rate", "window": "minute", "max": 30, "scope": "grant"}
        assert document(app)["tools"] == {"manage_flow": {"action": "deny", "limits": [limit]}}
        assert decision(app, "manage_flow", action="delete", namespace="a", flow_id="b") == "denied"
        row = app.query_one(ToolTable).current_row
        assert row is not None and row.decision_label == "deny"
        assert any("manage_flow stays denied. Its limits are kept" in str(n.message)
                   for n in app._notifications)
        # Allowing it brings the limit into force.
        await pilot.press("a")
        await until(lambda: "action" not in document(app)["tools"]["manage_flow"], "manage_flow allowed")
        assert document(app)["tools"] == {"manage_flow": {"limits": [limit]}}
        assert decision(app, "manage_flow", action="delete", namespace="a", flow_id="b") == "allowed"
        # A tool already allowed keeps its decision: only the limits change.
        await pilot.press("l", "ctrl+u", "2", "0", "enter", "ctrl+s")
        await until(lambda: any(one["max"] == 20 for one in document(app)["tools"]["manage_flow"]["limits"]),
                    "the limit of 20 applied", shows=lambda: document(app))
        assert app.screen is app.main
        assert document(app)["tools"]["manage_flow"].get("action") is None


async def test_allow_other_calls_is_an_explicit_answer(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await follow_the_recipe(pilot, app)
        await pilot.press("a")
        await until(lambda: app.screen is app.main and "tools" in document(app), "the answer applied")
        assert document(app)["tools"] == {"manage_flow": {"require_approval_if": DELETE_NEEDS_APPROVAL}}
        assert decision(app, "manage_flow", action="enable", namespace="a", flow_id="b") == "allowed"
        assert decision(app, "manage_flow", action="delete", namespace="a", flow_id="b") == "needs_approval"


async def test_escape_on_the_question_changes_nothing(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await follow_the_recipe(pilot, app)
        await pilot.press("escape")
        # The question has gone, and Esc was its whole answer: nothing more is on its way.
        await until(lambda: app.screen is app.main, "the question closed")
        assert document(app) == {"version": "1", "default": "deny"}
        assert app.state is not None and not app.state.dirty


async def test_an_explicitly_denied_tool_stays_denied_too(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await follow_the_recipe(pilot, app, "d")
        await pilot.press("n")
        await until(lambda: app.screen is app.main and "require_approval_if" in document(app)["tools"]["manage_flow"],
                    "the answer applied")
        assert document(app)["tools"]["manage_flow"]["action"] == "deny"
        assert decision(app, "manage_flow", action="enable", namespace="a", flow_id="b") == "denied"


async def test_no_question_where_the_tool_is_allowed_already(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("a", *RECIPE)
        # The recipe's ctrl+s applied the conditions, which a denied tool's question would have
        # held back until it was answered: none was asked.
        await until(lambda: "require_approval_if" in document(app).get("tools", {}).get("manage_flow", {}),
                    "the recipe's conditions applied")
        await until(lambda: app.screen is app.main, "the conditions dialog closed")
        assert document(app)["tools"] == {"manage_flow": {"require_approval_if": DELETE_NEEDS_APPROVAL}}


# ----- the value field: no empty values, cleared after Add, no repeats ----------------------


async def test_empty_value_is_refused_and_the_field_is_cleared_after_add(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await select(pilot, "backfill_executions")
        await pilot.press("c")
        await until(lambda: app.screen.id == "conditions-screen", "the conditions dialog")
        screen = app.screen
        value = screen.query_one("#cond-value")
        # namespace: a text argument, typed
        await until(lambda: value.has_focus, "the value field focused")
        await pilot.press("enter")
        await until(lambda: "type a value first" in screen_text(app), "the refusal", shows=lambda: screen_text(app))
        assert screen.conditions["require_approval_if"] == []
        await pilot.press(*"dev", "enter")
        await until(lambda: [c.value for c in screen.conditions["require_approval_if"]] == ["dev"], "dev added")
        await until(lambda: value.value == "", "the field cleared")
        await until(lambda: "type a value first" not in screen_text(app), "the refusal gone",
                    shows=lambda: screen_text(app))
        await pilot.press("enter")  # again: the field is empty, nothing is added
        await until(lambda: "type a value first" in screen_text(app), "the refusal again", shows=lambda: screen_text(app))
        assert len(screen.conditions["require_approval_if"]) == 1
        await pilot.press(*"dev", "enter")  # the same condition typed again
        await until(lambda: "already listed" in screen_text(app), "the refusal of a repeat", shows=lambda: screen_text(app))
        assert len(screen.conditions["require_approval_if"]) == 1


async def test_exists_needs_no_value(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await select(pilot, "backfill_executions")
        await pilot.press("c")
        await until(lambda: app.screen.id == "conditions-screen", "the conditions dialog")
        screen = app.screen
        screen.query_one("#cond-op").value = "exists"
        # The operator's change fills the value field with `true` (a message later).
        await until(lambda: screen.query_one("#cond-value").value == "true", "the value true for exists")
        screen.query_one("#cond-value").value = ""
        screen.query_one("#cond-value").focus()
        await until(lambda: screen.query_one("#cond-value").has_focus, "the value field focused")
        await pilot.press("enter")
        await until(lambda: screen.conditions["require_approval_if"], "a condition added")
        assert [(c.op, c.value) for c in screen.conditions["require_approval_if"]] == [("exists", True)]


# ----- a server that dies at start: the end of its stderr is what shows ---------------------


async def test_the_failure_dialog_shows_the_last_line_of_stderr(policy_path: Path) -> None:
    frames = "".join(
        f'  File "/usr/lib/python3.11/site-packages/pkg/module{i}.py", line {i}, in run\n'
        f"    return runner.run(main)  # a long source line that wraps in the dialog's box\n"
        for i in range(30)
    )

    def failing() -> ServerListing:
        raise DiscoveryError(
            "Server 'x' exited with code 1 before answering initialize.",
            stderr_tail="Traceback (most recent call last):\n" + frames
            + "AttributeError: 'Server' object has no attribute 'list_resources'",
        )

    app = make_app(policy_path=policy_path, load_listing=failing, target_label="x")
    async with app.run_test(size=(80, 24)):
        await app.workers.wait_for_complete()
        await until(lambda: app.screen.id == "failure", "the failure dialog")
        # The dialog opens its detail at the end (scrolled there once it is laid out).
        await until(lambda: drawn(app) and "'list_resources'" in screen_text(app),
                    "the last line of stderr on the failure dialog", shows=lambda: screen_text(app))
        # The test's end shuts the editor down directly, not by its exit(), which waits for the
        # tab panes being mounted behind the dialog: Textual's tabs, shut down in the middle of
        # their mount, raise.
        await until(app.panels_ready.is_set, "the tab panes mounted")


# ----- narrow terminals -----------------------------------------------------------------------


async def test_header_keeps_the_policy_part_whole_when_narrow(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())

    def header() -> str:
        return screen_text(app).splitlines()[0]

    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"manage", "enter")
        # The header is drawn in parts: the server's (with the filter's count), then the policy's.
        await until(lambda: header().startswith(" kestra · 39 tools (8 shown) │ policy.json (new) │ default deny │ ✓ valid"),
                    "the filter's count in the whole header", shows=header)
        await pilot.resize_terminal(50, 12)
        # Laid out for 50 columns, the header keeps the policy's part whole (cut as it was at 80
        # columns, it would end at the file name).
        await until(lambda: "policy.json (new) │ default deny │ ✓ valid" in header(),
                    "the header's policy part whole at 50 columns", shows=header)
        await pilot.resize_terminal(40, 12)
        # Only the file name is cut; what the policy is stays whole.
        await until(lambda: header().rstrip().endswith("(new) │ default deny │ ✓ valid") and len(header()) == 40,
                    "the header's policy part whole at 40 columns", shows=header)
        assert header().startswith(" policy."), header()
        await pilot.press("a")  # unsaved edits
        await until(lambda: "● unsaved │ default deny │ ✓ valid" in header(), "the header to say unsaved", shows=header)
        await pilot.resize_terminal(80, 24)
        await until(lambda: "kestra · 39 tools (8 shown) │ policy.json ● unsaved │ default deny │ ✓ valid" in header(),
                    "the whole header back at 80 columns", shows=header)


async def test_decision_column_keeps_its_star_at_40_columns(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())

    def backfill_row() -> str:
        return next(line for line in screen_text(app).splitlines() if "backfill" in line)

    async with app.run_test(size=(40, 12)) as pilot:
        await ready(pilot)
        lines = screen_text(app).splitlines()
        row = next(line for line in lines if "backfill" in line)
        assert "deny*" in row, lines
        assert any(" Dec" in line for line in lines), lines  # "Decision", or its short word
        await pilot.press("d")
        await until(lambda: "deny*" not in backfill_row(), "backfill's row repainted after d", shows=backfill_row)
        assert "deny " in backfill_row()


# Each column's header words: its title, then its short word.
HEADER_WORDS = {"Tool": ("Tool",), "Category": ("Category", "Cat"), "Severity": ("Severity", "Sev"),
                "Decision": ("Decision", "Dec"), "Limits": ("Limits", "Lim"), "Approval": ("Approval", "Ask")}


def table_header(app) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """The table's header line, and the column each of its words names (KeyError: a word
    that is no column's title or short word, such as one cut mid-word)."""
    line = next(line for line in screen_text(app).splitlines() if line.startswith(" Tool"))
    named = {word: title for title, words in HEADER_WORDS.items() for word in words}
    return line, [named[word] for word in line.split() if word not in ("▲", "▼")]


@pytest.mark.parametrize("sorted_by_name", [False, True], ids=["unsorted", "sorted by name"])
async def test_under_60_columns_every_header_is_a_whole_word_and_the_columns_stay(
        policy_path: Path, sorted_by_name: bool) -> None:
    """Made narrow by resizing, from 59 columns down to 40: every header is its title or its
    short word, never cut; Decision and the columns before it are always there, and at 50
    columns and more Limits and Approval too. Before, at 40 columns the Category header was
    cut to "Categor", and under 60 Limits and Approval fell off the edge for the room the
    Decision header took beside its five-cell `deny*`."""
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        if sorted_by_name:
            await pilot.press("s")  # the header's sort arrow takes two cells more
        for width in (59, 50, 40):
            await pilot.resize_terminal(width, 24)
            await until(lambda width=width: app.size.width == width
                        and len(screen_text(app).splitlines()[0]) <= width, f"the editor at {width} columns")
            await pilot.pause()
            try:
                line, columns = table_header(app)
            except KeyError as cut:
                raise AssertionError(f"at {width} columns a header is cut: {cut}\n{screen_text(app)}") from None
            wanted = ["Tool", "Category", "Severity", "Decision"]
            if width >= 50:
                wanted += ["Limits", "Approval"]
            assert columns == wanted, f"at {width} columns:\n{screen_text(app)}"
            lines = screen_text(app).splitlines()
            first_row = lines[lines.index(line) + 1]
            assert first_row.rstrip().endswith("deny*"), f"at {width} columns:\n{screen_text(app)}"
        await pilot.resize_terminal(80, 24)  # back to the size the editor is laid out for
        await until(lambda: app.size.width == 80, "the editor at 80 columns")
        await pilot.pause()
        line, columns = table_header(app)
        assert columns == ["Tool", "Category", "Severity", "Decision", "Limits", "Approval"], line
        assert "Decision Limits Approval" in line, line


async def test_the_80_column_table_is_unchanged(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        lines = screen_text(app).splitlines()
        assert lines[1].startswith(" Tool                        Category    Severity Decision Limits Approval")
        assert lines[2].startswith(" backfill_executions         Execute     High     deny*")


async def test_limits_and_conditions_dialogs_are_usable_at_40x12(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(40, 12)) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("l")
        await until(lambda: type(app.screen).__name__ == "LimitsScreen", "the limits dialog")
        await until(lambda: drawn(app) and "max calls" in screen_text(app) and "minute" in screen_text(app),
                    "the limits dialog drawn", shows=lambda: screen_text(app))
        lines = screen_text(app).splitlines()
        assert any("max calls" in line and "30" in line for line in lines), lines
        assert any(line.startswith("│ per") and "minute" in line for line in lines), lines
        assert not any(line.rstrip(" │").endswith("minu") for line in lines), lines
        await pilot.press("1", "0", "enter", "ctrl+s")
        await until(lambda: "manage_flow" in document(app).get("tools", {}), "the limit applied")
        assert document(app)["tools"]["manage_flow"]["limits"][0]["max"] == 10
        await until(lambda: app.screen is app.main, "the limits dialog closed")
        await pilot.press("c")
        await until(lambda: app.screen.id == "conditions-screen", "the conditions dialog")
        await until(lambda: drawn(app) and "needs approval if" in screen_text(app)
                    and "action (6 values)" in screen_text(app), "the conditions dialog drawn",
                    shows=lambda: screen_text(app))
        lines = screen_text(app).splitlines()
        assert any("when" in line and "needs approval if" in line for line in lines), lines
        assert any("argument" in line and "action (6 values)" in line for line in lines), lines
        # The recipe's keys work at this size too, down to the Add button below the fold.
        await pilot.press("enter", "d", "e", "l", "enter", "tab")
        await until(lambda: app.focused is not None and app.focused.id == "cond-add", "Add focused by tab")
        # Focused below the fold, it is scrolled into view.
        await until(lambda: "Add [enter]" in screen_text(app), "the Add button in view", shows=lambda: screen_text(app))
        await pilot.press("enter", "ctrl+s")
        # The limit left manage_flow denied (default deny), so the editor asks about its other
        # calls; Enter keeps it denied.
        await until(lambda: app.screen.id == "confirm-conditions-open", "the keep-denied question")
        await pilot.press("enter")
        await until(lambda: "require_approval_if" in document(app)["tools"]["manage_flow"], "the answer applied")
        assert document(app)["tools"]["manage_flow"]["require_approval_if"] == DELETE_NEEDS_APPROVAL


# ----- the Try panel's hint comes from the tool ------------------------------------------------


async def test_try_hint_comes_from_the_tools_own_schema(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("5")
        await until(lambda: app.query("#try-args") and app.query_one("#try-args").placeholder, "the Try panel's hint")
        args_box = app.query_one("#try-args")
        assert "action" not in args_box.placeholder
        app.query_one("#try-tool").focus()
        await pilot.press(*"backfill_executions")
        await until(lambda: '"namespace"' in args_box.placeholder, "backfill_executions's hint",
                    shows=lambda: args_box.placeholder)
        assert "action" not in args_box.placeholder
        assert '"namespace"' in args_box.placeholder and '"flow_id"' in args_box.placeholder
        app.query_one("#try-tool").value = "manage_flow"
        await until(lambda: '"action": "delete"' in args_box.placeholder, "manage_flow's hint",
                    shows=lambda: args_box.placeholder)


def test_try_hint_for_a_tool_without_arguments() -> None:
    from policytui.editor.arguments import GENERIC_ARGUMENTS_HINT, arguments_hint

    assert arguments_hint({"type": "object", "properties": {}}).startswith("{}")
    assert arguments_hint(None) == GENERIC_ARGUMENTS_HINT
    data = load_server_fixture("kestra-head-14fe3a3")
    schema = next(t["inputSchema"] for t in data["tools"] if t["name"] == "search_apps")
    assert "action" not in arguments_hint(schema)


# ----- the palette over a dialog ----------------------------------------------------------------


async def palette_lists(pilot, searches: PaletteSearches, typed: str, first: str) -> str:  # type: ignore[no-untyped-def]
    """ctrl+p, `typed` typed, and the screen once the palette's search for it has ended and
    what it found is drawn (`first`, an entry it must list, shows then)."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(lambda: isinstance(app.screen, CommandPalette), "the command palette")
    await pilot.press(*typed)
    await until(lambda: searches.done(app, typed), f"the palette's search for {typed!r}")
    await until(lambda: drawn(app) and first in screen_text(app), f"{first!r} listed for {typed!r}",
                shows=lambda: screen_text(app))
    return screen_text(app)


async def test_palette_titles_are_worded_alike(policy_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ctrl+p and a word: every entry found reads "Name: what it does", the editor's actions,
    its filters and Textual's own commands alike."""
    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for typed, expected in [
            ("allow", ["Allow: allow the selected tool", "Filter: show only tools decided allow"]),
            ("filter", ["Filter: filter tools by name", "Filter by: filter by category"]),
            ("save", [f"Save: write {policy_path.name}"]),
            ("theme", ["Theme: change the current theme"]),
            ("destructive", ["Filter: show only Destructive tools"]),
            ("shared", ["Shared limits: edit the all_tools limits"]),
        ]:
            text = await palette_lists(pilot, searches, typed, expected[0])
            for title in expected:
                assert title in text, (typed, text)
            # The editor's own entry comes first: Enter runs it, not a Textual command that
            # has the word further on ("Screenshot: save an SVG ...").
            found = [line.strip() for line in text.splitlines() if ": " in line]
            assert found and found[0].startswith(expected[0]), (typed, found)
            await pilot.press("escape")
            await until(lambda: app.screen is app.main, "the palette closed")


async def test_palette_over_a_dialog_finds_save(policy_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await until(lambda: app.screen.id == "conditions-screen", "the conditions dialog")
        text = await palette_lists(pilot, searches, "save", "apply this dialog first")
        assert "Save" in text and "apply this dialog first" in text, text
        await pilot.press("enter")
        await until(lambda: any("apply this dialog first" in n.message for n in app._notifications),
                    "the note that the dialog is to be applied first")
        await until(lambda: app.screen.id == "conditions-screen", "the conditions dialog again")
        # The dialog's own commands are there too: Apply closes it.
        await palette_lists(pilot, searches, "apply", "Apply")
        await pilot.press("enter")
        await until(lambda: app.screen is app.main, "the dialog applied and closed", shows=lambda: screen_text(app))
