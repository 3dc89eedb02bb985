"""SVG snapshots of the editor's main screens at 100x30 (pytest-textual-snapshot).

Update after an intended UI change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the SVGs under __snapshots__/ before committing them.

Every screen is made deterministic: the policy path is relative inside a temporary folder (the
status line shows its name only), text cursors do not blink, nothing shows a clock, and
each screenshot waits until the editor has loaded and validated.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from policytui.discovery.spec import ServerSpec
from policytui.toolinfo import ServerListing
from policytui.tui import PolicyApp, make_app
from policytui.tui.table import ToolTable

SIZE = (100, 30)
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "servers"


def kestra_listing(**extra: object) -> ServerListing:
    data = json.loads((FIXTURES / "kestra-head-14fe3a3.json").read_text(encoding="utf-8"))
    return ServerListing.from_tool_dicts(
        data["tools"], server_name="kestra", server_version="0.1.0", transport="stdio", **extra
    )


@pytest.fixture(autouse=True)
def in_tmp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh folder as the working directory: policy.json is new, its name is all that shows."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))


async def until(condition, what: str, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def steady_cursors(app: PolicyApp) -> None:
    """Text cursors shown steadily, so two screenshots of the same state are the same."""
    for box in app.screen.query(Input):
        box.cursor_blink = False


async def loaded(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, PolicyApp)
    await app.loaded.wait()
    await until(lambda: app.report is not None, "the first validation")
    await pilot.pause()


async def on_tool(pilot: Pilot, name: str) -> None:
    """Move the table cursor to `name` with the arrow keys, as a user would."""
    await loaded(pilot)
    table = pilot.app.query_one(ToolTable)  # type: ignore[attr-defined]
    names = [table.rows[i].name for i in table.view]
    await pilot.press(*["down"] * names.index(name))
    assert table.current_row is not None and table.current_row.name == name


def test_main_screen(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing())
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


def test_offline_banner(snap_compare) -> None:  # type: ignore[no-untyped-def]
    listing = kestra_listing(
        offline_reason="The server did not list its tools within 30 s.",
        source="built-in snapshot of kestra",
    )
    app = make_app(policy_path="policy.json", listing=listing)
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


def test_help_screen(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("question_mark")
        await until(lambda: pilot.app.screen.id == "help", "the help screen")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_limits_editor_with_a_new_limit(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await on_tool(pilot, "manage_flow")
        await pilot.press("l")
        await until(lambda: pilot.app.screen.id == "limits-screen", "the limits editor")
        await pilot.pause()
        await pilot.press("3", "0", "enter")
        steady_cursors(pilot.app)  # type: ignore[arg-type]
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_conditions_editor(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await on_tool(pilot, "manage_flow")
        await pilot.press("c")
        await until(lambda: type(pilot.app.screen).__name__ == "ConditionsScreen", "the conditions editor")
        steady_cursors(pilot.app)  # type: ignore[arg-type]
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_error_dialog_when_the_server_dies(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """A real stdio server that exits at start: the dialog names it and shows its stderr."""
    from policytui.discovery.lister import list_target

    spec = ServerSpec(
        name="broken",
        transport="stdio",
        command="sh",
        args=["-c", "echo 'error: KESTRA_BASE_URL must be set' >&2; exit 3"],
    )
    app = make_app(
        policy_path="policy.json",
        load_listing=lambda: list_target(spec, offline=False, timeout=20),
        target_label="broken",
    )

    async def run_before(pilot: Pilot) -> None:
        await until(lambda: pilot.app.screen.id == "failure", "the failure dialog", timeout=30)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_main_screen_at_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """The smallest supported terminal: the footer ends with whole keys, the panels still show."""
    app = make_app(policy_path="policy.json", listing=kestra_listing())
    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)


def test_conditions_editor_editing_a_listed_condition(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """Enter on a listed condition: marked as being edited, the form holds it, Add is Update."""
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await on_tool(pilot, "manage_flow")
        await pilot.press("c")
        await until(lambda: type(pilot.app.screen).__name__ == "ConditionsScreen", "the conditions editor")
        await pilot.pause()
        await pilot.press("enter", "d", "e", "l", "enter", "enter", "ctrl+e", "enter")
        steady_cursors(pilot.app)  # type: ignore[arg-type]
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_filter_menu(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("f")
        await until(lambda: pilot.app.screen.id == "filter-screen", "the filter menu")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_export_dialog(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("E")
        await until(lambda: pilot.app.screen.id == "export-screen", "the export dialog")
        steady_cursors(pilot.app)  # type: ignore[arg-type]
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_export_dialog_at_60x20(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """A small terminal: each rule the format cannot hold gets a line of its own with what the
    target does instead under it (side by side left that a dozen columns, cut off), the list
    scrolls, and the buttons stay in view."""
    Path("policy.json").write_text(json.dumps({"version": "1", "default": "deny", "tools": {
        "manage_flow": {"require": [{"path": "args.action", "op": "in", "value": ["get", "delete"]}],
                        "require_approval_if": [{"path": "args.action", "op": "eq", "value": "delete"}]},
        "change_taskrun_state": {"action": "require_approval"},
    }}), encoding="utf-8")
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("E")
        await until(lambda: pilot.app.screen.id == "export-screen", "the export dialog")
        steady_cursors(pilot.app)  # type: ignore[arg-type]
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(60, 20), run_before=run_before)


def test_unsaved_changes_dialog_at_60x20(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """Three answers side by side need 60 columns, the box has 56: they stack, one per line,
    each whole (the last was cut to "Cancel [e")."""
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("a", "ctrl+q")
        await until(lambda: pilot.app.screen.id == "confirm-quit", "the unsaved-changes dialog")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(60, 20), run_before=run_before)


def test_too_small_terminal_at_20x6(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """Under 40x12 one centred line says the terminal is too small, what it needs, and how
    to quit."""
    app = make_app(policy_path="policy.json", listing=kestra_listing())
    assert snap_compare(app, terminal_size=(20, 6), run_before=loaded)


# ----- the main screen and dialogs in a dark, a light and an ANSI theme -----------------------

THEMES = ["textual-dark", "textual-light", "ansi-dark"]


async def with_rules(pilot: Pilot) -> None:
    """Some rules of every kind, put in with the editor's keys and its state, as a user edits."""
    from policytui.editor import make_condition

    await loaded(pilot)
    app = pilot.app
    assert isinstance(app, PolicyApp) and app.state is not None
    state = app.state
    await pilot.press("a", "down", "d", "down", "r", "down", "h")
    state.edit_rule(
        "execute_flow", reason="runs flows in dev only",
        conditions={
            "require": [make_condition("args.namespace", "eq", "dev")],
            "deny_if": [make_condition("args.flow_id", "regex", "^prod-")],
            "require_approval_if": [make_condition("args.wait", "eq", True)],
        },
        allow=True,
    )
    app._changed(full=True)
    await until(lambda: app.report is not None, "validation")
    await pilot.pause(0.3)
    steady_cursors(app)


@pytest.mark.parametrize("theme", THEMES)
def test_main_screen_in_three_themes(snap_compare, theme: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing(), theme=theme)
    assert snap_compare(app, terminal_size=SIZE, run_before=with_rules)


@pytest.mark.parametrize("theme", THEMES)
def test_allow_by_default_dialog_in_three_themes(snap_compare, theme: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing(), theme=theme)

    async def run_before(pilot: Pilot) -> None:
        await with_rules(pilot)
        await pilot.press("D")
        await until(lambda: pilot.app.screen.id == "confirm-default", "the allow-by-default question")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("theme", THEMES)
def test_filter_dialog_with_ticks_in_three_themes(snap_compare, theme: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing(), theme=theme)

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("f")
        await until(lambda: pilot.app.screen.id == "filter-screen", "the filter dialog")
        await pilot.press("space", "down", "down", "space", "tab")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_wide_table_sizes_every_column_to_its_content(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """At 200 columns nothing is cut: the Approval and Conditions columns show in full."""
    app = make_app(policy_path="policy.json", listing=kestra_listing())
    assert snap_compare(app, terminal_size=(200, 40), run_before=with_rules)
