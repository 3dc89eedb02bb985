"""SVG snapshots of the editor's main screens at 100x30 (pytest-textual-snapshot).

Update after an intended UI change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the SVGs under __snapshots__/ before committing them.

Every screen is made deterministic: the policy path is relative inside a temporary folder (the
status line shows its name only), text cursors do not blink, nothing shows a clock, and each
screenshot waits for what it must show (`picture`), drawn, with nothing left that could change
it: never for a fixed time, which a loaded machine overran.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, SelectionList
from tui_support import drawn, panels_followed, until

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


def screen_text(app: PolicyApp) -> str:
    """What the terminal shows now, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def still(app: PolicyApp) -> bool:
    """Nothing is left that would change the picture: no key held or on its way (the editor's
    KeyOrder), no worker running, the panels have followed the last edit and the detail pane
    the cursor, and the screen is laid out and painted with no after-refresh call waiting."""
    order = app.key_order
    # (`order.waiting` alone is a check that finds nothing to release: under the too-small
    # notice it runs for as long as the notice shows.)
    keys_done = not (order.held or order.early or order.dialog is not None or order.settling or order.ahead)
    return (keys_done and not any(worker.is_running for worker in app.workers)
            and (app._panel_timer is None or panels_followed(app))
            and not app._detail_pending and not app.screen._callbacks and drawn(app))


async def picture(pilot: Pilot, what: str, shows: Callable[[str], bool]) -> None:
    """Until the screen `shows` what the picture is of (`what`), and stays so once everything
    queued by then has been handled."""
    app = pilot.app
    assert isinstance(app, PolicyApp)
    while True:
        await until(lambda: still(app) and shows(screen_text(app)), what, shows=lambda: screen_text(app))
        await pilot.pause()  # what the app had queued, handled
        if still(app) and shows(screen_text(app)):
            return


def steady_cursors(app: PolicyApp) -> None:
    """Text cursors shown steadily, so two screenshots of the same state are the same."""
    for box in app.screen.query(Input):
        box.cursor_blink = False


async def loaded(pilot: Pilot) -> None:
    """The tools in the table, validated (the header says so), the first one's detail shown."""
    app = pilot.app
    assert isinstance(app, PolicyApp)
    await app.loaded.wait()
    await picture(pilot, "the tools validated and the detail of the first", lambda _text: app.report is not None)


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
        await picture(pilot, "the help, to its last line", lambda text: "Esc closes this help" in text)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_limits_editor_with_a_new_limit(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await on_tool(pilot, "manage_flow")
        await pilot.press("l")
        await until(lambda: pilot.app.screen.id == "limits-screen", "the limits editor")
        await pilot.press("3", "0", "enter")
        steady_cursors(pilot.app)  # type: ignore[arg-type]
        await picture(pilot, "the limit of 30 a minute listed", lambda text: "1. 30/minute" in text)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_conditions_editor(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await on_tool(pilot, "manage_flow")
        await pilot.press("c")
        await until(lambda: type(pilot.app.screen).__name__ == "ConditionsScreen", "the conditions editor")
        steady_cursors(pilot.app)  # type: ignore[arg-type]
        await picture(pilot, "the conditions editor, its form and buttons",
                      lambda text: "Conditions for manage_flow" in text and "pick a value" in text
                      and "Apply [ctrl+s]" in text)

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
        await until(lambda: pilot.app.screen.id == "failure", "the failure dialog")
        await picture(pilot, "the failure dialog with the server's stderr",
                      lambda text: "KESTRA_BASE_URL must be set" in text and "Quit [q]" in text)

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
        await pilot.press("enter", "d", "e", "l", "enter", "enter", "ctrl+e", "enter")
        steady_cursors(pilot.app)  # type: ignore[arg-type]
        values = pilot.app.screen.query_one("#cond-choice", Select)
        await picture(pilot, '"delete" picked and its list closed',
                      lambda text: '"delete"' in text and not values.expanded)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_filter_menu(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("f")
        await until(lambda: pilot.app.screen.id == "filter-screen", "the filter menu")
        await picture(pilot, "the filter menu, to its buttons",
                      lambda text: "[ ] approve" in text and "Apply [ctrl+s]" in text)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_export_dialog(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("E")
        await until(lambda: pilot.app.screen.id == "export-screen", "the export dialog")
        steady_cursors(pilot.app)  # type: ignore[arg-type]
        await picture(pilot, "the export dialog, what carries over said",
                      lambda text: "Everything carries over exactly." in text and "Write file [ctrl+s]" in text)

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
        # The rules' explanations are long at 60 columns: the last rule is below, scrolled to.
        await picture(pilot, "the first rule listed, the buttons in view",
                      lambda text: "tools.manage_flow.require_approval_if" in text and "Write file [ctrl+s]" in text)

    assert snap_compare(app, terminal_size=(60, 20), run_before=run_before)


def test_unsaved_changes_dialog_at_60x20(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """Three answers side by side need 60 columns, the box has 56: they stack, one per line,
    each whole (the last was cut to "Cancel [e")."""
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("a", "ctrl+q")
        await until(lambda: pilot.app.screen.id == "confirm-quit", "the unsaved-changes dialog")
        # The buttons stack once the dialog has measured them after its first frame.
        await picture(pilot, "the three answers stacked, one per line",
                      lambda text: any(line.strip(" │") == "Cancel [esc]" for line in text.splitlines()))

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
    table = app.main.query_one(ToolTable)
    first, second, third, fourth = (table.rows[i].name for i in table.view[:4])

    def decided() -> bool:
        document = state.policy.to_document()
        return {first, second, third} <= set(document.get("tools") or {}) and fourth in document.get("hide", [])

    await until(decided, "a, d and r on the first three tools, h on the fourth")
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
    steady_cursors(app)
    # The panels follow the edit 0.15 s after it (`still` waits for that timer to have run);
    # the cursor is on manage_apps, hidden by the last key.
    await picture(pilot, "every rule in the table, the detail of the hidden tool",
                  lambda text: "Rule: hide" in text and "● unsaved" in text)


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
        await picture(pilot, "the question, its list and its answers",
                      lambda text: "Allow by default?" in text and "namespace_file_action" in text
                      and "Keep deny [n]" in text)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("theme", THEMES)
def test_filter_dialog_with_ticks_in_three_themes(snap_compare, theme: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing(), theme=theme)

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("f")
        await until(lambda: pilot.app.screen.id == "filter-screen", "the filter dialog")
        await pilot.press("space", "down", "down", "space", "tab")
        categories = pilot.app.screen.query_one("#filter-categories", SelectionList)
        await picture(pilot, "Destructive and Read ticked, the focus on the severities",
                      lambda _text: sorted(categories.selected) == ["Destructive", "Read"]
                      and pilot.app.focused is not None and pilot.app.focused.id == "filter-severities")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_wide_table_sizes_every_column_to_its_content(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """At 200 columns nothing is cut: the Approval and Conditions columns show in full."""
    app = make_app(policy_path="policy.json", listing=kestra_listing())
    assert snap_compare(app, terminal_size=(200, 40), run_before=with_rules)


def test_filter_dialog_at_40x12_stacks_its_lists(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """The smallest terminal the editor accepts: one list under another, every label whole,
    the drift tick's label wrapped, the buttons scrolled to with the focus."""
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("f")
        await until(lambda: pilot.app.screen.id == "filter-screen", "the filter dialog")
        await pilot.press("tab", "tab", "tab", "tab")  # to Apply, past the lists and the tick
        await picture(pilot, "the drift tick and the buttons",
                      lambda text: "[ ] only new, changed or missing" in text and "Apply [ctrl+s]" in text)

    assert snap_compare(app, terminal_size=(40, 12), run_before=run_before)


def test_limits_dialog_at_40x12_opens_on_its_title(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path="policy.json", listing=kestra_listing())

    async def run_before(pilot: Pilot) -> None:
        await on_tool(pilot, "manage_flow")
        await pilot.press("l")
        await until(lambda: pilot.app.screen.id == "limits-screen", "the limits editor")
        steady_cursors(pilot.app)  # type: ignore[arg-type]
        await picture(pilot, "the title and the first field",
                      lambda text: "Limits for manage_flow" in text and "max calls" in text)

    assert snap_compare(app, terminal_size=(40, 12), run_before=run_before)
